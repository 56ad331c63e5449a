"""Reusable Textual widgets. They receive data and post messages; they do no I/O of their own."""

"""Modal dialogs: they sit below the views, which push them and take their result.

The main screen, which sits above the views, stays in `tui/screens/`.
"""

"""Exceptions shared across loupe's domain modules.

Every error carries a message a user can act on: what went wrong and what to do about it.
"""

from __future__ import annotations


class LoupeError(Exception):
    """Base class for errors loupe reports to the user instead of crashing."""


class UsageError(LoupeError):
    """The command line or an argument was wrong; the CLI exits 2."""

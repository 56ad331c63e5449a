"""Switch a SQLite store to WAL mode when several loupes may open it at the same moment."""

from __future__ import annotations

import sqlite3
import time

# SQLite does not call the busy handler while a fresh file changes journal mode: when two
# loupes open a new store at once, one of them gets "database is locked" at once, whatever
# the busy timeout. The switch is retried here for as long as the busy timeout allows.
_RETRY_PAUSE = 0.01


class StoreLocked(sqlite3.OperationalError):
    """Another program kept the store's file locked for the whole busy timeout."""


# Looked up on each call, so that tests can replace them.
_clock = time.monotonic
_pause = time.sleep


def use_wal(conn: sqlite3.Connection, *, timeout: float) -> str:
    """Ask for WAL mode; return the journal mode the file is in afterwards.

    Raises StoreLocked when the file stayed locked for `timeout` seconds.
    """
    deadline = _clock() + timeout
    while True:
        try:
            return str(conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]).lower()
        except sqlite3.OperationalError as exc:
            if not _is_busy(exc):
                raise
            if _clock() >= deadline:
                raise StoreLocked(f"locked by another program for {timeout:g} s") from exc
        _pause(_RETRY_PAUSE)


def _is_busy(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "database is locked" in text or "database is busy" in text

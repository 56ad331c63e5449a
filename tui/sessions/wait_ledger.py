"""Which sessions wait for their user, remembered across loupes and restarts.

The `Notifier` tells the user once per wait. Several loupes may watch the same sessions (the
app, a second app, a restarted one), so the memory of who is waiting, and since when, lives
in the session store's file, and a wait begins inside one write transaction: exactly one
loupe gets to announce it.
"""

from __future__ import annotations

from tui.sessions.store import SessionStore

_SCHEMA = """
CREATE TABLE IF NOT EXISTS waits (
    session_id TEXT PRIMARY KEY,
    waiting INTEGER NOT NULL,
    question TEXT NOT NULL,
    began_at REAL NOT NULL,
    ended_at REAL,
    -- it ended for real (idle, exited, a hook's word), not by a redraw
    settled INTEGER NOT NULL DEFAULT 0
);
"""


class WaitLedger:
    """A table of its own in the session store's file."""

    def __init__(self, store: SessionStore) -> None:
        self._connect = store.connection
        with self._connect() as db:
            db.executescript(_SCHEMA)

    def begin(self, session_id: str, question: str, now: float, *, flicker: float) -> bool:
        """Record that the session waits; True when this is a new wait to announce.

        Not new: the session was already waiting on the same question (seen by another
        loupe, or before a restart), or it stopped waiting on that same question less than
        `flicker` seconds ago without settling (a redraw read as busy, not an answer).
        """
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                row = db.execute("SELECT waiting, question, ended_at, settled FROM waits WHERE session_id = ?",
                                 (session_id,)).fetchone()
                new = row is None or row[1] != question or (
                    not row[0] and (row[3] or row[2] is None or now - row[2] >= flicker))
                if new:
                    db.execute("INSERT OR REPLACE INTO waits (session_id, waiting, question, began_at, ended_at, "
                               "settled) VALUES (?, 1, ?, ?, NULL, 0)", (session_id, question, now))
                elif not row[0]:
                    db.execute("UPDATE waits SET waiting = 1, ended_at = NULL WHERE session_id = ?", (session_id,))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return new

    def end(self, session_id: str, now: float, *, settled: bool) -> None:
        """The session no longer waits: it looks busy (maybe only a redraw), or, `settled`,
        it is idle or ended, or its agent said it works."""
        with self._connect() as db:
            db.execute("UPDATE waits SET waiting = 0, ended_at = ? WHERE session_id = ? AND waiting = 1",
                       (now, session_id))
            if settled:
                db.execute("UPDATE waits SET settled = 1 WHERE session_id = ?", (session_id,))

    def forget(self, session_id: str) -> None:
        with self._connect() as db:
            db.execute("DELETE FROM waits WHERE session_id = ?", (session_id,))

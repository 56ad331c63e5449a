"""The session store: one SQLite file for every repository's sessions.

Sessions outlive loupe (they run in tmux), so the store is how a new loupe finds them again.
It also hands out what must be unique across live sessions (a number per repository, a
block of ports per machine) inside one write transaction, so two loupes starting sessions at
the same moment cannot get the same ones. Queued messages ("send when idle") live here too,
and are claimed atomically so that two deliverers never send one twice.
"""

from __future__ import annotations

import socket
import sqlite3
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from tui import locations, private_files
from tui.sessions.errors import SessionError
from tui.sessions.local_files import sessions_dir
from tui.sessions.model import PORTS_PER_SESSION, Session
from tui.sqlite_wal import StoreLocked, use_wal

# Seconds a store operation waits for another loupe's write to finish.
_BUSY_TIMEOUT = 10.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id TEXT PRIMARY KEY,
    repo TEXT NOT NULL,
    number INTEGER NOT NULL,
    agent TEXT NOT NULL,
    status_source TEXT NOT NULL,
    task TEXT NOT NULL,
    branch TEXT NOT NULL,
    worktree TEXT NOT NULL,
    worktree_name TEXT NOT NULL,
    base_commit TEXT NOT NULL,
    base_branch TEXT NOT NULL,
    tmux_socket TEXT NOT NULL,
    port_base INTEGER NOT NULL,
    created_at REAL NOT NULL,
    prompt TEXT NOT NULL DEFAULT '',
    task_dir TEXT,
    command TEXT NOT NULL DEFAULT '',
    base_ref TEXT NOT NULL DEFAULT 'HEAD',
    ended_at REAL,
    exit_code INTEGER,
    removed_at REAL,
    host TEXT NOT NULL DEFAULT 'local',
    stopped_at REAL,
    phase TEXT NOT NULL DEFAULT '',
    output TEXT NOT NULL DEFAULT '',
    launched_at REAL,
    end_reason TEXT NOT NULL DEFAULT '',
    start_pid INTEGER
);
CREATE INDEX IF NOT EXISTS sessions_repo ON sessions (repo, removed_at);
CREATE TABLE IF NOT EXISTS queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    session_id TEXT NOT NULL REFERENCES sessions (id),
    text TEXT NOT NULL,
    created_at REAL NOT NULL,
    -- typed in (the last time); NULL while it waits to be typed
    delivered_at REAL,
    attempts INTEGER NOT NULL DEFAULT 0,
    -- the agent showed it got it
    confirmed_at REAL,
    -- given up: typed too often without arriving, or never a ready prompt to type it at
    failed_at REAL,
    failure TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS queue_pending ON queue (session_id, delivered_at);
"""

_PATH_FIELDS = {"repo", "worktree", "task_dir"}

# Columns added since the first schema, with their definitions. A store written by an older
# loupe gets them on open; its rows read as the default (plain sessions on this machine).
_ADDED_COLUMNS = {
    "host": "TEXT NOT NULL DEFAULT 'local'",
    "stopped_at": "REAL",
    # Migration "phases" (issue 14): the task phase a session was started for and the
    # artifact it writes.
    "phase": "TEXT NOT NULL DEFAULT ''",
    "output": "TEXT NOT NULL DEFAULT ''",
    "launched_at": "REAL",
    # Issue 12: "killed" and "interrupted" ends.
    "end_reason": "TEXT NOT NULL DEFAULT ''",
    "start_pid": "INTEGER",
}
_ADDED_QUEUE_COLUMNS = {
    "attempts": "INTEGER NOT NULL DEFAULT 0",
    "confirmed_at": "REAL",
    "failed_at": "REAL",
    "failure": "TEXT NOT NULL DEFAULT ''",
}


def default_store_path() -> Path:
    return locations.data_dir() / "sessions.sqlite"


@dataclass(frozen=True)
class QueuedText:
    id: int
    session_id: str
    text: str
    created_at: float
    # When it was last typed in (None: waiting to be), and how many times it has been.
    typed_at: float | None = None
    attempts: int = 0
    failure: str = ""


_QUEUED = "SELECT id, session_id, text, created_at, delivered_at, attempts, failure FROM queue"


def port_block_free(base: int) -> bool:
    """Whether nothing on this machine listens on any port of the block (127.0.0.1)."""
    for port in range(base, base + PORTS_PER_SESSION):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


class SessionStore:
    def __init__(self, path: Path | None = None) -> None:
        self.path = path or default_store_path()
        try:
            private_files.store_folder(self.path)
            private_files.private_file(self.path)
            private_files.make_private(Path(f"{self.path}-wal"), Path(f"{self.path}-shm"))
            # Session folders hold agents' logs and screens; older loupes left them readable.
            if private_files.in_data_dir(sessions_dir()):
                private_files.make_tree_private(sessions_dir())
        except OSError as exc:
            raise SessionError(f"cannot open the session store {self.path}: {exc}") from exc
        with self._connect() as db:
            # WAL lasts in the file: set once here, not on every connection.
            try:
                use_wal(db, timeout=_BUSY_TIMEOUT)
            except StoreLocked as exc:
                raise SessionError(f"the session store {self.path} is {exc}; "
                                   "close the other loupe or try again") from exc
            db.executescript(_SCHEMA)
            _add_missing_columns(db, "sessions", _ADDED_COLUMNS)
            if _add_missing_columns(db, "queue", _ADDED_QUEUE_COLUMNS):
                # Texts an older loupe typed in were never checked; they count as arrived.
                db.execute("UPDATE queue SET confirmed_at = delivered_at "
                           "WHERE delivered_at IS NOT NULL AND confirmed_at IS NULL")

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        # A connection per operation: cheap for SQLite, and safe from any thread.
        db = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT, isolation_level=None)
        try:
            db.row_factory = sqlite3.Row
            yield db
        except sqlite3.DatabaseError as exc:
            raise SessionError(f"session store {self.path}: {exc}") from exc
        finally:
            db.close()

    def connection(self) -> AbstractContextManager[sqlite3.Connection]:
        """A connection to the store's file, for tables other modules keep in it."""
        return self._connect()

    # -- sessions --------------------------------------------------------------------------

    def add(self, session: Session, *, port_start: int, port_free=port_block_free) -> Session:
        """Insert `session` with the lowest free number (per repo) and port block (global)."""
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                numbers = {
                    row[0]
                    for row in db.execute(
                        "SELECT number FROM sessions WHERE repo = ? AND removed_at IS NULL",
                        (str(session.repo),),
                    )
                }
                session.number = next(n for n in range(len(numbers) + 1) if n not in numbers)
                taken = {
                    row[0]
                    for row in db.execute(
                        "SELECT port_base FROM sessions WHERE removed_at IS NULL AND ended_at IS NULL"
                    )
                }
                session.port_base = self._free_ports(taken, port_start, port_free)
                row = _to_row(session)
                columns = ", ".join(row)
                marks = ", ".join("?" for _ in row)
                db.execute(f"INSERT INTO sessions ({columns}) VALUES ({marks})", tuple(row.values()))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        return session

    @staticmethod
    def _free_ports(taken: set[int], start: int, port_free) -> int:
        base = start
        while base + PORTS_PER_SESSION <= 65536:
            if base not in taken and port_free(base):
                return base
            base += PORTS_PER_SESSION
        raise SessionError(
            f"no free block of {PORTS_PER_SESSION} ports from {start}; "
            "set [sessions] port_range_start to another value"
        )

    def get(self, session_id: str) -> Session | None:
        with self._connect() as db:
            row = db.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return _from_row(row) if row else None

    def list(self, repo: Path | None = None, *, include_removed: bool = False) -> list[Session]:
        query = "SELECT * FROM sessions WHERE 1=1"
        args: list[Any] = []
        if repo is not None:
            query += " AND repo = ?"
            args.append(str(repo))
        if not include_removed:
            query += " AND removed_at IS NULL"
        query += " ORDER BY number, created_at"
        with self._connect() as db:
            return [_from_row(row) for row in db.execute(query, args)]

    def update(self, session_id: str, **values: Any) -> None:
        if not values:
            return
        known = {f.name for f in fields(Session)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(f"unknown session fields: {sorted(unknown)}")
        row = {k: (str(v) if k in _PATH_FIELDS and v is not None else v) for k, v in values.items()}
        assignments = ", ".join(f"{k} = ?" for k in row)
        with self._connect() as db:
            db.execute(f"UPDATE sessions SET {assignments} WHERE id = ?", (*row.values(), session_id))

    def mark_ended(self, session_id: str, exit_code: int | None, reason: str = "") -> bool:
        """Record the end once (`reason`: `Session.end_reason`); say whether this call was the
        one that recorded it."""
        with self._connect() as db:
            cursor = db.execute(
                "UPDATE sessions SET ended_at = ?, exit_code = ?, end_reason = ? WHERE id = ? AND ended_at IS NULL",
                (time.time(), exit_code, reason, session_id),
            )
            return cursor.rowcount == 1

    def reopen(self, session_id: str) -> bool:
        """Take back an end recorded for a session that turns out to be running; say whether
        there was one."""
        with self._connect() as db:
            cursor = db.execute(
                "UPDATE sessions SET ended_at = NULL, exit_code = NULL, end_reason = '' "
                "WHERE id = ? AND ended_at IS NOT NULL",
                (session_id,),
            )
            return cursor.rowcount == 1

    def delete(self, session_id: str) -> None:
        """Forget a session that never started (creation failed half way)."""
        with self._connect() as db:
            db.execute("DELETE FROM queue WHERE session_id = ?", (session_id,))
            db.execute("DELETE FROM sessions WHERE id = ?", (session_id,))

    # -- queue -----------------------------------------------------------------------------

    def enqueue(self, session_id: str, text: str) -> int:
        with self._connect() as db:
            cursor = db.execute(
                "INSERT INTO queue (session_id, text, created_at) VALUES (?, ?, ?)",
                (session_id, text, time.time()),
            )
            return int(cursor.lastrowid or 0)

    def pending(self, session_id: str | None = None) -> list[QueuedText]:
        """Texts waiting to be typed in, oldest first."""
        return self._queued("delivered_at IS NULL AND failed_at IS NULL", session_id)

    def unconfirmed(self, session_id: str | None = None) -> list[QueuedText]:
        """Texts typed in that the agent has not shown it got yet."""
        return self._queued("delivered_at IS NOT NULL AND confirmed_at IS NULL AND failed_at IS NULL",
                            session_id)

    def undelivered(self, session_id: str | None = None) -> list[QueuedText]:
        """Texts given up on, with why; they stay until the session is removed."""
        return self._queued("failed_at IS NOT NULL", session_id)

    def _queued(self, condition: str, session_id: str | None) -> list[QueuedText]:
        query = f"{_QUEUED} WHERE {condition}"
        args: tuple[Any, ...] = ()
        if session_id is not None:
            query += " AND session_id = ?"
            args = (session_id,)
        with self._connect() as db:
            return [QueuedText(*row) for row in db.execute(query + " ORDER BY id", args)]

    def claim(self, queue_id: int, at: float | None = None) -> bool:
        """Take a queued text for typing in (at `at`, default now); False when someone else
        already did."""
        with self._connect() as db:
            cursor = db.execute(
                "UPDATE queue SET delivered_at = ?, attempts = attempts + 1 "
                "WHERE id = ? AND delivered_at IS NULL AND failed_at IS NULL",
                (time.time() if at is None else at, queue_id),
            )
            return cursor.rowcount == 1

    def confirm(self, queue_id: int) -> None:
        """The agent showed it got the text."""
        with self._connect() as db:
            db.execute("UPDATE queue SET confirmed_at = ? WHERE id = ? AND confirmed_at IS NULL",
                       (time.time(), queue_id))

    def fail(self, queue_id: int, reason: str) -> None:
        """Give up on a text, saying why (shown as "not delivered")."""
        with self._connect() as db:
            db.execute("UPDATE queue SET failed_at = ?, failure = ? WHERE id = ? AND confirmed_at IS NULL",
                       (time.time(), reason, queue_id))

    def retry(self, session_id: str) -> int:
        """Queue again, as new, the texts given up on for this session (the user asked to try
        once more); how many."""
        with self._connect() as db:
            cursor = db.execute(
                "UPDATE queue SET failed_at = NULL, failure = '', delivered_at = NULL, attempts = 0 "
                "WHERE session_id = ? AND failed_at IS NOT NULL AND confirmed_at IS NULL",
                (session_id,),
            )
            return cursor.rowcount

    def unclaim(self, queue_id: int) -> None:
        """Put back a text whose delivery failed, so it is tried again."""
        with self._connect() as db:
            db.execute("UPDATE queue SET delivered_at = NULL WHERE id = ?", (queue_id,))

    def queued_state(self, queue_id: int) -> str:
        """'pending' (waiting, or typed in and not shown to have arrived yet), 'delivered',
        'undelivered' (given up on: `undelivered()` says why), or 'dropped' (the session
        ended or was removed first)."""
        with self._connect() as db:
            row = db.execute("SELECT confirmed_at, failed_at FROM queue WHERE id = ?", (queue_id,)).fetchone()
        if row is None:
            return "dropped"
        if row[1] is not None:
            return "undelivered"
        return "pending" if row[0] is None else "delivered"

    def drop_queue(self, session_id: str) -> int:
        with self._connect() as db:
            cursor = db.execute(
                "DELETE FROM queue WHERE session_id = ? AND delivered_at IS NULL", (session_id,)
            )
            return cursor.rowcount


def _add_missing_columns(db: sqlite3.Connection, table: str, columns: dict[str, str]) -> bool:
    """Add the columns an older loupe's `table` lacks; say whether this call added any."""
    present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
    added = False
    for name, definition in columns.items():
        if name in present:
            continue
        try:
            db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {definition}")
            added = True
        except sqlite3.OperationalError as exc:
            # Another loupe opening the same store at the same moment added it first.
            if "duplicate column" not in str(exc).lower():
                raise
    return added


def _to_row(session: Session) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for f in fields(Session):
        value = getattr(session, f.name)
        row[f.name] = str(value) if f.name in _PATH_FIELDS and value is not None else value
    return row


def _from_row(row: sqlite3.Row) -> Session:
    values = dict(row)
    for name in _PATH_FIELDS:
        if values.get(name) is not None:
            values[name] = Path(values[name])
    return Session(**values)

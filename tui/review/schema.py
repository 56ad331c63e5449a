"""The SQLite file behind the review store: connection settings, schema and migrations.

The app and every agent's `loupe review resolve` write the same file, so it runs in WAL mode
(readers never wait for a writer), writes take the lock at once (`BEGIN IMMEDIATE`) and wait
up to the busy timeout. The schema version is `PRAGMA user_version`; each entry of
`MIGRATIONS` moves it up by one, in its own transaction. Comments quote documents that may
be private, so the folder is 0700 and the file 0600 (`tui.private_files`).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tui import private_files
from tui.review.errors import ReviewError
from tui.sqlite_wal import StoreLocked, use_wal

# Each migration is a list of statements, run in one transaction.
SCHEMA_V1: list[str] = [
    """CREATE TABLE rounds (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    repo           TEXT NOT NULL,
    target_kind    TEXT NOT NULL CHECK (target_kind IN ('document', 'diff')),
    target_path    TEXT NOT NULL DEFAULT '',
    target_session TEXT NOT NULL DEFAULT '',
    state          TEXT NOT NULL DEFAULT 'draft'
                   CHECK (state IN ('draft', 'submitted', 'delivered', 'undelivered')),
    verdict        TEXT CHECK (verdict IS NULL OR verdict IN ('approve', 'request_changes', 'comment')),
    destination    TEXT CHECK (destination IS NULL OR destination IN ('session', 'thread', 'copy')),
    to_session     TEXT,
    to_thread      TEXT,
    when_idle      INTEGER NOT NULL DEFAULT 0,
    queue_id       INTEGER,
    message        TEXT NOT NULL DEFAULT '',
    error          TEXT NOT NULL DEFAULT '',
    created_at     REAL NOT NULL,
    submitted_at   REAL,
    delivered_at   REAL
)""",
    # One draft per document (or session diff): comments made anywhere collect in it.
    """CREATE UNIQUE INDEX rounds_one_draft ON rounds (repo, target_kind, target_path, target_session)
    WHERE state = 'draft'""",
    """CREATE INDEX rounds_target ON rounds (repo, target_path)""",
    """CREATE INDEX rounds_to_session ON rounds (to_session)""",
    """CREATE TABLE comments (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    round_id        INTEGER NOT NULL REFERENCES rounds (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('note', 'answer')),
    path            TEXT NOT NULL,
    side            TEXT CHECK (side IS NULL OR side IN ('old', 'new')),
    hunk            TEXT,
    scope           TEXT NOT NULL DEFAULT 'text' CHECK (scope IN ('text', 'section')),
    quote           TEXT NOT NULL,
    before          TEXT NOT NULL,
    after           TEXT NOT NULL,
    first_line      INTEGER NOT NULL,
    last_line       INTEGER NOT NULL,
    char_offset     INTEGER NOT NULL,
    doc_hash        TEXT NOT NULL,
    doc_lines       INTEGER NOT NULL,
    question        TEXT NOT NULL DEFAULT '',
    body            TEXT NOT NULL,
    created_at      REAL NOT NULL,
    sent_hash       TEXT,
    resolved_at     REAL,
    resolved_by     TEXT,
    resolution_note TEXT
)""",
    """CREATE INDEX comments_round ON comments (round_id)""",
    # Hunks of a session's diff that were on screen ("since you last looked").
    """CREATE TABLE viewed_hunks (
    session_id TEXT NOT NULL,
    hunk       TEXT NOT NULL,
    viewed_at  REAL NOT NULL,
    PRIMARY KEY (session_id, hunk)
) WITHOUT ROWID""",
    # Bumped by every write, so a reader can tell "anything new?" with one row.
    """CREATE TABLE changes (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    stamp INTEGER NOT NULL
)""",
    """INSERT INTO changes (id, stamp) VALUES (1, 0)""",
]

MIGRATIONS: list[list[str]] = [SCHEMA_V1]
SCHEMA_VERSION = len(MIGRATIONS)


def connect(path: Path, *, busy_timeout_ms: int) -> sqlite3.Connection:
    """Open (creating if needed, private to this user) and migrate the store file."""
    try:
        private_files.store_folder(path)
        # Created here, not by SQLite, so that it is private from the start; SQLite gives
        # the -wal and -shm files the database file's mode.
        private_files.private_file(path)
        private_files.make_private(Path(f"{path}-wal"), Path(f"{path}-shm"))
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False,
                               timeout=busy_timeout_ms / 1000)
    except (OSError, sqlite3.Error) as exc:
        raise ReviewError(f"cannot open the review store {path}: {exc}") from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        mode = use_wal(conn, timeout=busy_timeout_ms / 1000)
        if mode != "wal":
            raise ReviewError(
                f"the review store {path} cannot use WAL mode (got {mode!r}); "
                "put the data folder on a local disk (set LOUPE_DATA_DIR)"
            )
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn, path)
    except StoreLocked as exc:
        conn.close()
        raise ReviewError(f"the review store {path} is {exc}; close the other loupe or try again") from exc
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise ReviewError(
            f"the review store {path} is unreadable ({exc}); move it aside to start a new one"
        ) from exc
    except BaseException:
        conn.close()
        raise
    return conn


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
        return  # the usual case: no write lock taken, no change stamped
    with transaction(conn):
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise ReviewError(
                f"the review store {path} was written by a newer loupe (schema {version}, "
                f"this one knows {SCHEMA_VERSION}); upgrade loupe"
            )
        for number in range(version, SCHEMA_VERSION):
            for statement in MIGRATIONS[number]:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number + 1}")


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction that takes the write lock at once, and bumps the change stamp."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
        conn.execute("UPDATE changes SET stamp = stamp + 1 WHERE id = 1")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")

"""The SQLite file behind the thread store: connection settings, schema and migrations.

WAL lets the app read while an agent process writes; writes take the lock up front
(`BEGIN IMMEDIATE`) and wait up to the busy timeout, so two writers queue instead of failing
halfway. The schema version is `PRAGMA user_version`; each entry of `MIGRATIONS` moves it up
by one and runs in its own transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tui import private_files
from tui.sqlite_wal import StoreLocked, use_wal
from tui.threads.errors import StoreError

SCHEMA_V1 = """
CREATE TABLE messages (
    seq          INTEGER PRIMARY KEY,           -- stable rowid for the FTS index
    id           TEXT NOT NULL UNIQUE,          -- time-sortable (tui.threads.ids)
    parent_id    TEXT REFERENCES messages(id),
    root_id      TEXT NOT NULL,
    depth        INTEGER NOT NULL,
    thread_id    TEXT,                          -- thread that wrote it (no FK: threads go away)
    role         TEXT NOT NULL CHECK (role IN ('system', 'user', 'assistant', 'tool')),
    content      TEXT NOT NULL DEFAULT '',
    tool_calls   TEXT,                          -- JSON list, Chat Completions shape
    tool_call_id TEXT,
    status       TEXT NOT NULL DEFAULT 'complete'
                 CHECK (status IN ('streaming', 'complete', 'error', 'cancelled', 'interrupted')),
    model        TEXT,
    endpoint     TEXT,
    usage        TEXT,                          -- JSON object
    error        TEXT,
    snapshot     TEXT,                          -- git tree oid (built-in agent)
    owner        TEXT,                          -- writer token while streaming (crash recovery)
    created_at   TEXT NOT NULL,
    finished_at  TEXT
);
CREATE INDEX messages_parent ON messages(parent_id, id);
CREATE INDEX messages_root ON messages(root_id);
CREATE INDEX messages_streaming ON messages(status) WHERE status = 'streaming';

-- Finished messages may be shared by many threads: they never change.
CREATE TRIGGER messages_immutable
BEFORE UPDATE OF id, parent_id, root_id, depth, thread_id, role, content, tool_calls,
                 tool_call_id, model, endpoint, usage, error, created_at, status ON messages
WHEN OLD.status <> 'streaming'
BEGIN
    SELECT RAISE(ABORT, 'finished messages are immutable; add a sibling instead');
END;

-- The snapshot is recorded once, after the agent's tools ran.
CREATE TRIGGER messages_snapshot_once
BEFORE UPDATE OF snapshot ON messages
WHEN OLD.snapshot IS NOT NULL AND NEW.snapshot IS NOT OLD.snapshot
BEGIN
    SELECT RAISE(ABORT, 'a message snapshot is recorded once');
END;

CREATE TABLE threads (
    id            TEXT PRIMARY KEY,
    title         TEXT NOT NULL DEFAULT '',
    head_id       TEXT REFERENCES messages(id),
    forked_from   TEXT REFERENCES threads(id) ON DELETE SET NULL,
    fork_point_id TEXT REFERENCES messages(id),
    endpoint      TEXT,
    model         TEXT,
    kind          TEXT NOT NULL DEFAULT 'chat',
    archived      INTEGER NOT NULL DEFAULT 0,
    meta          TEXT NOT NULL DEFAULT '{}',
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX threads_forked_from ON threads(forked_from);
CREATE INDEX threads_head ON threads(head_id);

-- Merge/reduce provenance. History is still built from parent_id only.
CREATE TABLE message_sources (
    message_id       TEXT NOT NULL REFERENCES messages(id),
    target_thread_id TEXT NOT NULL,
    source_thread_id TEXT NOT NULL,
    source_head_id   TEXT NOT NULL REFERENCES messages(id),
    kind             TEXT NOT NULL DEFAULT 'merge' CHECK (kind IN ('merge', 'reduce')),
    PRIMARY KEY (message_id, source_thread_id)
);
CREATE INDEX message_sources_target ON message_sources(target_thread_id, source_head_id);
CREATE INDEX message_sources_head ON message_sources(source_head_id);

-- Full-text search over finished messages; partial replies are indexed once they end.
CREATE VIRTUAL TABLE messages_fts USING fts5(
    content, content='messages', content_rowid='seq', tokenize='unicode61 remove_diacritics 2'
);
CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages
WHEN NEW.status <> 'streaming'
BEGIN
    INSERT INTO messages_fts(rowid, content) VALUES (NEW.seq, NEW.content);
END;
CREATE TRIGGER messages_fts_finish AFTER UPDATE OF status ON messages
WHEN OLD.status = 'streaming' AND NEW.status <> 'streaming'
BEGIN
    INSERT INTO messages_fts(rowid, content) VALUES (NEW.seq, NEW.content);
END;
CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages
WHEN OLD.status <> 'streaming'
BEGIN
    INSERT INTO messages_fts(messages_fts, rowid, content) VALUES ('delete', OLD.seq, OLD.content);
END;
"""

# A streaming reply's text, saved piece by piece: updating the growing `content` rewrites the
# whole row each time, which cost writes quadratic in the reply's length. The pieces are
# folded into `content` when the reply ends (or is found interrupted), then deleted.
SCHEMA_V2 = """
CREATE TABLE message_chunks (
    seq        INTEGER PRIMARY KEY,
    message_id TEXT NOT NULL,
    text       TEXT NOT NULL
);
CREATE INDEX message_chunks_message ON message_chunks(message_id, seq);

CREATE TRIGGER message_chunks_streaming_only
BEFORE INSERT ON message_chunks
WHEN (SELECT status FROM messages WHERE id = NEW.message_id) IS NOT 'streaming'
BEGIN
    SELECT RAISE(ABORT, 'finished messages are immutable; add a sibling instead');
END;
"""

# Migration "thread task" (issue 14): the task a thread belongs to, as the task folder's
# absolute path (one store serves every repository); NULL for a thread of no task.
SCHEMA_V3_THREAD_TASK = """
ALTER TABLE threads ADD COLUMN task TEXT;
CREATE INDEX threads_task ON threads(task);
"""

MIGRATIONS: list[str] = [SCHEMA_V1, SCHEMA_V2, SCHEMA_V3_THREAD_TASK]
SCHEMA_VERSION = len(MIGRATIONS)


def connect(path: Path, *, busy_timeout_ms: int) -> sqlite3.Connection:
    """Open (creating if needed) and migrate the store file."""
    try:
        private_files.store_folder(path)
        # SQLite gives the -wal and -shm files the mode of the database file.
        private_files.private_file(path)
        private_files.make_private(Path(f"{path}-wal"), Path(f"{path}-shm"))
        conn = sqlite3.connect(
            path, isolation_level=None, check_same_thread=False, timeout=busy_timeout_ms / 1000
        )
    except (OSError, sqlite3.Error) as exc:
        raise StoreError(f"cannot open the thread store {path}: {exc}") from exc
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        mode = use_wal(conn, timeout=busy_timeout_ms / 1000)
        if mode != "wal":
            raise StoreError(
                f"the thread store {path} cannot use WAL mode (got {mode!r}); "
                "put the data folder on a local disk (set LOUPE_DATA_DIR)"
            )
        # WAL + NORMAL survives an application crash (only power loss can drop the last
        # transactions), and keeps each commit cheap enough for streaming updates.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn, path)
    except StoreLocked as exc:
        conn.close()
        raise StoreError(f"the thread store {path} is {exc}; close the other loupe or try again") from exc
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise StoreError(
            f"the thread store {path} is unreadable ({exc}); move it aside to start a new one"
        ) from exc
    except BaseException:
        conn.close()
        raise
    return conn


def migrate(conn: sqlite3.Connection, path: Path) -> None:
    with transaction(conn):
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"the thread store {path} was written by a newer loupe (schema {version}, "
                f"this one knows {SCHEMA_VERSION}); upgrade loupe"
            )
        for number in range(version, SCHEMA_VERSION):
            for statement in _statements(MIGRATIONS[number]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {number + 1}")


def _statements(script: str) -> Iterator[str]:
    """Split a schema script into statements (executescript would commit our transaction)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        if line.lstrip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            yield buffer.strip()
            buffer = ""
    if buffer.strip():
        yield buffer.strip()


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A write transaction that takes the write lock at once (no upgrade deadlocks)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")

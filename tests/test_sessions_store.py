"""The session store opens what older loupes wrote: missing columns are added, and old rows
read as their defaults."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.test_sessions_units import _session
from tui.sessions.store import SessionStore

# The sessions table as loupe wrote it before sessions had hosts.
OLD_SCHEMA = """
CREATE TABLE sessions (
    id TEXT PRIMARY KEY, repo TEXT NOT NULL, number INTEGER NOT NULL, agent TEXT NOT NULL,
    status_source TEXT NOT NULL, task TEXT NOT NULL, branch TEXT NOT NULL, worktree TEXT NOT NULL,
    worktree_name TEXT NOT NULL, base_commit TEXT NOT NULL, base_branch TEXT NOT NULL,
    tmux_socket TEXT NOT NULL, port_base INTEGER NOT NULL, created_at REAL NOT NULL,
    prompt TEXT NOT NULL DEFAULT '', task_dir TEXT, command TEXT NOT NULL DEFAULT '',
    base_ref TEXT NOT NULL DEFAULT 'HEAD', ended_at REAL, exit_code INTEGER, removed_at REAL
);
"""


def test_a_store_from_an_older_loupe_reads_its_sessions_as_local(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(OLD_SCHEMA)
        db.execute("INSERT INTO sessions (id, repo, number, agent, status_source, task, branch, worktree, "
                   "worktree_name, base_commit, base_branch, tmux_socket, port_base, created_at) "
                   "VALUES ('0ld5e5', ?, 0, 'shell', 'screen', 't', 'loupe/t/1', ?, 't-1', '', 'main', "
                   "'loupe', 30000, 1.0)", (str(tmp_path), str(tmp_path / "w")))
    db.close()
    store = SessionStore(path)
    (old,) = store.list(tmp_path)
    assert (old.id, old.host, old.stopped_at) == ("0ld5e5", "local", None)
    store.update(old.id, stopped_at=5.0)
    again = SessionStore(path)  # opening twice adds nothing twice
    assert again.get(old.id).stopped_at == 5.0
    added = again.add(_session(tmp_path, "new5e5"), port_start=30000, port_free=lambda base: True)
    assert again.get(added.id).host == "local"

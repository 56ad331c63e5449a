"""What ties sessions and threads to their task: the stores' new columns, old files migrated,
and the demo script's turns (issue 14)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tui.sessions.model import Session
from tui.sessions.store import SessionStore

# The sessions table as loupe wrote it before phases.
OLD_SESSIONS = """
CREATE TABLE sessions (
    id TEXT PRIMARY KEY, repo TEXT NOT NULL, number INTEGER NOT NULL, agent TEXT NOT NULL,
    status_source TEXT NOT NULL, task TEXT NOT NULL, branch TEXT NOT NULL, worktree TEXT NOT NULL,
    worktree_name TEXT NOT NULL, base_commit TEXT NOT NULL, base_branch TEXT NOT NULL,
    tmux_socket TEXT NOT NULL, port_base INTEGER NOT NULL, created_at REAL NOT NULL,
    prompt TEXT NOT NULL DEFAULT '', task_dir TEXT, command TEXT NOT NULL DEFAULT '',
    base_ref TEXT NOT NULL DEFAULT 'HEAD', ended_at REAL, exit_code INTEGER, removed_at REAL
);
INSERT INTO sessions VALUES ('abc123', '/r', 0, 'claude', 'claude', 't', 'loupe/t/1', '/w', 't-1',
    'c0ffee', 'main', 'loupe', 20000, 1.0, 'fix it', NULL, 'claude', 'HEAD', NULL, NULL, NULL);
"""


def session(number: int = 0, **values: object) -> Session:
    base = dict(id=f"s{number}x", repo=Path("/r"), number=number, agent="shell", status_source="screen",
                task="t", branch="", worktree=Path("/r/.loupe/tasks/t"), worktree_name="", base_commit="c",
                base_branch="", tmux_socket="loupe", port_base=0)
    base.update(values)
    return Session(**base)  # type: ignore[arg-type]


def test_an_old_session_store_gains_phase_and_output_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "sessions.sqlite"
    conn = sqlite3.connect(path)
    conn.executescript(OLD_SESSIONS)
    conn.close()
    store = SessionStore(path)
    (old,) = store.list()
    assert (old.id, old.prompt, old.phase, old.output, old.in_place) == ("abc123", "fix it", "", "", False)
    store.add(session(phase="research", output="02-research.md", task_dir=Path("/r/.loupe/tasks/t")),
              port_start=30000, port_free=lambda base: True)
    new = store.get("s0x")
    assert new is not None and (new.phase, new.output, new.in_place) == ("research", "02-research.md", True)
    # Opening it again (another loupe) changes nothing.
    assert [s.id for s in SessionStore(path).list()] == ["abc123", "s0x"]

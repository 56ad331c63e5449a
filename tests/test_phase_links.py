"""What ties sessions and threads to their task: the stores' new columns, old files migrated,
and the demo script's turns (issue 14)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tui.model.script import Reply, answers, model_turn
from tui.sessions.model import Session
from tui.sessions.store import SessionStore
from tui.threads import ThreadStore
from tui.threads.db import MIGRATIONS, _statements

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


def test_threads_can_belong_to_a_task_and_forks_stay_with_it(tmp_path: Path) -> None:
    with ThreadStore(tmp_path / "threads.sqlite") as store:
        filed = store.create_thread("research chat", task="/r/.loupe/tasks/t")
        loose = store.create_thread("loose")
        store.append(filed.id, "user", "where are the counts?")
        fork = store.fork(filed.id)
        assert fork.task == "/r/.loupe/tasks/t" and fork.to_dict()["task"] == "/r/.loupe/tasks/t"
        assert {t.id for t in store.list_threads(task="/r/.loupe/tasks/t")} == {filed.id, fork.id}
        assert store.set_task(loose.id, "/r/.loupe/tasks/u").task == "/r/.loupe/tasks/u"
        assert store.set_task(loose.id, None).task is None


def test_a_thread_store_from_before_tasks_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "threads.sqlite"
    conn = sqlite3.connect(path)
    for script in MIGRATIONS[:-1]:
        for statement in _statements(script):
            conn.execute(statement)
    conn.execute(f"PRAGMA user_version = {len(MIGRATIONS) - 1}")
    stamp = "2026-01-01T00:00:00+00:00"
    conn.execute("INSERT INTO threads (id, title, created_at, updated_at) VALUES ('T1', 'old', ?, ?)",
                 (stamp, stamp))
    conn.commit()
    conn.close()
    with ThreadStore(path) as store:
        (old,) = store.list_threads()
        assert (old.title, old.task) == ("old", None)


def test_a_scripted_reply_can_answer_one_turn_of_an_agents_conversation() -> None:
    first = {"messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "Research this"}]}
    later = {"messages": [*first["messages"], {"role": "assistant", "content": "", "tool_calls": []},
                          {"role": "tool", "content": "ok"}]}
    assert (model_turn(first), model_turn(later)) == (1, 2)
    reply = Reply(match="research", turn=2)
    assert not answers(reply, "research this", 1) and answers(reply, "research this", 2)
    assert not answers(reply, "something else", 2)

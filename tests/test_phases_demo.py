"""The demo runs a phase for real: `loupe agent` in tmux, against the demo's offline scripted
model, writes the stats task's research live (issue 14)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.sessions import make_manager
from tests.helpers import wait_for
from tui.config import Config
from tui.demo import ensure_demo_workspace
from tui.model.script import demo_script
from tui.model.scripted_server import ScriptedServer
from tui.phases.demo import DEMO_AGENT, demo_agent_kind
from tui.phases.launch import start_phase
from tui.phases.lookup import find_task
from tui.phases.prompt import prepare
from tui.phases.recipes import load_recipes
from tui.phases.timeline import Kind, timeline
from tui.sessions.manager import SessionManager
from tui.sessions.procs import session_members
from tui.sessions.status_file import State
from tui.threads import ThreadStore

pytestmark = pytest.mark.slow


@pytest.fixture
def demo_server() -> Iterator[ScriptedServer]:
    with ScriptedServer(script=demo_script()) as server:
        yield server


@pytest.fixture
def demo_manager(tmux_socket: str) -> Iterator[SessionManager]:
    manager = make_manager(ensure_demo_workspace(), tmux_socket)
    yield manager
    panes = [p.pid for p in manager.tmux().list_panes().values() if p.pid]
    for session in manager.sessions():
        manager.remove(session, confirm=True)
    # The agent may still be closing its store when the tmux window goes: it ends on SIGHUP.
    wait_for(lambda: not [pid for pid in panes if session_members(pid)], "no agent process left")


def test_the_demo_agent_writes_the_stats_research_live(demo_manager: SessionManager,
                                                       demo_server: ScriptedServer) -> None:
    demo_manager.kinds[DEMO_AGENT] = demo_agent_kind(demo_server.base_url)
    tasks = demo_manager.root / ".loupe" / "tasks"
    task = find_task(tasks, "stats-command")
    prepared = prepare(task, load_recipes(Config())["research"], repo_root=demo_manager.root)
    session = start_phase(demo_manager, prepared, agent=DEMO_AGENT).session
    assert session.in_place and session.worktree == task.path.resolve()

    artifact = task.path / "02-research.md"
    seen: list[str] = []

    def written(marker: str) -> bool:
        text = artifact.read_text() if artifact.is_file() else ""
        if text and text not in seen:
            seen.append(text)
        return marker in text

    # It appears with the first answers, then grows: what the pane reloads and marks.
    wait_for(lambda: written("## Q1:"), "the research to appear", timeout=60)
    wait_for(lambda: written("## Q4:"), "the research to be finished", timeout=60)
    assert seen[0].startswith("---\nphase: research\n---\n") and "## Q4:" not in seen[0]
    assert "quarry/backends/sqlite.py:106" in seen[-1]
    ended = [None]

    def exited() -> bool:
        ended[0] = next(s for s in demo_manager.poll() if s.session.id == session.id)
        pane = demo_manager.tmux().list_panes().get(session.tmux_session)
        return ended[0].state is State.EXITED and pane is not None and pane.dead
    wait_for(exited, "the agent to finish", timeout=60)
    assert ended[0].exit_code == 0

    # The model was sent the questions, and not the ticket.
    sent = demo_server.chat_requests[0].body["messages"]
    prompt = next(m["content"] for m in sent if m["role"] == "user")
    assert "Can the counts come from one" in prompt and "webhook outage" not in prompt

    with ThreadStore() as store:
        threads = store.list_threads(task=str(task.path.resolve()))
    assert [t.kind for t in threads] == ["agent"]
    rescanned = find_task(tasks, "stats-command")
    events = timeline(rescanned, sessions=demo_manager.sessions(), threads=threads,
                      snapshots={s.session.id: s for s in demo_manager.poll(set())})
    (research,) = [e for e in events if e.title == "02-research.md"]
    assert [w.session_id for w in research.writers] == [session.id] and research.phase == "research"
    assert [e.kind for e in events if e.session_id == session.id] == [Kind.SESSION, Kind.THREAD]
    assert Path(research.path) == artifact

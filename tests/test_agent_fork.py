"""Forking a built-in agent's session: fork points, the agent's thread, conversation + code."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.model_server import Reply, ToolCallSpec
from tests.fixtures.sessions import SessionsHarness
from tests.helpers import shows, wait_for
from tui.agent.fork import ForkError, agent_thread_of_session, find_fork_point, fork_points, fork_session
from tui.model.scripted_server import ScriptedServer
from tui.sessions.model import Session
from tui.sessions.status_file import State
from tui.sessions.tmux import PaneInfo
from tui.threads.model import Role, Status
from tui.threads.store import ThreadStore


def call(call_id: str, name: str = "shell", arguments: str = '{"command": ["pytest"]}') -> dict:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


@pytest.fixture
def store() -> ThreadStore:
    with ThreadStore() as s:
        yield s


def test_fork_points_follow_turn_boundaries(store: ThreadStore) -> None:
    thread = store.create_thread("fix", kind="agent", meta={"session": "abc123"})
    prompt = store.append(thread.id, Role.USER, "Fix the test")
    store.set_snapshot(prompt.id, "t0")
    turn = store.append(thread.id, Role.ASSISTANT, "Reading first.", tool_calls=[call("c1", "read_file", '{"file_path": "a.py"}'), call("c2")])
    store.append(thread.id, Role.TOOL, "L1: x", tool_call_id="c1")
    last_result = store.append(thread.id, Role.TOOL, "Exit code: 0", tool_call_id="c2")
    store.set_snapshot(turn.id, "t1")
    failed = store.append(thread.id, Role.ASSISTANT, "half", status=Status.ERROR, error="boom")
    final = store.append(thread.id, Role.ASSISTANT, "Done.", parent_id=last_result.id)
    history = store.history(thread.id)
    assert failed.id not in [m.id for m in history]

    points = fork_points(history)
    assert [(p.number, p.message.id, p.fork_at, p.snapshot) for p in points] == [
        (1, prompt.id, prompt.id, "t0"),
        (2, turn.id, last_result.id, "t1"),
        (3, final.id, final.id, "t1"),  # no snapshot of its own: the latest one above
    ]
    assert points[0].label == "prompt: Fix the test"
    assert points[1].label == "Reading first. · read_file(file_path='a.py') · $ pytest"
    assert find_fork_point(history, last_result.id) == points[1]
    with pytest.raises(ForkError, match="not a place to fork at"):
        find_fork_point(history, history[2].id)  # the first tool result, mid-turn


def test_a_turn_still_running_its_tools_is_not_a_fork_point(store: ThreadStore) -> None:
    thread = store.create_thread("t", kind="agent")
    store.append(thread.id, Role.USER, "go")
    store.append(thread.id, Role.ASSISTANT, "", tool_calls=[call("c1"), call("c2")])
    store.append(thread.id, Role.TOOL, "done", tool_call_id="c1")
    assert [p.number for p in fork_points(store.history(thread.id))] == [1]


def test_the_agent_thread_of_a_session(store: ThreadStore) -> None:
    store.create_thread("chat", meta={"session": "s1"})
    older = store.create_thread("first run", kind="agent", meta={"session": "s1"})
    newer = store.create_thread("second run", kind="agent", meta={"session": "s1"})
    store.append(older.id, Role.USER, "y")  # activity does not matter: the newest thread wins
    assert agent_thread_of_session(store, "s1").id == newer.id
    with pytest.raises(ForkError, match="has no loupe agent conversation"):
        agent_thread_of_session(store, "s2")


def pane(sessions: SessionsHarness, session: Session) -> PaneInfo:
    return sessions.manager.tmux(session.tmux_socket).list_panes()[session.tmux_session]


def wait_ended(sessions: SessionsHarness, session: Session) -> None:
    """The agent said it exited, and its process (the pane's) is gone too."""
    sessions.wait_state(session, State.EXITED, timeout=30)
    wait_for(lambda: pane(sessions, session).dead, f"session {session.number}'s pane to close")


FIRST = "*** Begin Patch\n*** Add File: notes.txt\n+v1\n*** End Patch\n"
SECOND = "*** Begin Patch\n*** Update File: notes.txt\n-v1\n+v2\n*** End Patch\n"


@pytest.mark.slow
def test_fork_a_running_agent_session_at_a_message(
    sessions: SessionsHarness, model_server: ScriptedServer, model_config: Path,
) -> None:
    model_server.script(
        Reply(text="Writing v1.", tool_calls=[ToolCallSpec("apply_patch", {"input": FIRST}, id="p1")]),
        Reply(text="Now v2.", tool_calls=[ToolCallSpec("apply_patch", {"input": SECOND}, id="p2")]),
        Reply(text="Notes are at v2."),
    )
    origin = sessions.start("loupe", task="notes", prompt="Write the notes")
    wait_ended(sessions, origin)
    assert (origin.worktree / "notes.txt").read_text() == "v2\n"

    with ThreadStore() as store:
        thread = agent_thread_of_session(store, origin.id)
        history = store.history(thread.id)
        points = fork_points(history)
        assert [p.label for p in points] == [
            "prompt: Write the notes", "Writing v1. · apply_patch notes.txt",
            "Now v2. · apply_patch notes.txt", "Notes are at v2.",
        ]
        chosen = points[1]  # after v1 was written
        model_server.script("Fork carries on from v1.")
        forked = fork_session(sessions.manager, store, origin, chosen.message.id)
    sessions.pane_pids.add(pane(sessions, forked.session).pid)
    wait_ended(sessions, forked.session)

    # The worktree: the code recorded at M, on a commit whose parent is the origin's base.
    assert (forked.session.worktree / "notes.txt").read_text() == "v1\n"
    repo = sessions.repo
    head_tree = repo.git("-C", str(forked.session.worktree), "rev-parse", "HEAD^{tree}").stdout.strip()
    assert head_tree == chosen.snapshot
    assert repo.git("rev-parse", f"{forked.commit}^").stdout.strip() == origin.base_commit
    assert forked.session.base_commit == origin.base_commit
    assert forked.session.base_branch == origin.base_branch

    # The conversation: ends at M (the result of v1's patch), then the fork's own reply.
    with ThreadStore() as store:
        fork_thread = store.thread(forked.thread.id)
        fork_history = store.history(fork_thread.id)
        origin_after = store.history(thread.id)
    assert fork_thread.fork_point_id == chosen.fork_at
    assert fork_thread.meta["session"] == forked.session.id
    upto = [m.id for m in history][: [m.id for m in history].index(chosen.fork_at) + 1]
    assert [m.id for m in fork_history][: len(upto)] == upto
    assert [m.content for m in fork_history[len(upto):]] == ["Fork carries on from v1."]
    sent = model_server.chat_requests[-1].body["messages"]
    assert sent[-1]["role"] == "tool" and sent[-1]["tool_call_id"] == "p1"
    # The origin is untouched.
    assert [m.id for m in origin_after] == [m.id for m in history]
    assert (origin.worktree / "notes.txt").read_text() == "v2\n"


@pytest.mark.slow
async def test_fork_from_the_session_grid(
    sessions: SessionsHarness, model_server: ScriptedServer, model_config: Path,
) -> None:
    from textual.widgets import Input, OptionList

    from tests.helpers import wait_until
    from tui.app import LoupeApp
    from tui.dialogs.fork_session import ForkSessionScreen
    from tui.views.sessions import SessionsView
    from tui.workspace import open_workspace

    model_server.script(
        Reply(tool_calls=[ToolCallSpec("apply_patch", {"input": FIRST}, id="p1")]),
        Reply(tool_calls=[ToolCallSpec("apply_patch", {"input": SECOND}, id="p2")]),
        Reply(text="Notes are at v2."),
    )
    origin = sessions.start("loupe", task="notes", prompt="Write the notes")
    wait_ended(sessions, origin)
    workspace = open_workspace(sessions.repo.path)
    workspace.config.sessions.tmux_socket = sessions.socket
    app = LoupeApp(workspace, remember_theme=False)
    async with app.run_test(size=(150, 44)) as pilot:
        view = app.screen_stack[0].query_one(SessionsView)
        await wait_until(pilot, lambda: view.tiles(), "the origin's tile")
        view.tiles()[0].focus()
        await pilot.press("f")
        await wait_until(pilot, lambda: shows(app, ForkSessionScreen), "the fork picker")
        options = app.screen.query_one(OptionList)
        assert options.option_count == 4
        options.highlighted = 1  # after the first patch: notes.txt is v1
        model_server.script(Reply(match="rename", text="Renamed nothing; the notes say v1."))
        await pilot.press("enter")  # pick it; the focus moves to the instruction
        assert app.screen.query_one(Input).has_focus
        await pilot.press(*"now rename it", "enter")
        await wait_until(pilot, lambda: len(view.tiles()) == 2, "the fork's tile", timeout=20)
        # The tile can show before the start returns (its log filter is still starting).
        await wait_until(pilot, lambda: any(n.title == "Forked session 0" for n in app._notifications),
                         "the fork's notification")
    forked = next(s for s in sessions.manager.sessions() if s.id != origin.id)
    sessions.pane_pids.add(pane(sessions, forked).pid)
    wait_ended(sessions, forked)
    assert (forked.worktree / "notes.txt").read_text() == "v1\n"
    with ThreadStore() as store:
        fork_thread = agent_thread_of_session(store, forked.id)
        contents = [m.content for m in store.history(fork_thread.id)]
        recorded = fork_points(store.history(agent_thread_of_session(store, origin.id).id))[1].snapshot
    # The new worktree starts from exactly the code recorded at the message picked.
    head_tree = sessions.repo.git("-C", str(forked.worktree), "rev-parse", "HEAD^{tree}").stdout.strip()
    assert recorded and head_tree == recorded
    assert contents[0] == "Write the notes"
    assert contents[-2:] == ["now rename it", "Renamed nothing; the notes say v1."]
    assert len(contents) == 5  # prompt, patch call, its result, the new instruction, the reply

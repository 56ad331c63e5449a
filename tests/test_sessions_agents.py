"""Each preset against a fake of its agent in real tmux: how the first prompt gets in, and
the states its screen and its own signals give (`tests/fixtures/fake_agents.py`)."""

from __future__ import annotations

import json
import time

import pytest

from tests.fixtures.fake_agents import FakeAgents
from tests.fixtures.sessions import SessionsHarness
from tests.test_sessions_killed import cli_config, loupe  # noqa: F401 - a fixture
from tests.helpers import wait_for
from tui.sessions.model import Snapshot
from tui.sessions.status import DEBOUNCE
from tui.sessions.status_file import State, read_status

pytestmark = pytest.mark.slow


def _quiet_for(sessions: SessionsHarness, session, seconds: float, seen: list[Snapshot]) -> None:  # noqa: ANN001
    """Poll until the screen has not changed for `seconds`, keeping every snapshot."""
    def quiet() -> bool:
        seen.append(sessions.snapshot(session))
        changed_at = sessions.manager.observer._memory[session.id].tracker.changed_at
        return time.time() - changed_at > seconds

    wait_for(quiet, f"the screen to stand still for {seconds}s", timeout=20)


def test_codex_gets_its_prompt_after_dashes_and_ignores_its_title_side_turn(
        sessions: SessionsHarness, fake_agents: FakeAgents) -> None:
    session = sessions.start("codex", task="codexed", prompt="-v refactor it")
    fake_agents.wait("argv", "Codex to start")
    assert json.loads(fake_agents.read("argv"))[-2:] == ["--", "-v refactor it"]
    asked = sessions.wait_state(session, State.NEEDS_INPUT)
    assert "trust the contents of this directory" in asked.question
    sessions.manager.send([session], "")
    fake_agents.wait("side-turn-reported", "Codex to notify the end of its title turn")
    # The side turn says nothing about this session's turn, which still runs.
    seen: list[Snapshot] = []
    _quiet_for(sessions, session, DEBOUNCE + 0.5, seen)
    assert {s.state for s in seen} == {State.WORKING}
    assert read_status(sessions.files(session).status_file) is None
    fake_agents.go("finish")
    fake_agents.wait("turn-reported", "Codex to notify the end of the turn")
    idle = sessions.wait_state(session, State.IDLE)
    assert idle.source == "hook"


def _tick(sessions: SessionsHarness) -> list[Snapshot]:
    """What the app's monitor does each tick: poll, then type queued text where it can."""
    snapshots = sessions.manager.poll()
    sessions.manager.deliver_queued(snapshots)
    return snapshots


def _state_after_tick(sessions: SessionsHarness, session) -> State:  # noqa: ANN001
    return next(s.state for s in _tick(sessions) if s.session.id == session.id)


def test_aider_gets_its_first_prompt_only_once_its_input_prompt_shows(
        sessions: SessionsHarness, fake_agents: FakeAgents) -> None:
    session = sessions.start("aider", task="aidered", prompt="build the parser")
    # Booting, it reads nothing (and then drops what was typed ahead) while its screen is
    # quiet long enough to read idle: the prompt must wait.
    wait_for(lambda: _state_after_tick(sessions, session) is State.IDLE, "the booting aider to read idle")
    _tick(sessions)
    assert [q.text for q in sessions.manager.store.pending(session.id)] == ["build the parser"]
    fake_agents.go("booted")
    wait_for(lambda: _tick(sessions) and "build the parser" in fake_agents.read("received"),
             "the first prompt to reach aider")
    wait_for(lambda: _tick(sessions) and not sessions.manager.store.unconfirmed(session.id),
             "loupe to see the prompt arrived")
    assert sessions.manager.store.undelivered(session.id) == []


def test_aider_asks_is_answered_and_goes_idle_with_one_wait(
        sessions: SessionsHarness, fake_agents: FakeAgents) -> None:
    fake_agents.go("booted")
    session = sessions.start("aider", task="asking", prompt="ask")
    wait_for(lambda: _state_after_tick(sessions, session) is State.NEEDS_INPUT, "aider's question")
    question = sessions.snapshot(session).question
    assert question.startswith("Add file to the chat? (Y)es/(N)o")
    sessions.manager.send([session], "y")
    fake_agents.wait("answers", "the answer to reach aider")
    # Answered, it works (the reply waits for the test), then goes back to its prompt.
    seen: list[Snapshot] = []
    _quiet_for(sessions, session, DEBOUNCE + 0.5, seen)
    assert State.NEEDS_INPUT not in {s.state for s in seen[1:]}
    fake_agents.go("reply-1")
    idle = sessions.wait_state(session, State.IDLE)
    assert idle.wait_id == sessions.snapshot(session).wait_id == 1


def test_loupe_session_start_returns_once_aider_took_its_prompt(
        sessions: SessionsHarness, fake_agents: FakeAgents, cli_config: None) -> None:  # noqa: F811
    fake_agents.go("booted")
    done = loupe(sessions.repo.path, "start", "--agent", "aider", "--task", "cli", "--json", "build", "it")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["prompt"] == "delivered"
    assert fake_agents.read("received") == "build it\n"


def test_opencode_states_come_from_loupes_plugin_not_its_screen(
        sessions: SessionsHarness, fake_agents: FakeAgents) -> None:
    session = sessions.start("opencode", task="opencoded", prompt="fix the parser")
    fake_agents.wait("argv", "opencode to start")
    assert json.loads(fake_agents.read("argv")) == ["--prompt=fix the parser"]
    fake_agents.wait("subagent-done", "its subagent to finish")
    # The screen stands still, a subagent went idle: the session's own turn still runs.
    seen: list[Snapshot] = []
    _quiet_for(sessions, session, DEBOUNCE + 0.5, seen)
    assert {s.state for s in seen[1:]} == {State.WORKING} and seen[-1].source == "hook"
    fake_agents.go("ask")
    asked = sessions.wait_state(session, State.NEEDS_INPUT)
    assert asked.question == "git push origin main"
    sessions.manager.send([session], "y")
    fake_agents.wait("answer", "the answer to reach opencode")
    assert sessions.wait_state(session, State.WORKING).source == "hook"
    fake_agents.go("finish")
    assert sessions.wait_state(session, State.IDLE).source == "hook"
    # loupe's plugin is not the agent's work.
    assert sessions.manager.diff(session).files == ()

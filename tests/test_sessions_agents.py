"""Each preset against a fake of its agent in real tmux: how the first prompt gets in, and
the states its screen and its own signals give (`tests/fixtures/fake_agents.py`)."""

from __future__ import annotations

import json
import time

import pytest

from tests.fixtures.fake_agents import FakeAgents
from tests.fixtures.sessions import SessionsHarness
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

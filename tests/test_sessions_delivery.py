"""Queued text reaches the agent or says it did not: typed only at the agent's input prompt,
checked for arriving, typed again, and given up with a reason the listing shows."""

from __future__ import annotations

import pytest

from tests.fixtures.sessions import SessionsHarness
from tests.helpers import ManualClock, wait_for
from tui.sessions.agents import AgentKind
from tui.sessions.delivery import ATTEMPTS, CONFIRM_WITHIN, READY_WITHIN, Delivery
from tui.sessions.model import Session
from tui.sessions.status_file import State

pytestmark = pytest.mark.slow


def _delivery(sessions: SessionsHarness, clock: ManualClock) -> Delivery:
    manager = sessions.manager
    return Delivery(manager.store, manager.observer, poll=manager.poll, host_of=manager.host_of,
                    changed=manager.invalidate, kinds=manager.kinds, clock=clock)


def _kind(sessions: SessionsHarness, name: str, body: str, ready: str) -> str:
    sessions.script_kind(name, body)
    kind = sessions.manager.kinds[name]
    sessions.manager.kinds[name] = AgentKind(kind.name, kind.command, ready_pattern=ready)
    return name


def _idle_tick(sessions: SessionsHarness, delivery: Delivery, session: Session) -> list[Session]:
    """Poll until the session reads idle, then let `delivery` act once."""
    snapshots: list = []

    def idle() -> bool:
        snapshots[:] = sessions.manager.poll()
        return any(s.session.id == session.id and s.state is State.IDLE for s in snapshots)

    wait_for(idle, f"session {session.number} to read idle")
    return delivery.deliver_queued(snapshots)


def test_text_for_an_agent_that_never_shows_its_input_prompt_is_given_up_visibly(
        sessions: SessionsHarness) -> None:
    clock = ManualClock(1_000_000.0)
    delivery = _delivery(sessions, clock)
    kind = _kind(sessions, "mute", "echo 'loading forever'\nread x\n", ready=r"^ready>$")
    session = sessions.start(kind, prompt="do the thing")
    assert _idle_tick(sessions, delivery, session) == []
    clock.now += READY_WITHIN + 1
    assert _idle_tick(sessions, delivery, session) == []
    (given_up,) = sessions.manager.store.undelivered(session.id)
    assert given_up.text == "do the thing" and "never showed its input prompt" in given_up.failure
    assert sessions.manager.store.pending(session.id) == []
    assert sessions.snapshot(session).undelivered == 1


def test_typed_text_that_never_arrives_is_typed_again_then_given_up(sessions: SessionsHarness) -> None:
    clock = ManualClock(1_000_000.0)
    delivery = _delivery(sessions, clock)
    # It reads each line without echo and without a word: nothing shows it got anything.
    kind = _kind(sessions, "deaf", "stty -echo\nwhile true; do printf 'ready>'; read line;"
                                    " echo \"$line\" >> .got; printf '\\033[2J\\033[H'; done\n",
                 ready=r"^ready>$")
    session = sessions.start(kind, prompt="are you there")
    for attempt in range(1, ATTEMPTS + 1):
        assert _idle_tick(sessions, delivery, session) == [session], f"attempt {attempt} not typed"
        wait_for(lambda: len((session.worktree / ".got").read_text().splitlines()) == attempt
                 if (session.worktree / ".got").exists() else False, f"attempt {attempt} to be read")
        clock.now += CONFIRM_WITHIN + 1
        _idle_tick(sessions, delivery, session)
    (given_up,) = sessions.manager.store.undelivered(session.id)
    assert given_up.attempts == ATTEMPTS and "without reaching the agent" in given_up.failure
    assert sessions.manager.store.queued_state(given_up.id) == "undelivered"

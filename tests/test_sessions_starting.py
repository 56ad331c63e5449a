"""A session between its entry in the store and its window: listed as starting, never as
exited, and an end wrongly recorded for a live session is taken back."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.sessions import SessionsHarness, make_manager
from tests.test_sessions_units import _session
from tui.sessions.errors import SessionError
from tui.sessions.host import Launch, Launched, SessionHost
from tui.sessions.model import Session
from tui.sessions.observer import START_GRACE, Observer
from tui.sessions.presets import PRESETS
from tui.sessions.status_file import State

pytestmark = pytest.mark.slow


class GatedHost:
    """This machine as a host, whose launches wait at the gate until the test opens it."""

    def __init__(self, inner: SessionHost) -> None:
        self.inner = inner
        self.waiting = threading.Event()
        self.gate = threading.Event()

    def launch(self, session: Session, launch: Launch) -> Launched:
        self.waiting.set()
        assert self.gate.wait(60), "the test never opened the gate"
        return self.inner.launch(session, launch)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_session_listed_before_its_window_exists_is_starting_never_exited(sessions: SessionsHarness) -> None:
    gated = GatedHost(sessions.manager.hosts["local"])
    sessions.manager.hosts["local"] = gated  # type: ignore[assignment]
    kind = sessions.script_kind("slowstart", "echo up\nread x\n")
    started: list[Session] = []
    starter = threading.Thread(
        target=lambda: started.append(sessions.manager.start(task="racy", agent=kind).session))
    starter.start()
    try:
        assert gated.waiting.wait(60), "the start never reached its launch"
        # Another loupe lists the sessions now: the entry is stored, the window not made.
        other = make_manager(sessions.repo.path, sessions.socket, store=sessions.manager.store)
        (snapshot,) = other.poll()
        assert (snapshot.state.value, snapshot.live) == ("starting", True)
        assert sessions.manager.store.get(snapshot.session.id).ended_at is None
        with pytest.raises(SessionError, match="still starting"):
            other.send([snapshot.session], "hello")
    finally:
        gated.gate.set()
        starter.join(60)
        sessions.manager.hosts["local"] = gated.inner
    (session,) = started
    sessions.wait_screen(session, "up")
    (snapshot,) = other.poll()
    assert snapshot.state is not State.EXITED
    assert sessions.manager.store.get(session.id).ended_at is None


def test_a_start_that_never_made_its_window_has_ended_once_the_grace_is_over(tmp_path: Path) -> None:
    observer = Observer(dict(PRESETS), memory_dir=tmp_path)
    session = _session(tmp_path, "d1ed00")
    session.created_at = 1000.0
    assert observer.observe(session, None, None, 1000.0 + 5).state is State.STARTING
    assert observer.observe(session, None, None, 1000.0 + START_GRACE + 1).state is State.EXITED
    session.launched_at = 1001.0
    assert Observer(dict(PRESETS), memory_dir=tmp_path).observe(session, None, None, 1002.0).state is State.EXITED


def test_an_end_recorded_for_a_live_session_is_taken_back(sessions: SessionsHarness) -> None:
    session = sessions.start(sessions.script_kind("lives", "echo up\nread x\n"))
    sessions.wait_screen(session, "up")
    # What an older loupe's listing wrote during the start race.
    assert sessions.manager.store.mark_ended(session.id, None)
    sessions.manager.invalidate()
    assert sessions.snapshot(session).live
    assert sessions.manager.store.get(session.id).ended_at is None
    sessions.manager.send([session], "bye")
    assert sessions.wait_state(session, State.EXITED).exit_code == 0

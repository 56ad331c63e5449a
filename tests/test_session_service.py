"""The app's session service: whoever waits for it to open reads a manager, never None."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.fixtures.sessions import SessionsHarness
from tui.events import Event
from tui.services.sessions import SessionService
from tui.workspace import open_workspace


class RecordingEvent(threading.Event):
    """`opened`, noting what a waiter woken by `set` would read at that moment."""

    def __init__(self, service: SessionService) -> None:
        super().__init__()
        self.service = service
        self.manager_at_set: list[bool] = []

    def set(self) -> None:
        self.manager_at_set.append(self.service.manager is not None)
        super().set()


def test_the_manager_is_there_when_opened_is_set(sessions: SessionsHarness) -> None:
    # A phase dialog opened in the first second waited on `opened`, read `manager` as None
    # and said "sessions are not available yet": `opened` was set before `manager`.
    workspace = open_workspace(sessions.repo.path)
    workspace.config.sessions.tmux_socket = sessions.socket
    service = SessionService(workspace)
    opened = RecordingEvent(service)
    service.opened = opened
    events: list[Event] = []
    try:
        assert service._open(events.append) is not None
        assert opened.manager_at_set == [True]
        assert service.problem == ""
    finally:
        service.close()


def test_a_store_that_cannot_open_is_a_problem_not_a_wait(
    sessions: SessionsHarness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("LOUPE_DATA_DIR", str(blocker / "loupe"))
    workspace = open_workspace(sessions.repo.path)
    workspace.config.sessions.tmux_socket = sessions.socket
    service = SessionService(workspace)
    events: list[Event] = []
    service._open(events.append)
    assert service.opened.is_set()
    assert service.manager is None and service.problem.startswith("sessions are unavailable")
    service.close()

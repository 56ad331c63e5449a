"""Stopping sessions: how they end, what loupe records, and what it shows afterwards."""

from __future__ import annotations

import dataclasses
import shutil
import signal

import pytest

from tests.fixtures.sessions import SessionsHarness
from tests.helpers import process_alive, wait_for
from tui.sessions.procs import session_members
from tui.sessions.status_file import State
from tui.sessions.tmux import parse_panes

pytestmark = pytest.mark.slow


def test_a_plain_shell_is_hung_up_and_shows_stopped(sessions: SessionsHarness,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    bash = shutil.which("bash")
    assert bash is not None, "bash is needed: an interactive bash ignores SIGTERM"
    monkeypatch.setenv("SHELL", bash)
    session = sessions.start("shell", task="plain shell")
    sessions.manager.send([session], "echo shell-is-up")
    sessions.wait_screen(session, "shell-is-up")
    # A grace long enough that SIGKILL, were it needed, could not be what ended the shell.
    outcomes = sessions.manager.stop_many([session], grace=30.0)
    assert outcomes == {session.id: 128 + signal.SIGHUP}
    snapshot = sessions.snapshot(session)
    assert snapshot.state is State.EXITED and snapshot.stopped
    assert sessions.manager.store.get(session.id).stopped_at is not None
    from tui.sessions.cli import _state_label

    assert _state_label(snapshot) == "stopped"


def test_an_exit_on_its_own_is_not_called_stopped(sessions: SessionsHarness) -> None:
    kind = sessions.script_kind("brief", "exit 7\n")
    session = sessions.start(kind)
    snapshot = sessions.wait_state(session, State.EXITED)
    assert (snapshot.exit_code, snapshot.stopped) == (7, False)
    from tui.sessions.cli import _state_label

    assert _state_label(snapshot) == "exited 7"


def test_a_pane_whose_terminal_closed_is_not_taken_for_ended(sessions: SessionsHarness) -> None:
    """tmux 3.3 calls a pane dead as soon as its terminal has no reader left, before it has
    reaped the process (and so before it knows the exit code). Such a pane's process may
    well still run; it is neither recorded as ended (with no code) nor skipped by stop."""
    # The agent takes the wrapper's place (exec), closes its terminal and lives on, through
    # the hangup that follows.
    kind = sessions.script_kind("closer", """\
        trap '' HUP
        exec </dev/null >/dev/null 2>&1
        exec sleep 300
    """)
    sessions.manager.kinds[kind] = dataclasses.replace(sessions.manager.kinds[kind],
                                                       command=f"exec {sessions.manager.kinds[kind].command}")
    session = sessions.start(kind)
    tmux = sessions.manager.tmux(session.tmux_socket)
    wait_for(lambda: tmux.list_panes()[session.tmux_session].dead, "tmux to call the pane dead")
    pid = tmux.list_panes()[session.tmux_session].pid
    assert process_alive(pid)
    assert sessions.snapshot(session).state is not State.EXITED
    assert sessions.manager.store.get(session.id).ended_at is None
    outcomes = sessions.manager.stop_many([session], grace=0.5)
    assert outcomes == {session.id: 128 + signal.SIGTERM}
    assert session_members(pid) == []
    assert sessions.manager.store.get(session.id).exit_code == 128 + signal.SIGTERM


def test_a_stopped_tile_says_stopped_not_its_signal() -> None:
    from widgets.session_tile import TileData

    stopped = TileData("a1", 0, "shell", "t", "exited", exit_code=129, stopped=True)
    crashed = TileData("a1", 0, "shell", "t", "exited", exit_code=137)
    assert (stopped.state_label, crashed.state_label) == ("stopped", "exited 137")


def test_dead_signals_are_read_by_number_or_by_name() -> None:
    # glibc's tmux prints the number, macOS's and the BSDs' the name.
    lines = "a\t11\t1\t\t9\t0\t80\t24\nb\t12\t1\t\tkill\t0\t80\t24\nc\t13\t1\t\t\t0\t80\t24\n"
    panes = parse_panes(lines)
    assert [panes[n].exit_code for n in "abc"] == [137, 137, None]
    assert [panes[n].exit_known for n in "abc"] == [True, True, False]

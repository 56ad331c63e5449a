"""Issue 12, item 6: what an agent can reach of loupe's tmux server, and what `stop` says
it left running.

Real tmux on the test's own socket, real shell agents.
"""

from __future__ import annotations

import os
import signal

import pytest

from tests.fixtures.sessions import SessionsHarness
from tests.fixtures.tmux import tmux_socket_dir
from tests.helpers import process_alive, wait_for

pytestmark = pytest.mark.slow


def test_the_agent_cannot_reach_loupes_tmux_server(sessions: SessionsHarness) -> None:
    socket_path = str(tmux_socket_dir() / sessions.socket)
    kind = sessions.script_kind("escaper", """\
        env > env.txt
        tmux new-window 'sleep 300' 2> new-window.err
        echo "new-window exit $?" > new-window.rc
        sleep 300
    """)
    session = sessions.start(kind)
    wait_for(lambda: (session.worktree / "new-window.rc").exists(), "the agent to try tmux new-window")
    env = (session.worktree / "env.txt").read_text()
    names = {line.split("=", 1)[0] for line in env.splitlines() if "=" in line}
    assert not names & {"TMUX", "TMUX_PANE"}, env
    assert socket_path not in env, "the agent's environment names loupe's tmux socket"
    assert "exit 0" not in (session.worktree / "new-window.rc").read_text()
    windows = sessions.manager.tmux(sessions.socket).run("list-windows", "-a", "-F", "#{session_name}").stdout
    assert windows.split() == [session.tmux_session], windows


def test_stop_reports_processes_it_left_running(sessions: SessionsHarness) -> None:
    # setsid: the daemon leaves the pane's terminal session, which stop ends.
    kind = sessions.script_kind("daemonizer", """\
        setsid sleep 312 < /dev/null > /dev/null 2>&1 &
        echo $! > daemon.pid
        sleep 300
    """)
    session = sessions.start(kind)
    pid_file = session.worktree / "daemon.pid"
    wait_for(lambda: pid_file.exists() and pid_file.read_text().strip(), "the agent to start its daemon")
    daemon = int(pid_file.read_text())
    try:
        outcome = sessions.manager.stop(session)
        left = sessions.manager.left_running(session)
        assert [(p.pid, p.command) for p in left] == [(daemon, "sleep 312")]
        assert outcome is not None
        from tui.sessions.cli import stop_lines

        lines = stop_lines(session.number, outcome, left)
        assert any(str(daemon) in line and "sleep 312" in line for line in lines), lines
    finally:
        if process_alive(daemon):
            os.kill(daemon, signal.SIGKILL)
        wait_for(lambda: not process_alive(daemon), "the test's own kill of the daemon")

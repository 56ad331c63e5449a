"""The SSH host's poll script, run by sh against a real tmux server here (what ssh runs
there): panes, screens and status files in one command, a session that vanished mid-chain,
no server at all."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.test_sessions_units import _session
from tui.sessions.errors import TmuxError
from tui.sessions.model import Session
from tui.sessions.ssh_poll import PollMemory, plan, read
from tui.sessions.status_file import State, Status, write_status


def sessions_on(socket: str, tmp_path: Path, count: int) -> list[Session]:
    made = []
    for number in range(count):
        session = _session(tmp_path, f"ab{number}cd")
        session.tmux_socket = socket
        made.append(session)
    return made


def run(script: str, env: dict[str, str]) -> str:
    done = subprocess.run(["sh", "-c", script], capture_output=True, text=True, env=env, timeout=30)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_one_script_reads_panes_screens_and_reports(tmux_socket: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    # No LANG, as ssh commands often get: tmux must still answer in tabs and UTF-8.
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "LOUPE_DATA_DIR": str(data)}
    first, second, third = sessions_on(tmux_socket, tmp_path, 3)
    for session, text in ((first, "one é"), (second, "two \x1f\x1b[31mred\x1b[0m")):
        subprocess.run(["tmux", "-L", tmux_socket, "new-session", "-d", "-s", session.tmux_session, "-x", "80",
                        "-y", "10", f"printf '{text}\\n'; exec cat"], check=True)
    write_status(data / "sessions" / first.id / "status.json", Status(State.NEEDS_INPUT, detail="a\nb \x1f"))
    memory = PollMemory()
    poll = plan([first, second, third], None, memory)
    seen = read(poll, run(poll.script, env), memory)
    assert seen[first.id].pane is not None and seen[third.id].pane is None
    assert "one é" in seen[first.id].screen and "\x1b[31mred" in seen[second.id].screen
    assert seen[first.id].reported.state is State.NEEDS_INPUT and seen[first.id].reported.detail == "a\nb \x1f"
    assert seen[second.id].reported is None

    # The second ends between two polls: the first is still captured, the second is gone.
    subprocess.run(["tmux", "-L", tmux_socket, "kill-session", "-t", f"={second.tmux_session}"], check=True)
    poll = plan([first, second], {first.id, second.id}, memory)
    assert poll.captured[tmux_socket] == [first.tmux_session, second.tmux_session]
    seen = read(poll, run(poll.script, env), memory)
    assert "one" in seen[first.id].screen and seen[second.id].pane is None and seen[second.id].screen is None
    assert plan([first, second], None, memory).captured[tmux_socket] == [first.tmux_session]

    # The data folder is found as loupe finds it there: XDG_DATA_HOME, then ~/.local/share.
    write_status(tmp_path / ".local/share/loupe/sessions" / first.id / "status.json", Status(State.IDLE))
    seen = read(poll, run(poll.script, {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}), memory)
    assert seen[first.id].reported.state is State.IDLE


def test_no_server_is_no_sessions_and_a_broken_answer_is_an_error(tmp_path: Path) -> None:
    (session,) = sessions_on("loupe-test-nothing-here", tmp_path, 1)
    memory = PollMemory()
    poll = plan([session], None, memory)
    seen = read(poll, run(poll.script, {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}), memory)
    assert seen[session.id].pane is None
    with pytest.raises(TmuxError, match="not complete"):
        read(poll, "\x1floupe-chain\x1f\n", memory)


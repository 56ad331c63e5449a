"""SshConnection against a real sshd: commands, quoting, one shared connection, closing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.fixtures.sshd import Sshd
from tests.helpers import process_alive, wait_for
from tui.remote.errors import RemoteCommandFailed, RemoteError

HOSTILE = [
    "$(touch {canary})",
    "`touch {canary}`",
    "'; touch {canary}; echo '",
    "\"; touch {canary}; \"",
    "a\nb\n\ntouch {canary}",
    "; rm -rf ~",
    "*",
    "~",
    "$HOME",
    "-n",
    "",
    " lead and trail ",
    "back\\slash\\",
    "tab\there",
    "é ü 漢字 🙂",
    "\x1b[31mred\x1b[0m\x1f\x1e",
]


def test_a_command_runs_there_and_returns_its_output_and_status(sshd: Sshd) -> None:
    with sshd.connection() as host:
        done = host.run(["sh", "-c", "echo out; echo err >&2; exit 3"])
        assert (done.returncode, done.stdout, done.stderr) == (3, "out\n", "err\n")
        assert host.run(["printenv", "HOME"]).stdout == f"{sshd.remote_home}\n"
        with pytest.raises(RemoteCommandFailed, match="exit 3'` failed on the host: err"):
            done.check()


def test_a_script_runs_under_sh_and_input_reaches_the_command(sshd: Sshd, tmp_path: Path) -> None:
    with sshd.connection() as host:
        assert host.run("x=1; for i in a b; do x=$x$i; done; echo $x").stdout == "1ab\n"
        assert host.run(["tr", "a-z", "A-Z"], input="hello\nworld").stdout == "HELLO\nWORLD"
        assert host.run(["pwd"], cwd=str(tmp_path)).stdout == f"{tmp_path}\n"
        (sshd.remote_home / "deep").mkdir()
        assert host.run(["pwd"], cwd="~/deep").stdout == f"{sshd.remote_home}/deep\n"


def test_hostile_arguments_arrive_as_they_are_and_run_nothing(sshd: Sshd, tmp_path: Path) -> None:
    canary = tmp_path / "pwned"
    words = [word.format(canary=canary) for word in HOSTILE]
    odd_folder = tmp_path / "a b$(cd; touch pwned)'\"; x"
    odd_folder.mkdir()
    with sshd.connection() as host:
        done = host.run(["printf", "%s\\0", *words])
        assert done.stdout.split("\0")[:-1] == words
        assert host.run(["pwd"], cwd=str(odd_folder)).stdout == f"{odd_folder}\n"
        [batched] = host.batch([["printf", "%s\\0", *words]])
        assert batched.stdout.split("\0")[:-1] == words
    assert not canary.exists()
    assert not (sshd.remote_home / "pwned").exists()
    with pytest.raises(RemoteError, match="NUL byte"):
        sshd.connection().run(["echo", "a\0b"])


def test_a_commands_own_exit_255_is_not_a_lost_host(sshd: Sshd) -> None:
    with sshd.connection() as host:
        done = host.run(["sh", "-c", "echo ran; exit 255"])
        assert (done.returncode, done.stdout) == (255, "ran\n")
        assert host.run(["true"]).ok


def test_every_command_shares_one_connection(sshd: Sshd) -> None:
    with sshd.connection() as host:
        for number in range(5):
            assert host.run(["echo", str(number)]).stdout == f"{number}\n"
        assert sshd.server.logins() == 1
        assert sshd.server.sessions_started() == 2  # the first alone, the rest in the standing shell


def test_close_ends_the_master_and_leaves_no_ssh_process(sshd: Sshd) -> None:
    host = sshd.connection()
    host.run(["true"])
    master = host.master_pid()
    assert master is not None and process_alive(master)
    assert host.control_path.exists()
    assert sshd.ssh_processes() == [master]
    host.close()
    assert not process_alive(master)
    assert not host.control_path.exists()
    assert sshd.ssh_processes() == []
    with pytest.raises(RemoteError, match="is closed"):
        host.run(["true"])


def test_the_control_socket_folder_is_private_and_short(sshd: Sshd, monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    with sshd.connection() as host:
        host.run(["true"])
        for folder in (host.control_path.parent, host.control_path.parent.parent):
            assert folder.stat().st_mode & 0o777 == 0o700
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    link = Path(str(sshd.runtime) + "-link")
    link.symlink_to(elsewhere)
    try:
        monkeypatch.setenv("LOUPE_RUNTIME_DIR", str(link))
        with pytest.raises(RemoteError, match="not a folder of yours"):
            sshd.connection()
    finally:
        link.unlink()
    monkeypatch.setenv("LOUPE_RUNTIME_DIR", str(sshd.runtime / ("x" * 80)))
    with pytest.raises(RemoteError, match="longer than sockets allow"):
        sshd.connection()


def test_the_users_agent_is_never_forwarded_whatever_the_config_says(
        sshd: Sshd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    agent_socket = tmp_path / "agent.sock"
    agent = subprocess.Popen(["ssh-agent", "-D", "-a", str(agent_socket)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        wait_for(agent_socket.exists, "ssh-agent to listen")
        monkeypatch.setenv("SSH_AUTH_SOCK", str(agent_socket))
        config = sshd.config_file.read_text().replace("  IdentityAgent none\n", "")
        sshd.config_file.write_text(config + "  ForwardAgent yes\n")
        plain = subprocess.run(["ssh", "-F", str(sshd.config_file), "-o", "BatchMode=yes", sshd.alias,
                                "printenv SSH_AUTH_SOCK"], capture_output=True, text=True, timeout=30)
        assert plain.stdout.strip(), "plain ssh forwards the agent here, so the check below means something"
        with sshd.connection() as host:
            assert host.run(["sh", "-c", "printenv SSH_AUTH_SOCK || echo none"]).stdout == "none\n"
    finally:
        agent.kill()
        agent.wait()

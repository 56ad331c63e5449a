"""The standing shell: commands without input reuse one ssh client and one shell there,
which ends with the connection, is replaced after a timeout or a lost host, and whose
answers no output can cut short."""

from __future__ import annotations

import secrets
import shlex
import threading
from pathlib import Path

import pytest

from tests.fixtures.sshd import Sshd
from tests.helpers import ManualClock, process_alive, wait_for
from tui.remote import shell_channel
from tui.remote.errors import HostUnreachable, RemoteError
from tui.remote.reachability import LinkState, Reachability
from tui.remote.shell import Completed
from tui.remote.shell_channel import RETRY_AFTER, ShellChannel
from tui.remote.ssh import SshConnection


def settle(host: SshConnection) -> None:
    """Two commands: the second starts the standing shell."""
    host.run(["true"])
    host.run(["true"])


class Waiting:
    """A command run in a thread that touches `started` there, then waits for `release`."""

    def __init__(self, host: SshConnection, folder: Path, then: str = "") -> None:
        self.started, self.release = folder / "started", folder / "release"
        self.outcome: list[Completed | BaseException] = []
        script = f"touch {self.started}; while [ ! -e {self.release} ]; do sleep 0.05; done{then}"
        self.thread = threading.Thread(target=self._run, args=(host, script))
        self.thread.start()
        wait_for(self.started.exists, "the command to run there")

    def _run(self, host: SshConnection, script: str) -> None:
        try:
            self.outcome.append(host.run(script, timeout=60))
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            self.outcome.append(exc)

    def end(self) -> Completed | BaseException:
        self.release.touch()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive()
        [outcome] = self.outcome
        return outcome


def test_a_one_shot_command_starts_no_shell_the_second_does(sshd: Sshd) -> None:
    with sshd.connection() as host:
        assert host.run(["echo", "once"]).stdout == "once\n"
        assert host.channel_pid is None
        assert sshd.server.sessions_started() == 1
        assert host.run(["echo", "twice"]).stdout == "twice\n"
        assert host.channel_pid is not None
        assert sshd.server.sessions_started() == 2


def test_polls_reuse_one_ssh_client_and_one_shell_there(sshd: Sshd) -> None:
    with sshd.connection() as host:
        settle(host)
        client, far = host.channel_pid, host.channel_far_pid
        assert client is not None and far is not None
        assert process_alive(client) and process_alive(far)
        sessions, trips = sshd.server.sessions_started(), host.round_trips
        for number in range(5):
            assert host.run(f"echo poll {number}").stdout == f"poll {number}\n"
            [done] = host.batch([["echo", str(number)]])
            assert done.stdout == f"{number}\n"
            assert (host.channel_pid, host.channel_far_pid) == (client, far)
        assert host.round_trips - trips == 10  # one per command or batch, as before
        assert sshd.server.sessions_started() == sessions  # no new channel, let alone a process
        # Input travels on an ssh of its own; the shell stays.
        assert host.run(["cat"], input="typed").stdout == "typed"
        assert sshd.server.sessions_started() == sessions + 1
        assert host.channel_pid == client


def test_commands_cannot_end_the_shell_read_its_requests_or_leave_state(sshd: Sshd, tmp_path: Path) -> None:
    with sshd.connection() as host:
        settle(host)
        client = host.channel_pid
        assert host.run("cd /; exit 7").returncode == 7
        login_folder = host.run(["pwd"], input="").stdout  # in an ssh of its own
        assert host.run(["pwd"]).stdout == login_folder != "/\n"
        assert host.run(["cat"]).stdout == ""  # stdin is /dev/null, not the requests that follow
        assert host.run("x=set; export y=set").ok
        assert host.run('echo "[$x][$y]"').stdout == "[][]\n"
        assert host.run(["printf", "no newline"]).stdout == "no newline"
        big = host.run("head -c 1000000 /dev/zero | tr '\\0' x; echo done >&2")
        assert (len(big.stdout), big.stdout.strip("x"), big.stderr) == (1000000, "", "done\n")
        assert host.channel_pid == client


def test_output_that_imitates_the_marks_does_not_cut_the_answer_short(sshd: Sshd) -> None:
    # Marks shaped like the shell's own (any nonce but the one it was sent), the command
    # line's end mark, and a batch's header, each followed by more output.
    fakes = [f"\x1e{secrets.token_hex(16)} 0\x1e\n", f"\x1e{secrets.token_hex(16)}\x1e\n",
             "\x1eloupe-exit 0\x1e", "\x1eloupe-batch\x1e 0\n"]
    script = "".join(f"printf '%s' {shlex.quote(fake)}; printf '%s' {shlex.quote(fake)} >&2; sleep 0.05; "
                     for fake in fakes) + "echo after; echo after >&2; exit 3"
    with sshd.connection() as host:
        done = host.run(script)
        assert (done.returncode, done.stdout, done.stderr) == (3, "".join(fakes) + "after\n",
                                                               "".join(fakes) + "after\n")
        [batched] = host.batch([script])
        assert (batched.returncode, batched.stdout) == (3, "".join(fakes) + "after\n")
        assert host.run(["echo", "next"]).stdout == "next\n"


def test_a_request_that_times_out_kills_the_shell_and_the_next_starts_another(sshd: Sshd, tmp_path: Path) -> None:
    clock = ManualClock()
    host = sshd.connection(reachability=Reachability(clock))
    settle(host)
    client, far = host.channel_pid, host.channel_far_pid
    assert client is not None and far is not None
    release = tmp_path / "release"
    with pytest.raises(HostUnreachable, match="did not answer within 0.5 s; what was sent may or may not"):
        host.run(f"while [ ! -e {release} ]; do sleep 0.05; done", timeout=0.5)
    assert host.reachability.link().state is LinkState.UNREACHABLE
    assert not process_alive(client) and host.channel_pid is None
    clock.now += 60  # past the backoff
    assert host.run(["echo", "again"]).stdout == "again\n"
    assert host.channel_pid not in (None, client) and host.channel_far_pid not in (None, far)
    # The old shell there ends with the command it was running, as nothing reads its answer.
    release.touch()
    wait_for(lambda: not process_alive(far), "the old shell there to end")
    host.close()
    assert sshd.ssh_processes() == []


def test_close_leaves_no_ssh_here_and_no_shell_there(sshd: Sshd) -> None:
    host = sshd.connection()
    settle(host)
    client, far, master = host.channel_pid, host.channel_far_pid, host.master_pid()
    assert client is not None and far is not None
    assert sorted(sshd.ssh_processes()) == sorted([client, master])
    host.close()
    assert not process_alive(client) and not process_alive(far)
    assert sshd.ssh_processes() == []
    with pytest.raises(RemoteError, match="is closed"):
        host.run(["true"])


def test_closing_during_a_request_ends_it_and_leaves_nothing(sshd: Sshd, tmp_path: Path) -> None:
    host = sshd.connection()
    settle(host)
    far = host.channel_far_pid
    waiting = Waiting(host, tmp_path)
    host.close()
    wait_for(lambda: waiting.outcome, "the request to end")
    wait_for(lambda: sshd.ssh_processes() == [], "no ssh of the connection left here")
    error = waiting.end()  # the command there ends too
    assert isinstance(error, HostUnreachable) and "lost the connection" in str(error)
    wait_for(lambda: far is not None and not process_alive(far), "the shell there to end with its command")


def test_a_request_meanwhile_takes_an_ssh_of_its_own(sshd: Sshd, tmp_path: Path) -> None:
    with sshd.connection() as host:
        settle(host)
        client = host.channel_pid
        waiting = Waiting(host, tmp_path, then="; echo long")
        try:
            sessions = sshd.server.sessions_started()
            assert host.run(["echo", "meanwhile"]).stdout == "meanwhile\n"
            assert sshd.server.sessions_started() == sessions + 1
            assert not waiting.outcome
        finally:
            done = waiting.end()
        assert isinstance(done, Completed) and done.stdout == "long\n"
        assert host.channel_pid == client


def test_the_host_going_down_under_a_poll_gives_unreachable_then_a_new_shell(sshd: Sshd, tmp_path: Path) -> None:
    clock = ManualClock()
    host = sshd.connection(reachability=Reachability(clock, first_delay=10.0), connect_timeout=3)
    settle(host)
    client, far = host.channel_pid, host.channel_far_pid
    waiting = Waiting(host, tmp_path)
    sshd.server.stop()
    error = waiting.end()
    assert isinstance(error, HostUnreachable)
    assert "lost the connection to loupe-test-host while running `touch" in str(error)
    assert host.channel_pid is None and not process_alive(client)  # type: ignore[arg-type]
    clock.now += 10.0
    with pytest.raises(HostUnreachable, match="cannot reach loupe-test-host over ssh: .*Connection refused"):
        host.run(["echo", "down"])
    sshd.server.start()
    clock.now += 20.0
    [done] = host.batch([["echo", "back"]])
    assert done.stdout == "back\n"
    assert host.reachability.link().state is LinkState.CONNECTED
    assert host.channel_pid not in (None, client) and host.channel_far_pid not in (None, far)
    assert host.run(["echo", "again"]).stdout == "again\n"
    host.close()
    assert sshd.ssh_processes() == []


def test_a_shell_that_cannot_start_leaves_each_command_an_ssh_of_its_own(
        sshd: Sshd, monkeypatch: pytest.MonkeyPatch) -> None:
    # A host where `exec sh` fails (here: no such shell) still runs every command.
    monkeypatch.setattr(shell_channel, "REMOTE_COMMAND", "exec /nonexistent/sh")
    clock = ManualClock()
    with sshd.connection(reachability=Reachability(clock)) as host:
        assert host.run(["echo", "one"]).stdout == "one\n"
        assert host.run(["echo", "two"]).stdout == "two\n"
        assert host.channel_pid is None
        assert sshd.server.sessions_started() == 3  # one, the shell that failed, two
        assert host.batch([["echo", "three"]])[0].stdout == "three\n"
        assert sshd.server.sessions_started() == 4  # not tried again at once
        clock.now += RETRY_AFTER
        monkeypatch.setattr(shell_channel, "REMOTE_COMMAND", "exec sh")
        assert host.run(["echo", "four"]).stdout == "four\n"
        assert host.channel_pid is not None
        assert sshd.server.sessions_started() == 5


def test_a_shell_that_ends_before_answering_is_unavailable_not_a_hang() -> None:
    channel = ShellChannel(["sh", "-c", "echo 'no shell for you' >&2; exit 1"], name="box")
    with pytest.raises(shell_channel.ChannelUnavailable, match="the shell on box did not start: no shell for you"):
        channel.start(timeout=30)
    assert not channel.alive

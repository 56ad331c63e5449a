"""One host over the system's OpenSSH client, with one shared connection for every command.

The first command starts a ControlMaster: a background ssh that holds the one connection,
with a control socket in loupe's private runtime folder (`tui.remote.runtime`). Every
command after that is a new channel on that connection (about a millisecond of setup, no
new login). `close()` ends the master (`ssh -O exit`); if loupe dies first, ControlPersist
ends it once it has been idle that long, so no ssh outlives loupe for good.

Options loupe always sets, whatever the user's ssh_config says:

- BatchMode=yes: never ask for a password or a host key inside the app; fail instead.
- ConnectTimeout, ServerAliveInterval and ServerAliveCountMax: a host that is down or stops
  answering is noticed in seconds, not at TCP's pace.
- ForwardAgent=no, ForwardX11=no, ClearAllForwardings=yes, PermitLocalCommand=no: agents
  on the host get no way back to this machine or the user's keys, and a config's port
  forwards cannot collide with the user's own sessions.

The master is started with its output going to a file, never a pipe: a backgrounded ssh
keeps the descriptors it was given, and a pipe would make the caller wait for it to exit.

From the second on, commands without input (the poll, batches, a screen) go to a shell
that stays open there (`tui.remote.shell_channel`), one at a time: a tick costs a pipe
write and read here, not an ssh process. A command that finds it busy, one with input, or one whose parsing by the
login shell matters gets an ssh of its own, as every command does while that shell cannot
be started.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TypeVar

from tui.remote import batch as batch_script
from tui.remote import runtime, shell_channel
from tui.remote.errors import BatchOutputError, HostUnreachable, RemoteError
from tui.remote.hosts import HostConfig, target_problem
from tui.remote.reachability import Reachability
from tui.remote.shell import ENDED, STARTED, Command, Completed, command_line, describe, join, last_line
from tui.remote.shell_channel import StandingShell, no_answer

T = TypeVar("T")

_MASTER_PID = re.compile(r"pid=(\d+)")


class SshConnection:
    """Commands on one host, all over one ControlMaster connection. Thread-safe."""

    def __init__(
        self, target: str, *, config_file: Path | None = None, name: str = "",
        connect_timeout: int = 10, alive_interval: int = 5, alive_count_max: int = 3,
        persist_seconds: int = 120, max_sessions: int = 8, reachability: Reachability | None = None,
    ) -> None:
        why = target_problem(target)
        if why:
            raise RemoteError(f"the ssh target {why}")
        self.target = target
        self.name = name or target
        self.config_file = config_file
        self.connect_timeout = connect_timeout
        self.alive_interval = alive_interval
        self.alive_count_max = alive_count_max
        self.persist_seconds = persist_seconds
        self.reachability = reachability or Reachability()
        self.control_path = runtime.control_path(target, config_file)
        self._master_lock = threading.Lock()
        # sshd opens at most MaxSessions (10 by default) channels per connection; more
        # would be refused, and a refusal looks like a failed connection.
        self._sessions = threading.BoundedSemaphore(max_sessions)
        self._master_pid: int | None = None
        # After a failure the master may be gone while its socket file stays (a killed
        # ssh does not remove it), so the next command asks the master before using it.
        self._verify = False
        self._closed = False
        # Commands (a batch is one) sent, for benchmarks and tests.
        self.round_trips = 0
        self._count_lock = threading.Lock()
        self._standing = StandingShell(
            lambda: self.ssh_argv("-o", "ControlMaster=no", "-T", "--", self.target, shell_channel.REMOTE_COMMAND),
            name=self.name, slots=self._sessions, clock=self.reachability.clock)

    @classmethod
    def for_host(cls, name: str, host: HostConfig, **options: object) -> SshConnection:
        return cls(host.ssh, config_file=host.ssh_config_file(), name=name, **options)  # type: ignore[arg-type]

    def __enter__(self) -> SshConnection:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- commands ------------------------------------------------------------------------------

    def run(self, command: Command, *, input: str | bytes | None = None, cwd: str | None = None,
            timeout: float = 30.0) -> Completed:
        """Run `command` there (an argv, each word quoted; or a script for `sh -c`), in `cwd`.

        A command that ran returns its exit status, whatever it is; `HostUnreachable` means
        ssh could not connect, lost the connection, or nothing answered within `timeout`.
        """
        line = command_line(command, cwd=cwd)
        data = input.encode() if isinstance(input, str) else input
        recorded = command if isinstance(command, str) else tuple(command)

        def work() -> Completed:
            status, stdout, stderr = self._finished(recorded, *self._exchange(line, data, timeout))
            return Completed(recorded, status, stdout.decode("utf-8", errors="replace"), stderr)

        return self._attempt(work)

    def batch(self, commands: Sequence[Command], *, timeout: float = 30.0,
              login_shell: bool = False) -> list[Completed]:
        """Run `commands` one after another in ONE round trip; one `Completed` each, in order.

        `login_shell`: in an ssh of its own, parsed by the login shell there (as commands
        with input are), not by the standing shell; `loupe host check` tests that shell."""
        if not commands:
            return []
        line = command_line(batch_script.script(commands))

        def work() -> list[Completed]:
            _, stdout, stderr = self._finished("batch", *self._exchange(line, None, timeout,
                                                                        login_shell=login_shell))
            try:
                return batch_script.parse(stdout, commands)
            except BatchOutputError as exc:
                said = last_line(stderr)
                raise BatchOutputError(f"{self.name}: {exc}" + (f" ({said})" if said else "")) from exc

        return self._attempt(work)

    def connect(self) -> None:
        """Open the shared connection now (commands do it when needed); `HostUnreachable` if it
        cannot be opened."""
        self._attempt(self._ensure_master)

    def attach_argv(self, remote_argv: Sequence[str]) -> list[str]:
        """The command that runs `remote_argv` there on this terminal (`ssh -t`), over the
        shared connection when it is up."""
        return self.ssh_argv("-o", "ControlMaster=no", "-t", "--", self.target, join(remote_argv))

    def master_pid(self) -> int | None:
        """The process id of the running master (`ssh -O check`), None when there is none."""
        done = self._control("check")
        match = _MASTER_PID.search(done.stderr) if done.returncode == 0 else None
        return int(match.group(1)) if match else None

    @property
    def channel_pid(self) -> int | None:
        """The process id of the standing shell's ssh client here; None when there is none."""
        return self._standing.pid

    @property
    def channel_far_pid(self) -> int | None:
        """The standing shell's process id there; None when there is none."""
        return self._standing.far_pid

    def close(self) -> None:
        """End the shared connection; the object runs nothing after this."""
        with self._master_lock:
            self._closed = True
            # First: its end (EOF) reaches the shell there over the master.
            self._standing.close()
            self._stop_master()

    # -- the ssh command line ------------------------------------------------------------------

    def ssh_argv(self, *extra: str) -> list[str]:
        argv = [_ssh_binary()]
        if self.config_file is not None:
            argv += ["-F", str(self.config_file)]
        for option in (
            "BatchMode=yes", f"ControlPath={_escaped(self.control_path)}",
            f"ConnectTimeout={self.connect_timeout}", f"ServerAliveInterval={self.alive_interval}",
            f"ServerAliveCountMax={self.alive_count_max}", "LogLevel=ERROR", "ClearAllForwardings=yes",
            "ForwardAgent=no", "ForwardX11=no", "PermitLocalCommand=no",
        ):
            argv += ["-o", option]
        return argv + list(extra)

    # -- inside ------------------------------------------------------------------------------

    def _attempt(self, work: Callable[[], T]) -> T:
        if not self.reachability.may_try():
            link = self.reachability.link()
            raise HostUnreachable(
                f"{self.name} is unreachable ({link.reason}); next try in "
                f"{self.reachability.wait_left():.0f} s")
        try:
            result = work()
        except HostUnreachable as exc:
            self.reachability.failed(str(exc))
            self._verify = True
            self._standing.host_failed()
            raise
        self.reachability.succeeded()
        return result

    def _exchange(self, line: str, data: bytes | None, timeout: float, *,
                  login_shell: bool = False) -> tuple[int, bytes, bytes]:
        self._ensure_master()
        with self._count_lock:
            self.round_trips += 1
        if data is None and not login_shell:
            answer = self._standing.request(line, timeout, master=self._master_pid)
            if answer is not None:
                return answer
        argv = self.ssh_argv("-o", "ControlMaster=no", "-T", "--", self.target, line)
        feed: dict[str, object] = {"input": data} if data is not None else {"stdin": subprocess.DEVNULL}
        with self._sessions:
            try:
                done = subprocess.run(argv, capture_output=True, timeout=timeout, **feed)  # type: ignore[call-overload]
            except subprocess.TimeoutExpired as exc:
                raise HostUnreachable(no_answer(self.name, timeout)) from exc
        return done.returncode, done.stdout, done.stderr

    def _finished(self, command: tuple[str, ...] | str, returncode: int, stdout: bytes,
                  stderr: bytes) -> tuple[int, bytes, str]:
        """The command's exit status and output, read from the marks around it; or
        `HostUnreachable` when ssh failed before it started or while it ran."""
        said = stderr.decode("utf-8", errors="replace")
        start = stdout.find(STARTED)
        begin = start + len(STARTED) if start >= 0 else 0
        end = ENDED.search(stdout, begin)
        if end is not None:
            return int(end.group(1)), stdout[begin:end.start()], said
        if returncode == 255 and start < 0:
            raise HostUnreachable(f"cannot reach {self.name} over ssh: {last_line(said) or 'ssh exited 255'}")
        if returncode == 255:
            raise HostUnreachable(
                f"lost the connection to {self.name} while running `{describe(command)}`; it may or "
                "may not have finished" + (f" ({last_line(said)})" if said.strip() else ""))
        # The login shell itself refused (e.g. an account with nologin as its shell).
        return returncode, stdout[begin:], said

    def _ensure_master(self) -> None:
        with self._master_lock:
            if self._closed:
                raise RemoteError(f"the connection to {self.name} is closed; open a new one")
            if self._master_pid is not None and self.control_path.exists():
                if not self._verify or self.master_pid() == self._master_pid:
                    self._verify = False
                    return
            self._stop_master()
            self._verify = False
            self._master_pid = self._start_master()

    def _start_master(self) -> int:
        log = self.control_path.with_name(self.control_path.name + ".log")
        argv = self.ssh_argv("-o", "ControlMaster=yes", "-o", f"ControlPersist={self.persist_seconds}",
                             "-f", "-N", "-T", "--", self.target)
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            done = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=fd,
                                  timeout=self.connect_timeout + 20)
        except subprocess.TimeoutExpired as exc:
            log.unlink(missing_ok=True)
            raise HostUnreachable(f"{self.name} did not finish logging in within "
                                  f"{self.connect_timeout + 20} s") from exc
        finally:
            os.close(fd)
        said = log.read_text(encoding="utf-8", errors="replace")
        log.unlink(missing_ok=True)
        if done.returncode != 0:
            raise HostUnreachable(f"cannot reach {self.name} over ssh: {last_line(said) or 'ssh exited 255'}")
        pid = self.master_pid()
        if pid is None:
            raise HostUnreachable(f"ssh logged in to {self.name} but its shared connection did not start"
                                  + (f" ({last_line(said)})" if said.strip() else ""))
        return pid

    def _stop_master(self) -> None:
        pid = self._master_pid
        if pid is None and not self.control_path.exists():
            return
        if self.control_path.exists():
            self._control("exit")
        if pid is not None and not _ended(pid, within=5.0):
            # It did not answer `-O exit`: this process started it, so end it.
            os.kill(pid, signal.SIGKILL)
            _ended(pid, within=5.0)
        self.control_path.unlink(missing_ok=True)
        self._master_pid = None

    def _control(self, request: str) -> subprocess.CompletedProcess[str]:
        argv = self.ssh_argv("-O", request, "--", self.target)
        try:
            return subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                  errors="replace", timeout=10)
        except subprocess.TimeoutExpired:
            # A master that does not answer its own socket is as good as none.
            return subprocess.CompletedProcess(argv, 255, "", "no answer from the master")


def _ended(pid: int, *, within: float) -> bool:
    """Whether the master `pid` has exited, waiting up to `within` seconds.

    It is not our child (ssh -f detached it), so its exit is not ours to collect: where the
    init process does not reap, it stays a zombie, which counts as ended here.
    """
    deadline = time.monotonic() + within
    while True:
        try:
            os.kill(pid, 0)
        except (ProcessLookupError, PermissionError):
            return True
        try:
            listed = subprocess.run(["ps", "-o", "stat=,comm=", "-p", str(pid)], capture_output=True, text=True)
        except OSError:
            return True  # no ps here: the master was asked to exit, and that is all we can know
        state = listed.stdout.split()
        # A zombie, or another program that took the id: either way our ssh is gone.
        if not state or state[0].startswith("Z") or os.path.basename(state[-1]) != "ssh":
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)


def _ssh_binary() -> str:
    found = shutil.which("ssh")
    if found is None:
        raise RemoteError("ssh (the OpenSSH client) is not installed here; remote hosts need it "
                          "(Debian/Ubuntu: apt-get install openssh-client)")
    return found


def _escaped(path: Path) -> str:
    # ssh expands %-tokens in ControlPath; the folder name is taken as it is.
    return str(path).replace("%", "%%")

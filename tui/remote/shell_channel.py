"""A shell that stays open on a host, so a poll costs a pipe write and read, not a process.

Even over the shared connection, an `ssh` client started for each poll costs this machine a
process a tick, which is most of what polling a host costs here. Instead a connection keeps
one client that runs `exec sh` there (a channel on the ControlMaster like any command) and
writes each request to that shell's stdin. No loupe is needed there for it, only sh.

A request is one command line (`tui.remote.shell.command_line`, which marks its start and
end) and the marks that close the answer:

    (LINE) </dev/null; printf '\\036%s %d\\036\\n' NONCE "$?"; printf '\\036%s\\036\\n' NONCE >&2

LINE runs in a subshell, so its `exit` or `cd` ends there, with stdin from /dev/null, so it
cannot read the requests that follow. stdout is read up to its mark (which carries the exit
status), stderr up to its own. NONCE is random, new for each request, and only ever written
to the shell's stdin: no output (a screen can show anything) can hold a mark before the
command has ended.

The shell ends when its stdin closes, so `close()` ends it there, and a loupe that dies ends
it too. A request that does not finish in time kills the ssh client here (the command there
runs on until it ends, as it does when a per-command ssh is killed).
"""

from __future__ import annotations

import os
import re
import secrets
import selectors
import subprocess
import threading
import time
from collections.abc import Callable, Sequence

from tui.remote.errors import HostUnreachable, RemoteError
from tui.remote.shell import last_line

# What the far side's shell is asked to run, by the login shell (whatever that is).
REMOTE_COMMAND = "exec sh"
# A closed stdin ends the shell there within a round trip; past this, ssh is killed (the
# master's exit then ends the shell there, with its connection).
_CLOSE_WAIT = 2.0
_CHUNK = 65536
# Longer than any mark (1 + 32 + 1 + 10 digits + 2), so a mark split across reads is found.
_OVERLAP = 64
# After the shell failed to start on a host that ran commands all the same, this long
# (seconds) before it is tried again; meanwhile each command has an ssh of its own.
RETRY_AFTER = 300.0


class ChannelUnavailable(RemoteError):
    """The shell did not start there (ssh or the login shell refused it); the host may still
    run commands one ssh at a time."""


class _NoAnswer(Exception):
    """Nothing complete came back before the deadline."""


def no_answer(name: str, timeout: float) -> str:
    return f"{name} did not answer within {timeout:g} s; what was sent may or may not have run there"


def _marks(nonce: str, status: str) -> str:
    return (f"printf '\\036%s %d\\036\\n' {nonce} {status}; "
            f"printf '\\036%s\\036\\n' {nonce} >&2\n")


class StandingShell:
    """The standing shell of one connection: started by its second request (a one-shot
    command, such as `loupe session list`, would only pay for starting and ending it), again
    once it ended (with its connection, or on a master that was replaced). Thread-safe: one
    request at a time, and one that finds it busy is not held up but told to go elsewhere."""

    def __init__(self, argv: Callable[[], list[str]], *, name: str, slots: threading.BoundedSemaphore,
                 clock: Callable[[], float]) -> None:
        self._argv = argv
        self.name = name
        # The connection's channels: the shell holds one for as long as it lives.
        self._slots = slots
        self._clock = clock
        self._lock = threading.Lock()
        self._channel: ShellChannel | None = None
        self._master: int | None = None
        self._retry_at: float | None = None
        self._wanted = False
        self._closed = False

    @property
    def pid(self) -> int | None:
        channel = self._channel
        return channel.pid if channel is not None and channel.alive else None

    @property
    def far_pid(self) -> int | None:
        channel = self._channel
        return channel.far_pid if channel is not None and channel.alive else None

    def request(self, line: str, timeout: float, *, master: int | None) -> tuple[int, bytes, bytes] | None:
        """`line`'s exit status and outputs (see `ShellChannel.request`), run by the shell
        started over `master`; None when the shell is busy or cannot be started now, and
        the caller runs it another way."""
        if not self._lock.acquire(blocking=False):
            return None
        try:
            channel = self._running(timeout, master)
            if channel is None:
                return None
            try:
                answer = channel.request(line, timeout)
            except HostUnreachable:
                self._drop()
                raise
            if not channel.alive:
                self._drop()
            return answer
        finally:
            self._lock.release()

    def host_failed(self) -> None:
        """The host could not be reached: a shell that did not start may have failed for
        that alone, so the next request tries one again."""
        self._retry_at = None

    def close(self) -> None:
        """End the shell, there too. One busy with a request is killed; the request, its
        outputs ended, lets go of it."""
        self._closed = True
        if not self._lock.acquire(blocking=False):
            channel = self._channel
            if channel is not None:
                channel.kill()
            return
        try:
            channel, self._channel = self._channel, None
            if channel is not None:
                channel.close()
                self._slots.release()
        finally:
            self._lock.release()

    def _running(self, timeout: float, master: int | None) -> ShellChannel | None:
        channel = self._channel
        if channel is not None and channel.alive and self._master == master:
            return channel
        self._drop()
        if not self._wanted:
            self._wanted = True
            return None
        if self._closed or (self._retry_at is not None and self._clock() < self._retry_at):
            return None
        if not self._slots.acquire(blocking=False):
            return None  # every channel of the connection is in use
        channel = ShellChannel(self._argv(), name=self.name)
        try:
            channel.start(timeout)
        except ChannelUnavailable:
            self._slots.release()
            self._retry_at = self._clock() + RETRY_AFTER
            return None
        except BaseException:
            self._slots.release()
            raise
        self._channel, self._master = channel, master
        if self._closed:  # closed while it started: it must not outlive the connection
            self._drop()
            return None
        return channel

    def _drop(self) -> None:
        channel, self._channel = self._channel, None
        if channel is not None:
            channel.discard()
            self._slots.release()


class ShellChannel:
    """One standing shell there. Not thread-safe: its owner sends one request at a time;
    `kill` alone may come from another thread."""

    def __init__(self, argv: Sequence[str], *, name: str) -> None:
        self.name = name
        self._argv = list(argv)
        self._process: subprocess.Popen[bytes] | None = None
        # The shell's process id there (its `$$`), for tests and messages.
        self.far_pid: int | None = None

    @property
    def pid(self) -> int | None:
        """The ssh client's process id here."""
        return self._process.pid if self._process is not None else None

    @property
    def alive(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float) -> None:
        """Start ssh and wait until the shell there answers. `ChannelUnavailable` when it
        ended instead; `HostUnreachable` when nothing came back within `timeout`."""
        try:
            self._process = subprocess.Popen(self._argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                             stderr=subprocess.PIPE)
        except OSError as exc:
            raise ChannelUnavailable(f"could not start ssh for a shell on {self.name}: {exc}") from exc
        os.set_blocking(self._process.stdin.fileno(), False)  # type: ignore[union-attr]
        nonce = secrets.token_hex(16)
        try:
            far_pid, _, stderr = self._exchange(_marks(nonce, '"$$"'), nonce, timeout)
        except _NoAnswer as exc:
            self.discard()
            raise HostUnreachable(f"{self.name} did not answer within {timeout:g} s") from exc
        if far_pid is None:
            self.discard()
            raise ChannelUnavailable(f"the shell on {self.name} did not start: "
                                     f"{last_line(stderr.decode('utf-8', errors='replace')) or 'ssh ended'}")
        self.far_pid = far_pid

    def request(self, line: str, timeout: float) -> tuple[int, bytes, bytes]:
        """Run `line` there: its exit status, stdout and stderr. When ssh ended first (the
        connection dropped), 255 and what came before, as a per-command ssh would exit;
        `HostUnreachable` when the answer was not complete within `timeout`."""
        if self._process is None:
            raise RemoteError(f"the shell on {self.name} was never started")
        nonce = secrets.token_hex(16)
        try:
            status, stdout, stderr = self._exchange(f"({line}) </dev/null; " + _marks(nonce, '"$?"'), nonce,
                                                    timeout)
        except _NoAnswer as exc:
            self.kill()
            raise HostUnreachable(no_answer(self.name, timeout)) from exc
        if status is None:
            self.kill()
            return 255, stdout, stderr
        return status, stdout, stderr

    def kill(self) -> None:
        """End ssh here now. Any thread may call it: a request waiting on it sees its
        outputs end."""
        process = self._process
        if process is not None:
            process.kill()
            process.wait()

    def discard(self) -> None:
        """Kill ssh and let go of its pipes (by the owner, never during a request)."""
        self.kill()
        self._close_pipes()

    def close(self) -> None:
        """End the shell there (a closed stdin) and ssh with it; killed if they linger."""
        process = self._process
        if process is None:
            return
        try:
            process.stdin.close()  # type: ignore[union-attr]
        except OSError:
            pass  # ssh already gone: the wait below returns at once
        try:
            process.wait(timeout=_CLOSE_WAIT)
        except subprocess.TimeoutExpired:
            self.kill()
        self._close_pipes()

    # -- inside --------------------------------------------------------------------------------

    def _close_pipes(self) -> None:
        process = self._process
        if process is None:
            return
        for pipe in (process.stdin, process.stdout, process.stderr):
            if pipe is not None:
                try:
                    pipe.close()
                except OSError:
                    pass

    def _exchange(self, script: str, nonce: str, timeout: float) -> tuple[int | None, bytes, bytes]:
        """Write `script`, read both outputs up to the marks of `nonce`: (the number in the
        stdout mark, or None when ssh ended before it; stdout and stderr before the marks)."""
        process = self._process
        assert process is not None and process.stdin and process.stdout and process.stderr
        deadline = time.monotonic() + timeout
        stdin, stdout, stderr = process.stdin.fileno(), process.stdout.fileno(), process.stderr.fileno()
        ended = re.compile(re.escape(b"\x1e" + nonce.encode()) + rb" (\d+)\x1e\n")
        err_mark = b"\x1e" + nonce.encode() + b"\x1e\n"
        pending = script.encode()
        out, err = bytearray(), bytearray()
        status: int | None = None
        out_end = err_end = -1
        with selectors.DefaultSelector() as selector:
            selector.register(stdin, selectors.EVENT_WRITE)
            selector.register(stdout, selectors.EVENT_READ)
            selector.register(stderr, selectors.EVENT_READ)
            while out_end < 0 or err_end < 0:
                reading = [key for key in selector.get_map().values() if key.fd != stdin]
                if not reading:
                    break  # ssh ended: both outputs closed
                left = deadline - time.monotonic()
                if left <= 0 and stdout in selector.get_map():
                    raise _NoAnswer
                if left <= 0:
                    break  # ssh ended; what it said on stderr is as complete as it gets
                for key, _ in selector.select(left):
                    if key.fd == stdin:
                        try:
                            pending = pending[os.write(stdin, pending[:_CHUNK]):]
                        except BlockingIOError:
                            continue
                        except BrokenPipeError:
                            pending = b""  # ssh is gone; its outputs end too
                        if not pending:
                            selector.unregister(stdin)
                        continue
                    chunk = os.read(key.fd, _CHUNK)
                    if not chunk:
                        selector.unregister(key.fd)
                        if stdin in selector.get_map():
                            selector.unregister(stdin)
                        continue
                    if key.fd == stdout and out_end < 0:
                        start = max(0, len(out) - _OVERLAP)
                        out += chunk
                        found = ended.search(out, start)
                        if found:
                            out_end, status = found.start(), int(found.group(1))
                            selector.unregister(stdout)
                    elif key.fd == stderr and err_end < 0:
                        start = max(0, len(err) - _OVERLAP)
                        err += chunk
                        err_end = err.find(err_mark, start)
                        if err_end >= 0:
                            selector.unregister(stderr)
        if out_end < 0:
            return None, bytes(out), bytes(err)
        return status, bytes(out[:out_end]), bytes(err[:err_end] if err_end >= 0 else err)

"""The `shell` tool: run an argv with a timeout, stream its output, keep a capped copy.

Codex semantics: the command runs in its own process group (its own session, so a Ctrl-C
meant for the agent does not hit it, and the whole group can be killed at once). On timeout
the group is killed and the exit code is 124. When the command itself exits, anything it left
running in its group (a `server &`) is killed too: the agent owns what it starts, and
nothing outlives the call; processes that left the group (setsid, daemons) are found and
killed too while the agent is a child subreaper (see `tui.agent.reaper`). Output is read in chunks of up to 64 KiB (a pipe's buffer),
handed to `on_output` as it comes, and kept up to `cap_bytes` (the start and the end, since
both matter: the command line echo and the final summary of a test run).
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tui.agent.errors import ToolError
from tui.agent.reaper import children, is_subreaper, kill_escaped

TIMEOUT_EXIT_CODE = 124
READ_CHUNK = 65536
# After the command exits, how long to wait for the rest of its output from children that
# still hold the pipe open, before they are killed.
DRAIN_SECONDS = 2.0


@dataclass
class ShellResult:
    exit_code: int
    output: bytes
    wall_seconds: float
    timed_out: bool
    timeout_ms: int
    omitted_bytes: int

    @property
    def text(self) -> str:
        return self.output.decode("utf-8", "replace")

    def for_model(self) -> str:
        lines = [f"Exit code: {self.exit_code}", f"Wall time: {self.wall_seconds:.1f} seconds"]
        if self.timed_out:
            lines.append(f"The command timed out after {self.timeout_ms} ms; its process group was killed.")
        lines.append("Output:")
        return "\n".join(lines) + "\n" + self.text


class CappedBuffer:
    """Keeps the first and last `cap // 2` bytes of a stream and counts what falls between."""

    def __init__(self, cap: int) -> None:
        self.head_cap = max(cap // 2, 1)
        self.tail_cap = max(cap - self.head_cap, 1)
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0

    def add(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self.head_cap - len(self.head)
        if room > 0:
            self.head += chunk[:room]
            chunk = chunk[room:]
        if chunk:
            self.tail += chunk
            # Trim in bulk, not per chunk, so a long stream costs O(n), not O(n * cap).
            if len(self.tail) > 2 * self.tail_cap:
                del self.tail[: len(self.tail) - self.tail_cap]

    @property
    def omitted(self) -> int:
        return self.total - len(self.head) - min(len(self.tail), self.tail_cap)

    def value(self) -> bytes:
        tail = bytes(self.tail[-self.tail_cap:]) if self.tail else b""
        if self.omitted <= 0:
            return bytes(self.head) + tail
        marker = f"\n[... {self.omitted} bytes of output omitted ...]\n".encode()
        return bytes(self.head) + marker + tail


def run_shell(
    argv: Sequence[str],
    *,
    cwd: Path,
    timeout_ms: int,
    cap_bytes: int,
    on_output: Callable[[bytes], None] | None = None,
    env: dict[str, str] | None = None,
) -> ShellResult:
    if not argv or not all(isinstance(a, str) for a in argv):
        raise ToolError("command must be a non-empty array of strings, e.g. [\"bash\", \"-lc\", \"ls\"]")
    started = time.monotonic()
    # Children from before the command are not its doing, and are left alone.
    before = children() if is_subreaper() else None
    proc: subprocess.Popen[bytes] | None = None
    buffer = CappedBuffer(cap_bytes)
    deadline = started + timeout_ms / 1000
    timed_out = False
    try:
        with _stops_held():
            proc = _start(argv, cwd, env)
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        exited_at: float | None = None
        while True:
            now = time.monotonic()
            if exited_at is None and proc.poll() is not None:
                exited_at = now
            limit = deadline if exited_at is None else min(deadline, exited_at + DRAIN_SECONDS)
            if now >= limit:
                timed_out = exited_at is None
                break
            # Wake up now and then to notice the command exiting while a child keeps the
            # pipe open.
            ready, _, _ = select.select([fd], [], [], min(limit - now, 0.1))
            if not ready:
                continue
            chunk = os.read(fd, READ_CHUNK)
            if not chunk:
                # The output closed, but the command may still be on its way out (coreutils
                # close stdout in an atexit handler): let it finish before killing the group.
                try:
                    proc.wait(timeout=max(deadline - time.monotonic(), 0.0))
                except subprocess.TimeoutExpired:
                    timed_out = True
                break
            buffer.add(chunk)
            if on_output is not None:
                on_output(chunk)
    finally:
        if proc is not None:
            _kill_group(proc.pid)
            proc.wait()
        if before is not None:
            kill_escaped(before)
        if proc is not None and proc.stdout is not None:
            proc.stdout.close()
    code = proc.returncode  # set: the try above only ends normally with the command waited for
    # Shells report death by signal N as 128 + N; Popen says -N.
    exit_code = TIMEOUT_EXIT_CODE if timed_out else (128 - code if code < 0 else code)
    return ShellResult(
        exit_code=exit_code,
        output=buffer.value(),
        wall_seconds=time.monotonic() - started,
        timed_out=timed_out,
        timeout_ms=timeout_ms,
        omitted_bytes=max(buffer.omitted, 0),
    )


def _start(argv: Sequence[str], cwd: Path, env: dict[str, str] | None) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(
            list(argv),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=env,
        )
    except FileNotFoundError as exc:
        raise ToolError(
            f"cannot run {argv[0]!r}: no such program; for shell syntax use [\"bash\", \"-lc\", \"...\"]"
        ) from exc
    except PermissionError as exc:
        raise ToolError(f"cannot run {argv[0]!r}: permission denied") from exc
    except OSError as exc:
        raise ToolError(f"cannot run {argv[0]!r}: {exc.strerror}") from exc


_STOPS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def _stops_held() -> Iterator[None]:
    """Hold Ctrl-C and stop signals while the command starts; act on them once it is ours.

    On a busy machine the command can be at work before `Popen` returns: a stop arriving then
    would end the agent with nothing to kill the command's group, and it would run on.
    Python handles signals only on the main thread; elsewhere there is nothing to hold.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    held: list[int] = []
    previous = {signum: signal.signal(signum, lambda signum, frame: held.append(signum)) for signum in _STOPS}
    try:
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        for signum in held:
            handler = previous[signum]
            if callable(handler):
                handler(signum, None)
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), signum)


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass

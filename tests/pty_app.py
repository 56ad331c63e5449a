"""Run the real `loupe` command in a pseudo-terminal, as a user would, and read its screen."""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path


def run_until(args: list[str], wanted: list[bytes], *, cwd: Path, timeout: float = 60.0) -> tuple[bytes, int]:
    """Start `python -m tui ARGS` in a 120x40 pty, wait until every `wanted` bytes string has
    been drawn, quit with ctrl+q, and return (everything drawn, exit code)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color"}
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        cwd=cwd,
        env=env,
        start_new_session=True,
    )
    os.close(slave)
    output = b""
    deadline = time.monotonic() + timeout
    try:
        while not all(item in output for item in wanted) and time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    output += os.read(master, 65536)
                except OSError:
                    break
        os.write(master, b"\x11")  # ctrl+q
        code = process.wait(timeout=15)
        # Drain what the app wrote while closing.
        while select.select([master], [], [], 0)[0]:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        os.close(master)
    missing = [item for item in wanted if item not in output]
    assert not missing, f"never drawn: {missing}; last output: {output[-300:]!r}"
    return output, code


def run_on_terminal(args: list[str], *, timeout: float = 60.0) -> tuple[str, int]:
    """Run `python -m tui ARGS` with stdout and stderr on a pty (as in a terminal), stdin
    closed; return (everything it wrote, with the pty's \\r\\n made \\n, and its exit code)."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", *args], stdin=subprocess.DEVNULL, stdout=slave, stderr=slave,
        start_new_session=True,
    )
    os.close(slave)
    output = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the command exited and closed its end
                break
            if not chunk:
                break
            output += chunk
        code = process.wait(timeout=15)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        os.close(master)
    return output.decode("utf-8", "replace").replace("\r\n", "\n"), code

"""A session's output log (`output.log`): what the pane prints, with secrets hidden before
the bytes reach the disk.

tmux's `pipe-pane` feeds the pane's output to `loupe redact`, which appends it to the log
through a `StreamRedactor`. Redacting when the log is read would leave the keys on disk;
filtering on the way in never writes them.

The filter is started by the tmux server, whose environment holds no secrets (see
`Tmux.server_start_env`), and a command line is readable by every local user. So the values
to hide reach it through a FIFO in the session's private folder: loupe writes them once the
filter has opened it, and the filter deletes it once read. FIFO data lives in the kernel and
never touches the disk. A filter that gets no secrets logs nothing but one line saying why.

The filter ends when the pane closes its end of the pipe, so it lives exactly as long as the
session's pane.
"""

from __future__ import annotations

import errno
import json
import os
import select
import shlex
import signal
import time
from pathlib import Path

from tui import locations, private_files, secrets
from tui.sessions.local_files import session_files
from tui.sessions.model import Session
from tui.sessions.tmux import Tmux

# How long each side waits for the other (a busy machine can take seconds to start Python).
HANDSHAKE_SECONDS = 20.0
_READ_CHUNK = 65536


class SecretsUnavailable(Exception):
    """The filter did not receive the values to hide."""


def secrets_fifo(session: Session) -> Path:
    return session_files(session.id).folder / "secrets.fifo"


def start(tmux: Tmux, session: Session) -> str | None:
    """Log the session's pane through the filter; a warning when the log could not start."""
    fifo = secrets_fifo(session)
    fifo.unlink(missing_ok=True)
    os.mkfifo(fifo, private_files.FILE_MODE)
    command = [*locations.loupe_command(), "redact", "--secrets-from", str(fifo),
               "--output", str(session_files(session.id).log_file)]
    tmux.pipe_pane(session.tmux_session, "exec " + shlex.join(command))
    try:
        if send_secrets(fifo, secrets.secret_values()):
            return None
    finally:
        fifo.unlink(missing_ok=True)
    return (f"the output log of session {session.number} did not start within "
            f"{HANDSHAKE_SECONDS:g}s, so its output is not logged")


def send_secrets(fifo: Path, values: dict[str, str], timeout: float = HANDSHAKE_SECONDS) -> bool:
    """Write `values` (secret value -> name) to the filter once it reads the FIFO; False if
    it never does."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            # Non-blocking, so a filter that never comes cannot hang loupe: ENXIO until it reads.
            fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK | os.O_CLOEXEC)
            break
        except OSError as exc:
            if exc.errno != errno.ENXIO or time.monotonic() > deadline:
                return False
            time.sleep(0.01)
    try:
        os.set_blocking(fd, True)
        payload = json.dumps([[name, value] for value, name in values.items()]).encode()
        while payload:
            payload = payload[os.write(fd, payload):]
    finally:
        os.close(fd)
    return True


def receive_secrets(fifo: Path, timeout: float = HANDSHAKE_SECONDS) -> dict[str, str]:
    """The values loupe sends through `fifo` (then deleted); SecretsUnavailable otherwise."""
    try:
        fd = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise SecretsUnavailable(f"cannot open {fifo}: {exc.strerror}") from exc
    data = bytearray()
    deadline = time.monotonic() + timeout
    try:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        # Before any writer opens the FIFO, Linux reports nothing: EOF means loupe is done.
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise SecretsUnavailable(f"loupe sent nothing through {fifo} within {timeout:g}s")
            if not poller.poll(left * 1000):
                continue
            chunk = os.read(fd, _READ_CHUNK)
            if not chunk:
                break
            data += chunk
    finally:
        os.close(fd)
        fifo.unlink(missing_ok=True)
    try:
        return {str(value): str(name) for name, value in json.loads(data)}
    except (ValueError, TypeError) as exc:
        raise SecretsUnavailable(f"what came through {fifo} is not a list of secrets") from exc


def run_filter(output: Path, fifo: Path | None, source: int = 0) -> int:
    """Copy `source` to the end of `output` with secrets hidden, until `source` ends.

    The values come from `fifo` (see the module docstring) or, without one, from this
    process's environment.
    """
    # The pane going away closes the pipe; a hangup must not cut the last bytes short.
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    out = private_files.open_private(output, os.O_WRONLY | os.O_APPEND)
    try:
        try:
            values = receive_secrets(fifo) if fifo is not None else secrets.secret_values()
        except SecretsUnavailable as exc:
            os.write(out, f"\r\nloupe: this session's output is not logged: {exc}\r\n".encode())
            return 1
        stream = secrets.StreamRedactor(values)
        while chunk := os.read(source, _READ_CHUNK):
            _write_all(out, stream.feed(chunk))
        _write_all(out, stream.close())
    finally:
        os.close(out)
    return 0


def _write_all(fd: int, data: bytes) -> None:
    while data:
        data = data[os.write(fd, data):]

"""An unhandled exception in the app ends `loupe` with a non-zero status and its traceback
on stderr (it exited 0: a script, or a user's `loupe && …`, took a crash for success).

Every crash this suite knew of is fixed, so the crash is made here: the real `loupe` entry
point runs in a pseudo-terminal with the app's class replaced by one whose mount raises.
"""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tests.fixtures.tasks import make_tasks_workspace

CRASHING = textwrap.dedent("""\
    import sys
    import tui.app

    class Crashing(tui.app.LoupeApp):
        def on_mount(self) -> None:
            raise RuntimeError("boom from the test")

    tui.app.LoupeApp = Crashing
    from tui.cli import main

    sys.exit(main(sys.argv[1:]))
""")


def test_a_crash_exits_non_zero_with_the_traceback_on_stderr(tmp_path: Path) -> None:
    root = make_tasks_workspace(tmp_path / "quarry")
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-c", CRASHING, str(root)],
        stdin=slave, stdout=slave, stderr=subprocess.PIPE,
        env={**os.environ, "TERM": "xterm-256color"}, start_new_session=True,
    )
    os.close(slave)
    assert process.stderr is not None
    errors = process.stderr.fileno()
    stderr = b""
    try:
        # Read both sides as they come, so the app never blocks on a full pty or pipe (a
        # traceback with locals can be long), until stderr closes as the process exits.
        deadline = time.monotonic() + 120
        open_fds = [master, errors]
        while errors in open_fds and time.monotonic() < deadline:
            for fd in select.select(open_fds, [], [], 0.05)[0]:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:  # EIO: the screen side closed
                    chunk = b""
                if fd == errors:
                    stderr += chunk
                if not chunk:
                    open_fds.remove(fd)
        code = process.wait(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        os.close(master)
    assert code != 0
    text = stderr.decode("utf-8", "replace")
    assert "RuntimeError" in text and "boom from the test" in text

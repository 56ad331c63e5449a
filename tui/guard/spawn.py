"""Run a git helper command and capture its output, without importing `subprocess`.

The guard runs on every push an agent makes, in a Python started with `-IS`. Importing
`subprocess` pulls in `locale`, `re` and `enum` and costs about 20 ms there, more than the
rest of the guard, so this uses `os.posix_spawn` and a pipe directly. Standard library only:
this module is copied into each guard install.
"""

from __future__ import annotations

import os


def capture(argv: list[str]) -> tuple[int, bytes]:
    """Run `argv` (argv[0] an absolute path), return (exit code, stdout). stderr is dropped.

    stdin is /dev/null, so a helper can never consume input meant for git (the pre-push hook
    reads its ref list from stdin).
    """
    read_end, write_end = os.pipe()
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_DUP2, write_end, 1),
        (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_CLOSE, read_end),
        (os.POSIX_SPAWN_CLOSE, write_end),
    ]
    try:
        pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions)
    except OSError:
        os.close(read_end)
        os.close(write_end)
        raise
    os.close(write_end)
    chunks = []
    with os.fdopen(read_end, "rb") as stream:
        while True:
            chunk = stream.read(65536)
            if not chunk:
                break
            chunks.append(chunk)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), b"".join(chunks)

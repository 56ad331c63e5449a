"""Processes a shell command started that left its process group still end with the command.

Killing the command's process group misses whatever called setsid() or daemonized (`setsid
server &`, a double fork): such a process is in a group of its own, and would outlive the call.
While `loupe agent` runs, it is a child subreaper (Linux's PR_SET_CHILD_SUBREAPER): orphans
among its descendants are re-parented to it instead of to init, so after each command the
agent finds them among its own children, kills them (and their groups) and reaps them. Their
own children are then orphans too, and are found in the next round.

Elsewhere than Linux this does nothing, and the process-group kill is all there is.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import sys
from collections.abc import Iterator
from pathlib import Path

_PR_SET_CHILD_SUBREAPER = 36
_PR_GET_CHILD_SUBREAPER = 37
# A daemon may leave a chain of descendants; each round reaps one generation.
MAX_ROUNDS = 32


def _prctl(option: int, value: int | ctypes.c_int | ctypes._Pointer[ctypes.c_int]) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(option, value, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def is_subreaper() -> bool:
    flag = ctypes.c_int(0)
    return _prctl(_PR_GET_CHILD_SUBREAPER, ctypes.pointer(flag)) and flag.value != 0


@contextlib.contextmanager
def subreaper() -> Iterator[bool]:
    """Be the child subreaper while inside; yields whether that worked (False off Linux)."""
    enabled = not is_subreaper() and _prctl(_PR_SET_CHILD_SUBREAPER, 1)
    try:
        yield enabled or is_subreaper()
    finally:
        if enabled:
            _prctl(_PR_SET_CHILD_SUBREAPER, 0)


def children(pid: int | None = None) -> set[int]:
    """The direct children of `pid` (this process by default), zombies included."""
    pid = os.getpid() if pid is None else pid
    found: set[int] = set()
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
        for task in tasks:
            found.update(int(word) for word in (task / "children").read_text().split())
        return found
    except (OSError, ValueError):
        pass
    # Kernels without /proc/<pid>/task/<tid>/children: scan every process's parent.
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.add(int(entry.name))
    return found


def kill_escaped(before: set[int]) -> list[int]:
    """Kill and reap every child of this process not in `before`; return their pids."""
    killed: list[int] = []
    for _ in range(MAX_ROUNDS):
        strays = children() - before
        if not strays:
            break
        own_group = os.getpgrp()
        for pid in sorted(strays):
            with contextlib.suppress(OSError):
                # A setsid()'d process leads its own group: take the whole group with it.
                group = os.getpgid(pid)
                if group != own_group:
                    os.killpg(group, signal.SIGKILL)
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError, OSError):
                os.waitpid(pid, 0)
            killed.append(pid)
    return killed

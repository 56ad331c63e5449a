"""Ending every process of an agent, so no orphan keeps running (or spending tokens).

tmux starts each pane's command as the leader of a new terminal session, so the session id
of the pane's process names the whole tree: the wrapper, the agent, and anything the agent
started, even in other process groups (a shell's background jobs). Only processes that left
that session on purpose (daemons calling setsid) escape, as they would from any terminal.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

_PROC = Path("/proc")


def session_members(sid: int) -> list[int]:
    """Live processes whose session id is `sid` (Linux /proc; elsewhere the process group)."""
    if sid <= 0:
        return []
    if not _PROC.is_dir():
        return [sid] if alive(sid) else []
    members = []
    for entry in _PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may contain spaces and parentheses; fields follow the last ')'.
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) > 3 and fields[3] == str(sid) and fields[0] != "Z":
            members.append(int(entry.name))
    return sorted(members)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _signal_all(sid: int, sig: int) -> None:
    targets = session_members(sid)
    if not _PROC.is_dir():
        try:
            os.killpg(sid, sig)
        except (ProcessLookupError, PermissionError):
            pass
        return
    for pid in targets:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def end_session_processes(sid: int, *, grace: float = 5.0) -> list[int]:
    """End every process of terminal session `sid`: SIGTERM, then at once SIGHUP, then
    SIGKILL for what is left after `grace` seconds.

    SIGTERM first, so an agent that ends on it does so with its own code (143). SIGHUP
    right after, because interactive shells ignore SIGTERM but end on a hangup, as when
    their terminal closes; a process SIGTERM has already doomed is not touched by it (the
    kernel drops further signals to a process that is exiting). SIGKILL is the last resort.

    Returns the pids that were still alive after SIGKILL (normally none).
    """
    if not session_members(sid):
        return []
    _signal_all(sid, signal.SIGTERM)
    _signal_all(sid, signal.SIGHUP)
    if _wait_gone(sid, grace):
        return []
    _signal_all(sid, signal.SIGKILL)
    _wait_gone(sid, 2.0)
    return session_members(sid)


def _wait_gone(sid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    # The window's wrapper stays to record the exit code; it leaves once the agent has.
    while session_members(sid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True

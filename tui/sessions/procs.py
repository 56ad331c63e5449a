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

from tui.sessions.stop_report import Process

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
        fields = _stat_fields(entry)
        if len(fields) > 3 and fields[3] == str(sid) and fields[0] != "Z":
            members.append(int(entry.name))
    return sorted(members)


def _stat_fields(entry: Path) -> list[str]:
    """The fields of /proc/<pid>/stat after the command name (state first); [] if gone."""
    try:
        stat = (entry / "stat").read_text()
    except OSError:
        return []
    # The command name may contain spaces and parentheses; fields follow the last ')'.
    return stat[stat.rfind(")") + 2:].split()


def session_of(pid: int) -> int | None:
    """The terminal session id of `pid`; None when it is gone."""
    fields = _stat_fields(_PROC / str(pid))
    return int(fields[3]) if len(fields) > 3 and fields[3].isdigit() else None


def command_of(pid: int) -> list[str]:
    """The argv of `pid`; [] when it is gone or unreadable."""
    try:
        argv = (_PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return []
    return [a.decode("utf-8", "replace") for a in argv.split(b"\0") if a]


def alive(pid: int) -> bool:
    """Whether `pid` is running. A zombie is not: it has ended, and waits only to be reaped
    (in a container without an init that reaps, it may wait for ever)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    fields = _stat_fields(_PROC / str(pid)) if _PROC.is_dir() else ["?"]
    return bool(fields) and fields[0] != "Z"


def reaped(pid: int) -> bool:
    """Whether `pid` is gone for good: its parent has collected how it ended. A zombie has
    ended (not `alive`) but is not reaped yet: its parent does not know its exit code."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        pass
    return False


def remind_parent(pid: int) -> None:
    """Ask the parent of `pid`, if that is a zombie, to collect it (one SIGCHLD).

    tmux built with libutempter (Debian's) loses a child's SIGCHLD that comes while
    utempter's own handler is in, as it is when the pane's terminal closes, and then does
    not reap that child until some other one ends (tmux issues 311 and 4559): its pane
    would stay dead without an exit code. A SIGCHLD makes it look again."""
    fields = _stat_fields(_PROC / str(pid))
    if len(fields) < 2 or fields[0] != "Z" or not fields[1].isdigit() or int(fields[1]) <= 1:
        return
    try:
        os.kill(int(fields[1]), signal.SIGCHLD)
    except (ProcessLookupError, PermissionError):
        pass


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


def carrying(name: str, value: str) -> list[Process]:
    """Live processes (of this user: others' environments cannot be read) whose environment
    has `name=value`: a session's processes carry `LOUPE_SESSION=<id>` wherever they went,
    even out of its terminal session (setsid, a daemon), where stop does not reach."""
    if not _PROC.is_dir():
        return []
    wanted = f"{name}={value}".encode()
    found = []
    for entry in _PROC.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            argv = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if wanted in environ.split(b"\0") and alive(int(entry.name)):
            command = " ".join(a.decode("utf-8", "replace") for a in argv.split(b"\0") if a)
            found.append(Process(int(entry.name), command))
    return sorted(found, key=lambda p: p.pid)

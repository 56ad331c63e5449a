"""Errors raised by the sessions domain; each message says what to do next."""

from __future__ import annotations

from tui.errors import LoupeError

# The host a session runs on cannot be reached now: the remote layer's one class, named
# here too (see its docstring).
from tui.remote.errors import HostUnreachable as HostUnreachable


class SessionError(LoupeError):
    """A session operation failed or was refused."""


class TmuxError(SessionError):
    """tmux failed, timed out or answered something unexpected."""


class TmuxMissing(TmuxError):
    """tmux is not installed; sessions cannot run without it."""


class AgentNotInstalled(SessionError):
    """The agent's command is not on PATH; raised before anything is created."""


class UnknownAgent(SessionError):
    """No preset or `[agents.<name>]` table has this name."""


class WorktreeError(SessionError):
    """A worktree could not be created, inspected or removed."""


class RemovalRefused(SessionError):
    """Removing the worktree would lose work; the message lists what, and how to confirm."""


class LandRefused(SessionError):
    """Landing would conflict or cannot be done safely; nothing was changed."""


class NoSuchSession(SessionError):
    """A session index or id that matches nothing."""


class UnknownHost(SessionError):
    """A session (or a start) names a host that is not configured."""

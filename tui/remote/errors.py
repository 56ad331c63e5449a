"""Errors of the remote layer; each message says what to do next."""

from __future__ import annotations

from tui.errors import LoupeError


class RemoteError(LoupeError):
    """Something about a host or its connection is wrong (config, ssh missing, bad output)."""


class HostUnreachable(RemoteError):
    """The host cannot be reached now: ssh could not connect, lost the connection, or got no
    answer in time. What ran there, if anything, is not known to have finished or failed.

    The one class for it: the sessions layer raises and catches this same class
    (`tui.sessions.errors` names it too), so its sessions show "unreachable", never "exited".
    It is no `SessionError`: code that must undo something on any failure of a session
    operation catches `LoupeError`."""


class RemoteCommandFailed(RemoteError):
    """A command ran on the host and exited non-zero (raised by `Completed.check`)."""


class BatchOutputError(RemoteError):
    """The host's answer to a batch was cut short or is not in the expected form."""

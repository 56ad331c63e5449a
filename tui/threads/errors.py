"""Errors of the thread store, each with a message a user can act on."""

from __future__ import annotations

from tui.errors import LoupeError


class StoreError(LoupeError):
    """The thread store cannot be opened or written."""


class UnknownThread(StoreError):
    def __init__(self, thread_id: str, detail: str = "") -> None:
        self.thread_id = thread_id
        super().__init__(
            detail or f"no thread {thread_id!r}; `loupe thread list` shows the threads"
        )


class UnknownMessage(StoreError):
    def __init__(self, message_id: str) -> None:
        self.message_id = message_id
        super().__init__(f"no message {message_id!r} in the thread store")


class UnsafeForkPoint(StoreError):
    """Forking (or branching) here would leave a conversation no model accepts."""


class MessageFinished(StoreError):
    """A finished message was asked to change; finished messages are immutable."""


class ThreadBusy(StoreError):
    """The thread's last message is still streaming."""

"""Saving a reply while it streams, at a bounded rate.

Every delta is kept in memory at once; the store is written at most every `interval`
seconds (and when the reply ends). A crash therefore loses at most the last `interval` of a
reply, while a 4,000-token reply costs a few dozen small writes instead of 4,000.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from tui.threads.model import Message, Status, ToolCall, Usage

if TYPE_CHECKING:
    from tui.threads.store import ThreadStore


class StreamWriter:
    def __init__(
        self,
        store: ThreadStore,
        message_id: str,
        *,
        initial: str = "",
        interval: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.message_id = message_id
        self.interval = interval
        self._clock = clock
        self._parts: list[str] = [initial] if initial else []
        self._saved_parts = len(self._parts)
        self._last_save = clock()

    @property
    def content(self) -> str:
        if len(self._parts) > 1:
            self._parts = ["".join(self._parts)]
            self._saved_parts = 1 if self._saved_parts else 0
        return self._parts[0] if self._parts else ""

    @property
    def dirty(self) -> bool:
        return len(self._parts) != self._saved_parts

    def append(self, delta: str) -> None:
        """Add a delta, saving now if the last save is `interval` old."""
        self.add(delta)
        if self.due():
            self.flush()

    def add(self, delta: str) -> None:
        """Add a delta in memory only (an event loop then calls `flush` off the loop)."""
        if delta:
            self._parts.append(delta)

    def due(self) -> bool:
        return self.dirty and self._clock() - self._last_save >= self.interval

    def flush(self) -> None:
        """Save what has arrived so far (a no-op when nothing is new)."""
        if not self.dirty:
            return
        self.store.save_partial(self.message_id, self.content)
        self._saved_parts = len(self._parts)
        self._last_save = self._clock()

    def finish(
        self,
        status: Status | str = Status.COMPLETE,
        *,
        tool_calls: list[ToolCall] | None = None,
        usage: Usage | None = None,
        error: str | None = None,
        model: str | None = None,
    ) -> Message:
        return self.store.finish(
            self.message_id, status, content=self.content, tool_calls=tool_calls, usage=usage,
            error=error, model=model,
        )

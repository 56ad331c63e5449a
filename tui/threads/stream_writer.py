"""Saving a reply while it streams, at a bounded rate, by appending.

Every delta is kept in memory at once; the store is written at most every `interval`
seconds (and when the reply ends). A crash therefore loses at most the last `interval` of a
reply, while a 4,000-token reply costs a few dozen small writes instead of 4,000. Each save
appends only the text that arrived since the last one, so the bytes written grow with the
reply's length, not with its square (rewriting the whole reply at each save cost 20 MB of
writes for 53 KB of text).

`add` and `flush` may run on different threads (an event loop adds, a worker thread saves):
the parts are guarded by a lock, and flushes are serialised so saved pieces stay in order.
`wait()` says how long until the next save is due, so a caller can save text that arrived
just before the stream paused (see `tui.threads.reply`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from tui.threads.model import Message, Status, ToolCall, Usage


# Appends text that arrived since the last save: (message id, text).
SavePartial = Callable[[str, str], None]
# Ends the message: (message id, status, content=, tool_calls=, usage=, error=, model=).
FinishMessage = Callable[..., Message]


class StreamWriter:
    def __init__(
        self,
        message_id: str,
        *,
        save: SavePartial,
        finish: FinishMessage,
        initial: str = "",
        interval: float = 0.2,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._save = save
        self._finish = finish
        self.message_id = message_id
        self.interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._flushing = threading.Lock()
        self._parts: list[str] = [initial] if initial else []
        # Deltas not in the store yet, in order.
        self._unsaved: list[str] = []
        # Characters of the streamed text (after `initial`): all of it, and what is saved.
        self.length = 0
        self.saved_length = 0
        self._last_save = clock()

    @property
    def content(self) -> str:
        with self._lock:
            return self._joined()

    def _joined(self) -> str:
        if len(self._parts) > 1:
            self._parts = ["".join(self._parts)]
        return self._parts[0] if self._parts else ""

    @property
    def dirty(self) -> bool:
        return bool(self._unsaved)

    def append(self, delta: str) -> None:
        """Add a delta, saving now if the last save is `interval` old."""
        self.add(delta)
        if self.due():
            self.flush()

    def add(self, delta: str) -> None:
        """Add a delta in memory only (an event loop then calls `flush` off the loop)."""
        if delta:
            with self._lock:
                self._parts.append(delta)
                self._unsaved.append(delta)
                self.length += len(delta)

    def due(self) -> bool:
        return self.dirty and self._clock() - self._last_save >= self.interval

    def wait(self) -> float:
        """Seconds until unsaved text is due to be saved (0 if due now)."""
        return max(0.0, self._last_save + self.interval - self._clock())

    def flush(self) -> None:
        """Append what arrived since the last save (a no-op when nothing is new)."""
        with self._flushing:
            with self._lock:
                if not self._unsaved:
                    return
                text = "".join(self._unsaved)
                self._unsaved.clear()
            try:
                self._save(self.message_id, text)
            except BaseException:
                # Kept for the next save (or `finish`), so no piece goes missing from the middle.
                with self._lock:
                    self._unsaved.insert(0, text)
                raise
            self.saved_length += len(text)
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
        with self._flushing:
            with self._lock:
                content = self._joined()
                # A flush that comes later (a saver cancelled too late) has nothing to save.
                self._unsaved.clear()
            return self._finish(
                self.message_id, status, content=content, tool_calls=tool_calls, usage=usage,
                error=error, model=model,
            )

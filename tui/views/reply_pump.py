"""Hand text from a worker thread to the UI loop without a round trip per token.

`App.call_from_thread` blocks the worker until the loop ran the callback: one loop wake-up
and one context switch per token. The pump instead appends to a buffer under a lock and
schedules a single drain on the loop while none is pending, so however fast tokens come the
loop sees at most one callback per turn and gets the text in one piece.
"""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable


class ReplyPump:
    """Create on the UI loop; call `push()` from any thread; `deliver` runs on the loop."""

    def __init__(self, deliver: Callable[[str], None]) -> None:
        self._deliver = deliver
        self._loop = asyncio.get_running_loop()
        # Textual keeps the active app in context variables; a bare loop callback lacks them
        # and timers started from it never fire. Drain in the creator's context instead.
        self._context = contextvars.copy_context()
        self._lock = threading.Lock()
        self._buffer: list[str] = []
        self._scheduled = False
        self._closed = False

    def push(self, text: str) -> None:
        if not text:
            return
        with self._lock:
            if self._closed:
                return
            self._buffer.append(text)
            if self._scheduled:
                return
            self._scheduled = True
        try:
            self._loop.call_soon_threadsafe(self._drain, context=self._context)
        except RuntimeError:
            # The loop is closing (app exit); nothing is left to show the text.
            pass

    def _drain(self) -> None:
        with self._lock:
            text = "".join(self._buffer)
            self._buffer.clear()
            self._scheduled = False
        if text and not self._closed:
            self._deliver(text)

    def flush(self) -> None:
        """On the loop: deliver what is buffered now (before showing the final state)."""
        self._drain()

    def close(self) -> None:
        """Drop anything not yet delivered and ignore later pushes (the view went away)."""
        with self._lock:
            self._closed = True
            self._buffer.clear()

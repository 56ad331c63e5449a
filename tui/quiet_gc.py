"""Full garbage collections wait for a pause in the user's input.

A full (oldest-generation) collection walks every tracked object with the GIL held, so the UI
loop and every thread stop until it ends. CPython starts one whenever enough objects have
survived into the oldest generation; while replies stream that is every ~2 s, because
rendered lines live just long enough to survive the young collections. In loupe the live
heap is mostly rendered lines (the chat's and Textual's caches of painted rows), and with
three replies streaming each full collection took 100-215 ms: every key press that waited
over 100 ms in bench/stream_render.py was waiting for one.

`QuietGC` leaves the young collections automatic (a few ms each) and runs the full ones
itself, from a timer on the UI loop, once input has paused for `QUIET` seconds. Textual makes
the same trade while it scrolls (`App.PAUSE_GC_ON_SCROLL` turns collection off). Two limits
keep memory in check: a collection due for `LONGEST_DEFER` seconds runs even while keys keep
coming, and full collections never take more than `BUDGET` of the time.

CPython 3.11-3.13 semantics: the oldest generation's threshold counts young (generation 1)
collections since the last full one; setting it out of reach stops automatic full
collections, and `gc.get_count()[2]` still says when one would have been due.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

# The oldest generation's threshold while installed: a C int no count reaches.
NEVER = 2**31 - 1


class QuietGC:
    # Seconds without a key press or mouse event before a due full collection runs.
    QUIET = 1.0
    # Seconds a due collection may wait for a pause before it runs anyway.
    LONGEST_DEFER = 60.0
    # At most this share of the time goes to full collections (spacing = duration / BUDGET).
    BUDGET = 0.05

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._saved: tuple[int, int, int] | None = None
        self._last_input = float("-inf")
        self._due_since: float | None = None
        self._not_before = float("-inf")
        self.collections = 0

    @property
    def installed(self) -> bool:
        return self._saved is not None

    def install(self) -> None:
        """Stop automatic full collections (young ones go on); `tick` runs them instead."""
        if self._saved is not None:
            return
        young, middle, oldest = gc.get_threshold()
        self._saved = (young, middle, oldest)
        gc.set_threshold(young, middle, NEVER)

    def uninstall(self) -> None:
        """Give full collections back to CPython."""
        if self._saved is not None:
            gc.set_threshold(*self._saved)
            self._saved = None

    def input_seen(self) -> None:
        """A key press or mouse event arrived: the user is active now."""
        self._last_input = self._clock()

    def due(self) -> bool:
        """Whether CPython would have started a full collection by now."""
        if self._saved is None:
            return False
        return gc.get_count()[2] > self._saved[2]

    def tick(self) -> bool:
        """Run a due full collection if input has paused (or it waited too long); returns
        whether it ran. Call it on the UI loop, a few times a second."""
        if not self.due():
            self._due_since = None
            return False
        now = self._clock()
        if self._due_since is None:
            self._due_since = now
        if now < self._not_before:
            return False
        quiet = now - self._last_input >= self.QUIET
        if not quiet and now - self._due_since < self.LONGEST_DEFER:
            return False
        gc.collect()
        took = self._clock() - now
        self._not_before = now + took / self.BUDGET
        self._due_since = None
        self.collections += 1
        return True

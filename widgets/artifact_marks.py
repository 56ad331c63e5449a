"""Change marks of the reading view: which blocks changed since the last read, and when the
reader has seen them. A mark goes once its block has been on screen for `seen_seconds`; the
document counts as seen once it has been on screen that long.

Plain Python: time comes from the injected `clock` and advances only when the view calls
`tick`, so it is tested without a screen and without waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import NamedTuple


class Seen(NamedTuple):
    """What one tick found."""

    # The document has just counted as seen (once per document shown).
    document: bool = False
    # Some marks were read, and went.
    marks: bool = False


class ChangeMarks:
    """Marks by block key (`Block.key`), so a mark follows its block when others move."""

    def __init__(self, seen_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seen_seconds = seen_seconds
        self._clock = clock
        # Changed blocks, and blocks that follow a deletion.
        self._changed: set[int] = set()
        self._removed: set[int] = set()
        # When each marked block was first on screen.
        self._first_seen: dict[int, float] = {}
        # Changed blocks already read: not marked again until `reset_read`.
        self._read: set[int] = set()
        self._visible_since: float | None = None
        self._document_seen = False

    def new_document(self, keys: set[int]) -> None:
        """Another version is shown (its block keys): not seen yet; marks of gone blocks go."""
        self._changed &= keys
        self._removed &= keys
        self._document_seen = False
        self._visible_since = None

    def mark(self, changed: Iterable[int], removed_before: Iterable[int]) -> None:
        """Mark blocks (by key) as changed, and blocks that follow a deletion."""
        self._changed = set(changed) - self._read
        self._removed = set(removed_before) - self._read
        marked = self._changed | self._removed
        self._first_seen = {key: value for key, value in self._first_seen.items() if key in marked}

    def reset_read(self) -> None:
        """The current version was recorded as read: forget what was read of the last."""
        self._read.clear()

    def __bool__(self) -> bool:
        return bool(self._changed or self._removed)

    @property
    def count(self) -> int:
        """How many blocks (keys) are marked."""
        return len(self._changed | self._removed)

    def __contains__(self, key: int) -> bool:
        return key in self._changed or key in self._removed

    def kind(self, key: int, line: int, height: int) -> str:
        """The mark on `line` of a block `height` lines high: "changed", "removed" or ""."""
        if key in self._changed and line < height - 1:  # not the blank line after it
            return "changed"
        if key in self._removed and line == 0:
            return "removed"
        return ""

    @property
    def idle(self) -> bool:
        """Nothing is left to notice: ticks can stop until something changes."""
        return self._document_seen and not self

    def hide(self) -> None:
        """The document is off screen (or the app lost focus): time on screen starts again."""
        self._visible_since = None

    def tick(self, visible: Iterable[int]) -> Seen:
        """Count time on screen, with `visible` the keys of the blocks on screen now."""
        now = self._clock()
        if self._visible_since is None:
            self._visible_since = now
        document = not self._document_seen and now - self._visible_since >= self.seen_seconds
        self._document_seen |= document
        marked = self._changed | self._removed
        if not marked:
            return Seen(document)
        done = []
        for key in marked.intersection(visible):
            if now - self._first_seen.setdefault(key, now) >= self.seen_seconds:
                done.append(key)
        self._read.update(done)
        self._changed.difference_update(done)
        self._removed.difference_update(done)
        return Seen(document, bool(done))

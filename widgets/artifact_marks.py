"""Change marks of the reading view: which blocks changed since the last read, and when the
reader has seen them. A mark goes once its block has been on screen for `seen_seconds`; the
document counts as seen once it has been on screen that long.

Plain Python: time comes from the injected `clock` and advances only when the view calls
`tick`, so it is tested without a screen and without waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple


class Seen(NamedTuple):
    """What one tick found."""

    # The document has just counted as seen (once per document shown).
    document: bool = False
    # Some marks were read, and went.
    marks: bool = False


class ChangeMarks:
    """Marks by block key (`Block.key`), so a mark follows its block when others move.

    A block is marked changed (every line, or only some source lines of a code block),
    moved (its first line: a run of blocks that only moved is marked once), or as following
    a deletion (its first line).
    """

    def __init__(self, seen_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seen_seconds = seen_seconds
        self._clock = clock
        # Changed blocks, and blocks that follow a deletion.
        self._changed: set[int] = set()
        self._removed: set[int] = set()
        self._moved: set[int] = set()
        # Changed code blocks of which only these source lines changed.
        self._lines: dict[int, frozenset[int]] = {}
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
        self._moved &= keys
        self._document_seen = False
        self._visible_since = None

    def mark(
        self,
        changed: Iterable[int],
        removed_before: Iterable[int],
        moved: Iterable[int] = (),
        lines: Mapping[int, frozenset[int]] | None = None,
    ) -> None:
        """Mark blocks (by key) as changed (`lines`: only those source lines of some), moved,
        and blocks that follow a deletion."""
        self._changed = set(changed) - self._read
        self._removed = set(removed_before) - self._read
        self._moved = set(moved) - self._read
        self._lines = {key: value for key, value in (lines or {}).items() if key in self._changed}
        marked = self._marked
        self._first_seen = {key: value for key, value in self._first_seen.items() if key in marked}

    @property
    def _marked(self) -> set[int]:
        return self._changed | self._removed | self._moved

    def reset_read(self) -> None:
        """The current version was recorded as read: forget what was read of the last."""
        self._read.clear()

    def __bool__(self) -> bool:
        return bool(self._changed or self._removed or self._moved)

    @property
    def count(self) -> int:
        """How many blocks (keys) are marked."""
        return len(self._marked)

    def __contains__(self, key: int) -> bool:
        return key in self._changed or key in self._removed or key in self._moved

    def kind(self, key: int, line: int, height: int, source_line: int | None = None) -> str:
        """The mark on `line` of a block `height` lines high, which shows `source_line` of
        the block (for code lines): "changed", "moved", "removed" or ""."""
        if key in self._changed and line < height - 1:  # not the blank line after it
            only = self._lines.get(key)
            if only is None or source_line in only:
                return "changed"
        if line == 0:
            if key in self._moved:
                return "moved"
            if key in self._removed:
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
        marked = self._marked
        if not marked:
            return Seen(document)
        done = []
        for key in marked.intersection(visible):
            if now - self._first_seen.setdefault(key, now) >= self.seen_seconds:
                done.append(key)
        self._read.update(done)
        self._changed.difference_update(done)
        self._removed.difference_update(done)
        self._moved.difference_update(done)
        for key in done:
            self._lines.pop(key, None)
        return Seen(document, bool(done))

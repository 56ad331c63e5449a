"""Change marks of the reading view: which blocks changed since the last read, and when the
reader has seen them (a mark goes once its block has been on screen for `seen_seconds`)."""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from widgets.artifact_view import ArtifactView

    _Base = ArtifactView
else:
    _Base = object


class MarksMixin(_Base):
    def _init_marks(self) -> None:
        # By block key: changed blocks, and blocks that follow a deletion.
        self._marked: set[int] = set()
        self._removed: set[int] = set()
        self._seen: dict[int, float] = {}
        # Keys of changed blocks already read: not marked again until `reset_read`.
        self._read_keys: set[int] = set()
        self._visible_since: float | None = None
        self._document_seen = False

    def _forget_marks_of_other_blocks(self, keys: set[int]) -> None:
        self._marked &= keys
        self._removed &= keys
        self._document_seen = False
        self._visible_since = None

    def set_marks(self, changed: Iterable[int], removed_before: Iterable[int] = ()) -> None:
        """Mark blocks (by index) as changed, and blocks that follow a deletion."""
        if self.doc is None:
            return
        blocks = self.doc.blocks
        self._marked = {blocks[i].key for i in changed if i < len(blocks)} - self._read_keys
        self._removed = {blocks[i].key for i in removed_before if i < len(blocks)} - self._read_keys
        marks = self._marked | self._removed
        self._seen = {key: value for key, value in self._seen.items() if key in marks}
        self.refresh()

    def reset_read(self) -> None:
        """The owner recorded the current version as read: forget what was read of the last."""
        self._read_keys.clear()

    @property
    def marked_blocks(self) -> list[int]:
        if self.doc is None:
            return []
        marks = self._marked | self._removed
        return [index for index, block in enumerate(self.doc.blocks) if block.key in marks]

    def _mark_kind(self, block: int, line: int) -> str:
        """The gutter mark on `line` of `block`: "changed", "removed" or ""."""
        assert self.doc is not None
        key = self.doc.blocks[block].key
        if key in self._marked and line < self._map.heights[block] - 1:
            return "changed"
        if key in self._removed and line == 0:
            return "removed"
        return ""

    def _track_seen(self) -> None:
        """Count time on screen: of changed blocks (their marks go), and of the document."""
        if self._document_seen and not (self._marked or self._removed):
            return  # nothing left to notice: keep the idle app idle
        if self.doc is None or not self.app.app_focus or not self.is_on_screen or not len(self._map):
            self._visible_since = None
            return
        now = time.monotonic()
        if self._visible_since is None:
            self._visible_since = now
        if not self._document_seen and now - self._visible_since >= self.seen_seconds:
            self._document_seen = True
            self.post_message(self.DocumentSeen())
        marks = self._marked | self._removed
        if not marks:
            return
        visible = {self.doc.blocks[i].key for i in self.visible_blocks()}
        done = []
        for key in visible & marks:
            first = self._seen.setdefault(key, now)
            if now - first >= self.seen_seconds:
                done.append(key)
        if done:
            self._read_keys.update(done)
            self._marked.difference_update(done)
            self._removed.difference_update(done)
            self.refresh()
            if not (self._marked or self._removed):
                self.post_message(self.MarksRead())

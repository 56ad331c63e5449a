"""Search in the reading view: matches in the text as laid out (what the reader sees), smart
case, stepped through with n/N. Documents not laid out yet are searched in a worker thread."""

from __future__ import annotations

import re
import time
from bisect import bisect_right
from collections.abc import Callable, Sequence
from functools import partial

from rich.cells import cell_len
from textual.worker import get_current_worker

from tui.docs.blocks import MarkdownDoc
from tui.docs.lines import BlockLayout
from widgets.artifact_surface import LayoutCache, ReadingSurface

# (block, line, start cell, end cell) of a match.
Match = tuple[int, int, int, int]


class ArtifactSearch:
    """The query, its matches in reading order, and which one is current."""

    def __init__(self, surface: ReadingSurface, changed: Callable[[], None]) -> None:
        self._surface = surface
        # Called whenever the matches, the current match or `searching` change.
        self._changed = changed
        self.query = ""
        # A search runs in the background (the document is not laid out yet).
        self.searching = False
        self._matches: list[Match] = []
        self._current = -1
        # (start cell, end cell, style name) of the matches on each (block, line).
        self._by_line: dict[tuple[int, int], list[tuple[int, int, str]]] = {}

    @property
    def status(self) -> tuple[int, int]:
        """(current match, 1-based or 0, number of matches)."""
        return (self._current + 1 if self._matches else 0, len(self._matches))

    @property
    def has_matches(self) -> bool:
        return bool(self._matches)

    def overlays(self, block: int, line: int) -> Sequence[tuple[int, int, str]]:
        return self._by_line.get((block, line), ())

    def search(self, query: str) -> int:
        """Highlight every match of `query` and show the first one below the reader."""
        self.query = query
        self.run(keep_place=False)
        return len(self._matches)

    def clear(self) -> None:
        self.query = ""
        self.searching = False
        self._matches = []
        self._by_line = {}
        self._current = -1
        self._changed()

    def run(self, *, keep_place: bool) -> None:
        """Find the matches again (the document or its width changed, with `keep_place`)."""
        surface = self._surface
        previous = self._matches[self._current][:2] if keep_place and self._matches else None
        self._matches = []
        self._by_line = {}
        self._current = -1
        query, doc, width = self.query, surface.doc, surface.layout_width
        if doc is None or not query or not width:
            self.searching = False
            self._changed()
            return
        apply = partial(self._apply, surface.generation, query, keep_place=keep_place, previous=previous)
        if surface.fully_laid_out:
            apply(find_matches(surface.layout_all(), query))
            return
        # Matching needs every block laid out: that runs in a thread, the UI stays live.
        self.searching = True
        self._changed()
        find = partial(self._find_in_thread, surface.generation, doc, width, surface.layouts, query)
        surface.run_in_thread(find, apply, "artifact-search")

    def _find_in_thread(
        self, generation: int, doc: MarkdownDoc, width: int, layouts: LayoutCache, query: str
    ) -> list[Match] | None:
        worker = get_current_worker()
        found: list[BlockLayout] = []
        for block in doc.blocks:
            if worker.is_cancelled or generation != self._surface.generation or query != self.query:
                return None
            if (block.key, width) not in layouts:
                time.sleep(0)  # let the UI loop take the GIL now if it wants it (a key press)
            found.append(layouts.of(block, width, doc.references))
        return find_matches(found, query)

    def _apply(
        self, generation: int, query: str, matches: list[Match], *, keep_place: bool, previous: tuple[int, int] | None
    ) -> None:
        surface = self._surface
        if generation != surface.generation or query != self.query or surface.doc is None:
            return
        self.searching = False
        # Matches are placed by line: every block's true height must be known now.
        surface.layout_all()
        self._matches = matches
        if matches:
            here = previous or surface.anchor
            positions = [(block, line) for block, line, _, _ in matches]
            self._current = min(bisect_right(positions, (here[0], here[1] - 1)), len(matches) - 1)
        self._index_lines()
        if matches and not keep_place:
            self._reveal_current()
        self._changed()

    def step(self, step: int) -> bool:
        """Make the next (or previous) match current and show it; False if there are none."""
        if not self._matches:
            return False
        self._current = (self._current + step) % len(self._matches)
        self._index_lines()
        self._reveal_current()
        self._changed()
        return True

    def _index_lines(self) -> None:
        lines: dict[tuple[int, int], list[tuple[int, int, str]]] = {}
        for number, (block, line, start, end) in enumerate(self._matches):
            style = "search-current" if number == self._current else "search-match"
            lines.setdefault((block, line), []).append((start, end, style))
        self._by_line = lines

    def _reveal_current(self) -> None:
        block, line, _, _ = self._matches[self._current]
        self._surface.reveal(block, line)


def find_matches(layouts: list[BlockLayout], query: str) -> list[Match]:
    """(block, line, start cell, end cell) of each match of `query` in the laid-out text.

    Case-insensitive unless the query has a capital (smart case, as in vim and less).
    """
    flags = 0 if any(char.isupper() for char in query) else re.IGNORECASE
    pattern = re.compile(re.escape(query), flags)
    matches = []
    for block_index, layout in enumerate(layouts):
        for line_index, line in enumerate(layout.lines):
            if not line.runs:
                continue
            text = line.plain
            for match in pattern.finditer(text):
                start, end = match.span()
                if not text.isascii():
                    start, end = cell_len(text[:start]), cell_len(text[:end])
                matches.append((block_index, line_index, start, end))
    return matches

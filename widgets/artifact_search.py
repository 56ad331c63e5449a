"""Search in the reading view: matches in the text as laid out (what the reader sees), smart
case, n/N to step through them. Documents not laid out yet are searched in a worker thread."""

from __future__ import annotations

import re
import time
from bisect import bisect_right

from rich.cells import cell_len
from textual import work
from textual.actions import SkipAction
from textual.worker import get_current_worker

from tui.docs.blocks import MarkdownDoc
from tui.docs.layout import layout_block
from tui.docs.lines import BlockLayout

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from widgets.artifact_view import ArtifactView

    _Base = ArtifactView
else:
    _Base = object


class SearchMixin(_Base):
    def _init_search(self) -> None:
        self.query = ""
        self._searching = False
        # (block, line, start cell, end cell) of each match, in reading order.
        self._matches: list[tuple[int, int, int, int]] = []
        self._match_index = -1
        self._match_lines: dict[tuple[int, int], list[tuple[int, int, bool]]] = {}

    def search(self, query: str) -> int:
        """Highlight every match of `query` (case-insensitive unless it has capitals)."""
        self.query = query
        self._run_search(keep_place=False)
        return len(self._matches)

    def clear_search(self) -> None:
        self.query = ""
        self._matches = []
        self._match_lines = {}
        self._match_index = -1
        self.refresh()
        self._sync_bindings()
        self.post_message(self.SearchUpdated())

    @property
    def match_status(self) -> tuple[int, int]:
        """(current match, 1-based or 0, number of matches)."""
        return (self._match_index + 1 if self._matches else 0, len(self._matches))

    def _all_layouts(self) -> list[BlockLayout]:
        assert self.doc is not None
        layouts = [self._layout(index) for index in range(len(self.doc.blocks))]
        self._update_heights(range(len(self.doc.blocks)))
        return layouts

    def text_lines(self) -> list[str]:
        """The whole document as laid out at the current width, as plain text."""
        if self.doc is None or not self._width:
            return []
        return [line.plain for layout in self._all_layouts() for line in layout.lines]

    @property
    def searching(self) -> bool:
        """A search is running in the background (the document is not laid out yet)."""
        return self._searching

    def _run_search(self, *, keep_place: bool) -> None:
        previous = self._matches[self._match_index][:2] if keep_place and self._matches else None
        self._matches = []
        self._match_lines = {}
        self._match_index = -1
        if self.doc is None or not self.query or not self._width:
            self._searching = False
            self.refresh()
            self._sync_bindings()
            self.post_message(self.SearchUpdated())
            return
        if self.fully_laid_out:
            layouts = [self._layout(index) for index in range(len(self.doc.blocks))]
            self._apply_matches(self._generation, self.query, find_matches(layouts, self.query), keep_place, previous)
            return
        # Matching needs every block laid out: that runs in a thread, the UI stays live.
        self._searching = True
        self.post_message(self.SearchUpdated())
        self._search_worker(self._generation, self.doc, self._width, self._layouts, self.query, keep_place, previous)

    @work(thread=True, exclusive=True, group="artifact-search", description="search the document")
    def _search_worker(
        self,
        generation: int,
        doc: MarkdownDoc,
        width: int,
        layouts: dict[tuple[int, int], BlockLayout],
        query: str,
        keep_place: bool,
        previous: tuple[int, int] | None,
    ) -> None:
        worker = get_current_worker()
        found: list[BlockLayout] = []
        for block in doc.blocks:
            if worker.is_cancelled or generation != self._generation or query != self.query:
                return
            layout = layouts.get((block.key, width))
            if layout is None:
                layout = layouts[(block.key, width)] = layout_block(block, width, doc.references)
                time.sleep(0)  # keep the UI loop responsive (see _layout_worker)
            found.append(layout)
        matches = find_matches(found, query)
        self.app.call_from_thread(self._apply_matches, generation, query, matches, keep_place, previous)

    def _apply_matches(
        self,
        generation: int,
        query: str,
        matches: list[tuple[int, int, int, int]],
        keep_place: bool,
        previous: tuple[int, int] | None,
    ) -> None:
        if generation != self._generation or query != self.query or self.doc is None:
            return
        self._searching = False
        # Matches are placed by line: every block's true height must be known now.
        self._update_heights(range(len(self.doc.blocks)))
        self._matches = matches
        if matches:
            here = previous or self.anchor
            positions = [(block, line) for block, line, _, _ in matches]
            self._match_index = min(bisect_right(positions, (here[0], here[1] - 1)), len(matches) - 1)
        self._index_matches()
        if matches and not keep_place:
            self._show_match()
        self.refresh()
        self._sync_bindings()
        self.post_message(self.SearchUpdated())

    def _index_matches(self) -> None:
        lines: dict[tuple[int, int], list[tuple[int, int, bool]]] = {}
        for number, (block, line, start, end) in enumerate(self._matches):
            lines.setdefault((block, line), []).append((start, end, number == self._match_index))
        self._match_lines = lines

    def _show_match(self) -> None:
        block, line, _, _ = self._matches[self._match_index]
        top = self._map.top(block) + line
        height = self.scrollable_content_region.height
        if not (self.scroll_y <= top < self.scroll_y + height):
            self.scroll_to(y=max(0, top - height // 3), animate=False, immediate=True, force=True)

    def _step_match(self, step: int) -> None:
        if not self._matches:
            raise SkipAction()
        self._match_index = (self._match_index + step) % len(self._matches)
        self._index_matches()
        self._show_match()
        self.refresh()
        self._sync_bindings()
        self.post_message(self.SearchUpdated())

    def action_next_match(self) -> None:
        self._step_match(1)

    def action_previous_match(self) -> None:
        self._step_match(-1)


def find_matches(layouts: list[BlockLayout], query: str) -> list[tuple[int, int, int, int]]:
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

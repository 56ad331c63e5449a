"""Selection in the reading view: whole lines from the keyboard (`v`, then the arrows or
j/k), or cells with a mouse drag. It is kept as points in the laid-out document (block,
line, cell), so it stays on its text while the view scrolls; a new version of the document
clears it.

It gives the view its overlays, and its owner the text as shown (what `y` copies) and the
text to find in the source (`tui.docs.source_span`), without list markers and other cells
that rendering adds.
"""

from __future__ import annotations

from collections.abc import Iterator

from rich.cells import get_character_cell_size

from tui.docs.block_diff import BlockDiff
from tui.docs.blocks import MarkdownDoc
from tui.docs.wrap import Run
from widgets.artifact_surface import ReadingSurface

# (block, line, cell) in the document as laid out.
Point = tuple[int, int, int]
# Cells rendering adds that the source does not have in that form.
DECORATION = frozenset({"number", "bullet", "task-done", "task-open", "quote-bar", "code-pad", "code-wrap",
                        "code-lang", "table-border"})
_END = 1 << 30


class SelectionCursor:
    def __init__(self, surface: ReadingSurface) -> None:
        self._surface = surface
        self.anchor: Point | None = None
        self.head: Point | None = None
        # Whole lines (keyboard), rather than the cells between two points (mouse).
        self.whole_lines = False

    @property
    def active(self) -> bool:
        return self.anchor is not None and self.head is not None

    @property
    def keyboard(self) -> bool:
        """Selecting with the keys: the arrows move the selection's end."""
        return self.active and self.whole_lines

    def start_lines(self, block: int, line: int) -> None:
        self.anchor = self.head = (block, line, 0)
        self.whole_lines = True

    def start_drag(self, point: Point) -> None:
        self.anchor = self.head = point
        self.whole_lines = False

    def drag_to(self, point: Point) -> None:
        if self.anchor is not None:
            self.head = point

    def move(self, block: int, line: int) -> None:
        self.head = (block, line, 0)

    def step(self, step: int) -> tuple[int, int] | None:
        """Move the selection's end one line of text down (or up): the (block, line) it
        moved to, None at the document's edge. Blank lines between blocks are skipped."""
        head = self.head
        surface = self._surface
        if head is None or surface.doc is None:
            return None
        y = surface.row_position(head[0], head[1])
        while 0 <= y + step < surface.rows_total:
            y += step
            block, line = surface.row_at(y)
            if line < surface.layout(block).height:
                self.move(block, line)
                return block, line
        return None

    def point_at(self, doc_y: int, cell: int) -> Point | None:
        """The point at screen line `doc_y` (from the document's top), `cell` cells into the
        text column; the blank line after a block counts as that block's end."""
        surface = self._surface
        if surface.doc is None or not surface.rows_total:
            return None
        block, line = surface.row_at(max(0, min(doc_y, surface.rows_total - 1)))
        height = surface.layout(block).height
        width = surface.layout_width
        if line >= height:
            return (block, max(0, height - 1), width)
        return (block, line, max(0, min(width, cell)))

    def keep(self, previous: MarkdownDoc | None, doc: MarkdownDoc, diff: BlockDiff | None) -> bool:
        """Follow a reload: keep the selection on its blocks when they did not change (True);
        else clear it (False)."""
        if self.anchor is None or self.head is None:
            return True
        moved: list[Point] = []
        for block, line, cell in (self.anchor, self.head):
            new = diff.old_to_new[block] if diff is not None and block < len(diff.old_to_new) else -1
            if previous is None or not 0 <= new < len(doc.blocks) or doc.blocks[new].key != previous.blocks[block].key:
                self.clear()
                return False
            moved.append((new, line, cell))
        self.anchor, self.head = moved
        return True

    def clear(self) -> bool:
        had = self.active
        self.anchor = self.head = None
        return had

    @property
    def empty(self) -> bool:
        """A click rather than a drag: nothing is selected yet."""
        return not self.active or (not self.whole_lines and self.anchor == self.head)

    def bounds(self) -> tuple[Point, Point] | None:
        if self.anchor is None or self.head is None:
            return None
        first, last = sorted((self.anchor, self.head))
        if self.whole_lines:
            return (first[0], first[1], 0), (last[0], last[1], _END)
        return first, last

    def blocks(self) -> tuple[int, int] | None:
        bounds = self.bounds()
        return (bounds[0][0], bounds[1][0]) if bounds else None

    def overlays(self, block: int, line: int) -> tuple[tuple[int, int, str], ...]:
        bounds = self.bounds()
        if bounds is None or self.empty:
            return ()
        first, last = bounds
        if not (first[:2] <= (block, line) <= last[:2]):
            return ()
        start = first[2] if (block, line) == first[:2] else 0
        end = last[2] if (block, line) == last[:2] else self._surface.layout_width
        return ((start, min(end, self._surface.layout_width), "selection"),)

    def rows(self) -> Iterator[tuple[int, int, int, int]]:
        """(block, line, start cell, end cell) of each laid-out line selected."""
        bounds = self.bounds()
        if bounds is None or self._surface.doc is None:
            return
        first, last = bounds
        for block in range(first[0], last[0] + 1):
            height = self._surface.layout(block).height
            top = first[1] if block == first[0] else 0
            bottom = last[1] if block == last[0] else height - 1
            for line in range(top, min(bottom, height - 1) + 1):
                start = first[2] if (block, line) == first[:2] else 0
                end = last[2] if (block, line) == last[:2] else _END
                yield block, line, start, end

    def shown_text(self) -> str:
        """The selection as it reads on screen (what `y` copies), trailing blanks trimmed."""
        rows = [_cut(self._surface.layout(b).lines[n].runs, a, e, keep_decoration=True).rstrip()
                for b, n, a, e in self.rows()]
        return "\n".join(rows).strip("\n")

    def source_words(self) -> str:
        """The selection without the cells rendering adds: what is looked for in the source."""
        return "\n".join(_cut(self._surface.layout(b).lines[n].runs, a, e, keep_decoration=False)
                         for b, n, a, e in self.rows())


def _cut(runs: list[Run], start: int, end: int, *, keep_decoration: bool) -> str:
    """The text of the cells `start`..`end` of a line's runs."""
    out: list[str] = []
    position = 0
    for text, style, _ in runs:
        skip = not keep_decoration and style in DECORATION
        for char in text:
            width = 1 if char.isascii() else get_character_cell_size(char)
            if start <= position < end and not skip:
                out.append(char)
            position += width
            if position >= end:
                return "".join(out)
    return "".join(out)

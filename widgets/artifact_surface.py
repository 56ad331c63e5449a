"""What the reading view's helpers (search, links) use of it: the document as laid out at the
current width, and the viewport. They are given the view as a `ReadingSurface`, so they never
import it, and each can be read (and tested) without the others."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

from tui.docs.block_diff import BlockDiff
from tui.docs.blocks import Block, MarkdownDoc
from tui.docs.layout import layout_block
from tui.docs.lines import BlockLayout

_T = TypeVar("_T")


class LayoutCache(dict[tuple[int, int], BlockLayout]):
    """Block layouts by (block key, width).

    Filled from the UI loop and from worker threads alike: setting an item is atomic, and a
    block laid out twice comes out the same.
    """

    def __init__(self, items: Iterable[tuple[tuple[int, int], BlockLayout]] = ()) -> None:
        super().__init__(items)
        self.widths = {width for _, width in self}

    def of(self, block: Block, width: int, references: dict[str, Any]) -> BlockLayout:
        found = self.get((block.key, width))
        if found is None:
            self.widths.add(width)
            found = self[(block.key, width)] = layout_block(block, width, references)
        return found

    def for_version(self, previous: MarkdownDoc | None, doc: MarkdownDoc, diff: BlockDiff | None) -> LayoutCache:
        """This cache without the layouts of blocks `doc` no longer has. With `diff` from
        `previous`, only the blocks that changed are looked at; a full sweep now and then
        catches layouts a worker finished for a version after it was replaced."""
        keys = doc.keys
        partial = previous is not None and diff is not None and len(diff.old_to_new) == len(previous.blocks)
        if not partial or len(self) > 3 * len(doc.blocks) + 64:
            return LayoutCache((key, value) for key, value in self.items() if key[0] in keys)
        assert previous is not None and diff is not None
        changed = previous.blocks[diff.same_start : len(previous.blocks) - diff.same_end]
        for key in {block.key for block in changed} - keys:
            for width in tuple(self.widths):
                self.pop((key, width), None)
        return self

    def lay_out_estimated(
        self,
        doc: MarkdownDoc,
        width: int,
        exact: bytes,
        *,
        stale: Callable[[], bool],
        report: Callable[[list[int]], object],
    ) -> None:
        """Lay out (in a worker thread) the blocks whose heights are estimated, those with a 0
        in `exact`: every quarter of a second `report` those done, and at the end all of
        them. Stops as soon as `stale()` says the work is no longer wanted."""
        started = time.monotonic()
        pending: list[int] = []
        estimated: list[int] = []
        index = exact.find(0)
        while index >= 0:
            if stale():
                return
            estimated.append(index)
            block = doc.blocks[index]
            if (block.key, width) not in self:
                self.of(block, width, doc.references)
                pending.append(index)
                # Let the UI loop take the GIL now if it wants it (a key press), rather than
                # after the interpreter's 5 ms switch interval.
                time.sleep(0)
            if time.monotonic() - started > 0.25 and pending:
                report(pending)
                pending = []
                started = time.monotonic()
            index = exact.find(0, index + 1)
        report(estimated)


class ReadingSurface(Protocol):
    doc: MarkdownDoc | None
    # Every block is laid out at the current width: heights (and line positions) are exact.
    fully_laid_out: bool

    @property
    def generation(self) -> int:
        """Bumped whenever the document or the width changes: older results are stale."""
        ...

    @property
    def layout_width(self) -> int:
        """Width of the text column; 0 until the view knows its size."""
        ...

    @property
    def layouts(self) -> LayoutCache: ...

    @property
    def anchor(self) -> tuple[int, int]:
        """(block index, line within the block) at the top of the view."""
        ...

    @property
    def viewport_height(self) -> int: ...

    def layout(self, index: int) -> BlockLayout: ...

    @property
    def rows_total(self) -> int:
        """Screen lines of the whole document (blank lines between blocks included)."""
        ...

    def row_position(self, block: int, line: int) -> int:
        """The screen line (from the document's top) of `line` of `block`."""
        ...

    def row_at(self, y: int) -> tuple[int, int]:
        """(block, line within it) of screen line `y` (from the document's top)."""
        ...

    def layout_all(self) -> list[BlockLayout]:
        """Every block laid out, with its true height taken (the reader stays in place)."""
        ...

    def visible_blocks(self) -> range: ...

    def reveal(self, block: int, line: int) -> None:
        """Scroll so that `line` of `block` is on screen (a third down), if it is not."""
        ...

    def run_in_thread(self, work: Callable[[], _T | None], then: Callable[[_T], object], group: str) -> None:
        """Run `work` in a worker thread (replacing the group's last), then `then(result)` on
        the UI loop unless `work` returned None."""
        ...

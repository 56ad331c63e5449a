"""What the reading view's helpers (search, links) use of it: the document as laid out at the
current width, and the viewport. They are given the view as a `ReadingSurface`, so they never
import it, and each can be read (and tested) without the others."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar

from tui.docs.blocks import Block, MarkdownDoc
from tui.docs.layout import layout_block
from tui.docs.lines import BlockLayout

_T = TypeVar("_T")


class LayoutCache(dict[tuple[int, int], BlockLayout]):
    """Block layouts by (block key, width).

    Filled from the UI loop and from worker threads alike: setting an item is atomic, and a
    block laid out twice comes out the same.
    """

    def of(self, block: Block, width: int, references: dict[str, Any]) -> BlockLayout:
        found = self.get((block.key, width))
        if found is None:
            found = self[(block.key, width)] = layout_block(block, width, references)
        return found


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

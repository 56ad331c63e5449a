"""How many screen lines each block takes, and where each block starts.

A block's height is exact once it is laid out at the current width and estimated before
that; heights are corrected as layouts arrive. The reading view keeps its place as an anchor
(block, line within block) and converts it to a scroll position through this map.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from itertools import accumulate

from tui.docs.blocks import Block
from tui.docs.layout import estimate_height
from tui.docs.lines import BlockLayout


class HeightMap:
    def __init__(self) -> None:
        self.heights: list[int] = []
        self.exact = bytearray()
        self.offsets: list[int] = [0]

    def __len__(self) -> int:
        return len(self.heights)

    @property
    def total(self) -> int:
        return self.offsets[-1]

    @property
    def complete(self) -> bool:
        """Every height is exact."""
        return 0 not in self.exact

    def reset(self, blocks: list[Block], width: int, layouts: Mapping[tuple[int, int], BlockLayout]) -> None:
        """Heights for `blocks` at `width`: from `layouts` where known, else estimated."""
        heights: list[int] = []
        exact = bytearray(len(blocks))
        for index, block in enumerate(blocks):
            found = layouts.get((block.key, width))
            if found is not None:
                heights.append(found.height)
                exact[index] = 1
            else:
                heights.append(estimate_height(block, width))
        self.heights = heights
        self.exact = exact
        self.offsets = [0, *accumulate(heights)]

    def splice(
        self,
        same_start: int,
        same_end: int,
        blocks: list[Block],
        width: int,
        layouts: Mapping[tuple[int, int], BlockLayout],
    ) -> None:
        """Heights for `blocks`, a new version of the blocks measured here of which only those
        between the first `same_start` and the last `same_end` changed (at the same width).

        Only the changed blocks are looked at; the rest is copied, so an append costs what
        was appended, however long the document.
        """
        old_end = len(self.heights) - same_end
        middle = HeightMap()
        middle.reset(blocks[same_start : len(blocks) - same_end], width, layouts)
        self.heights[same_start:old_end] = middle.heights
        self.exact[same_start:old_end] = middle.exact
        self.offsets[same_start:] = accumulate(self.heights[same_start:], initial=self.offsets[same_start])

    def take(
        self,
        indices: Iterable[int],
        blocks: list[Block],
        width: int,
        layouts: Mapping[tuple[int, int], BlockLayout],
    ) -> bool:
        """Use the layouts now known for `indices`; True if any height changed."""
        changed = False
        for index in indices:
            if self.exact[index]:
                continue
            found = layouts.get((blocks[index].key, width))
            if found is None:
                continue
            self.exact[index] = 1
            if self.heights[index] != found.height:
                self.heights[index] = found.height
                changed = True
        if changed:
            self.offsets = [0, *accumulate(self.heights)]
        return changed

    def block_at(self, y: int) -> int:
        """The block showing screen line `y` of the document (the last one past the end)."""
        return max(0, min(bisect_right(self.offsets, y) - 1, len(self.heights) - 1))

    def top(self, block: int) -> int:
        return self.offsets[min(block, len(self.offsets) - 1)]

    def locate(self, y: int) -> tuple[int, int]:
        """(block, line within it) of screen line `y`."""
        block = self.block_at(y)
        return block, y - self.offsets[block]

    def position(self, block: int, line: int) -> int:
        """Screen line of `line` within `block`, clamped into the document."""
        if not self.heights:
            return 0
        block = max(0, min(block, len(self.heights) - 1))
        line = max(0, min(line, self.heights[block] - 1))
        return self.offsets[block] + line

    def pending(self, indices: Iterable[int]) -> list[int]:
        """Which of `indices` still have estimated heights."""
        return [index for index in indices if not self.exact[index]]

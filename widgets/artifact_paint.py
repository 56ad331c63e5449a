"""Painting of the reading view: laid-out lines to cached segments, in the current theme.

A line is painted when first shown, once per width and theme (syntax highlighting included);
overlays (search matches, the selected link) and the edges (margin, gutter) are added per
screen row. What is kept is bounded by size, not by count: a block that grows by appends
can be thousands of lines, and each version of it is a new block.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Sequence

from rich.segment import Segment
from rich.style import Style as RichStyle
from textual.strip import Strip

from tui.docs.highlight import LineTokens, lex_lines, slice_tokens
from tui.docs.lines import BlockLayout, Fence, Line
from tui.docs.wrap import cells
from widgets.artifact_gutter import Gutter
from widgets.theme_styles import ThemeStyles

# Fences bigger than this are shown without highlighting (lexing runs while painting).
MAX_FENCE_HIGHLIGHT = 40_000
# Painted lines kept, in cells of the text column: 5,000 lines of 100 columns, a few MB of
# segments (about 700 bytes a line). Lines are kept as segments, not Strips: a Strip carries
# seven caches of its own, over 1 KB even when they are empty.
PAINT_CACHE_CELLS = 500_000
# Highlighted code kept, in characters of code (tokens take about 20 bytes a character).
LEX_CACHE_CHARS = 200_000


class BlockPainter:
    """Paints rows of the reading view: margin, gutter, then the text column."""

    def __init__(self, styles: ThemeStyles) -> None:
        self.styles = styles
        self.gutter = Gutter(styles)
        # Painted lines by (block key, width), least recently painted block first: each block's
        # lines by line number, filled as they are shown.
        self._painted: OrderedDict[tuple[int, int], dict[int, tuple[Segment, ...]]] = OrderedDict()
        self._cells = 0
        self._edges: dict[tuple[int, str, str], list[Segment]] = {}
        self._link_styles: dict[tuple[str, str], RichStyle] = {}
        # Tokens of each line of a fence (None: not highlighted) and its size in characters,
        # by (block key, fence index), least recently used first. Filled from worker threads
        # too (`lex`), hence the lock.
        self._lexed: OrderedDict[tuple[int, int], tuple[list[LineTokens] | None, int]] = OrderedDict()
        self._lexed_chars = 0
        self._lex_lock = threading.Lock()

    @property
    def cells_held(self) -> int:
        """Cells of painted lines kept (at most `PAINT_CACHE_CELLS` beyond one block's lines)."""
        return self._cells

    @property
    def blocks_held(self) -> set[int]:
        """Keys of the blocks with painted lines or highlighted code kept."""
        with self._lex_lock:
            lexed = {key for key, _ in self._lexed}
        return {key for key, _ in self._painted} | lexed

    @property
    def code_chars_held(self) -> int:
        return self._lexed_chars

    def sync_theme(self) -> None:
        """Forget what was painted in another theme."""
        if self.styles.refresh():
            self._painted.clear()
            self._cells = 0
            self._edges.clear()
            self._link_styles.clear()

    def forget_width(self) -> None:
        self._painted.clear()
        self._cells = 0
        self._edges.clear()

    def keep_blocks(self, keys: frozenset[int] | set[int]) -> None:
        """Only blocks with these keys are shown now: forget what was painted of the others
        (older versions of a block that changed). Costs what is kept, not the document."""
        for entry in [entry for entry in self._painted if entry[0] not in keys]:
            self._cells -= entry[1] * len(self._painted.pop(entry))
        with self._lex_lock:
            for entry in [entry for entry in self._lexed if entry[0] not in keys]:
                self._lexed_chars -= self._lexed.pop(entry)[1]

    def lex(self, key: int, layout: BlockLayout) -> None:
        """Highlight the fences of a block ahead of painting (safe in a worker thread)."""
        for index in range(len(layout.fences)):
            self._tokens(key, index, layout)

    def _tokens(self, key: int, index: int, layout: BlockLayout) -> list[LineTokens] | None:
        entry = (key, index)
        with self._lex_lock:
            found = self._lexed.get(entry)
            if found is not None:
                self._lexed.move_to_end(entry)
                return found[0]
        fence = layout.fences[index]
        tokens = _lex_fence(fence)  # outside the lock: it is the slow part
        with self._lex_lock:
            if entry not in self._lexed:
                self._lexed[entry] = (tokens, len(fence.code))
                self._lexed_chars += len(fence.code)
                while self._lexed_chars > LEX_CACHE_CHARS and len(self._lexed) > 1:
                    self._lexed_chars -= self._lexed.popitem(last=False)[1][1]
        return tokens

    def blank(self, width: int) -> Strip:
        return Strip.blank(width, self.styles.get("text"))

    def notice(self, text: str, width: int) -> Strip:
        """A row saying `text` in the text column (an empty document says so)."""
        base = self.styles.get("text")
        shown = text[: max(0, width - Gutter.WIDTH)]
        return Strip([Segment(" " * Gutter.WIDTH, base), Segment(shown, self.styles.get("muted"))]).extend_cell_length(width, base)

    def row(
        self,
        key: int,
        layout: BlockLayout,
        line: int,
        *,
        text_width: int,
        width: int,
        mark: str,
        overlays: Iterable[tuple[int, int, str]],
        note: str = "",
    ) -> Strip:
        """Screen row showing `line` of a block, `width` cells wide around a text column of
        `text_width`, with `mark` and `note` (comments) in the gutter and (start cell, end
        cell, style name) overlays drawn over the text."""
        if line < layout.height:
            text: Sequence[Segment] = self._line(key, layout, line, text_width)
        else:
            text = [Segment(" " * text_width, self.styles.get("text"))]
        for start, end, style in overlays:
            text = _restyle(Strip(text, text_width), start, end, self.styles.get(style))
        margin = max(0, (width - Gutter.WIDTH - 1 - text_width) // 2)
        left = self._edges.get((width, mark, note))
        if left is None:
            left = self._edges[(width, mark, note)] = self.gutter.left_edge(margin, mark, note)
        if width < Gutter.WIDTH + text_width:  # a sliver of a pane: crop rather than overflow
            return Strip([*left, *text]).crop_extend(0, width, self.styles.get("text"))
        right = self._edges.get((width, "right", ""))
        if right is None:
            rest = width - margin - Gutter.WIDTH - text_width
            right = self._edges[(width, "right", "")] = [Segment(" " * rest, self.styles.get("text"))] if rest > 0 else []
        return Strip([*left, *text, *right], width)

    def _line(self, key: int, layout: BlockLayout, line: int, width: int) -> tuple[Segment, ...]:
        entry = (key, width)
        lines = self._painted.get(entry)
        if lines is None:
            lines = self._painted[entry] = {}
        else:
            self._painted.move_to_end(entry)
        found = lines.get(line)
        if found is None:
            found = lines[line] = self._paint(layout.lines[line], layout, key, width)
            self._cells += width
            if self._cells > PAINT_CACHE_CELLS:
                self._evict(entry)
        return found

    def _evict(self, painting: tuple[int, int]) -> None:
        """Drop the least recently painted blocks until the cache is within its budget."""
        while self._cells > PAINT_CACHE_CELLS and len(self._painted) > 1:
            entry, lines = self._painted.popitem(last=False)
            if entry == painting:  # never the block being painted: it goes to the back
                self._painted[entry] = lines
                continue
            self._cells -= entry[1] * len(lines)
        if self._cells > PAINT_CACHE_CELLS:
            # One block alone is over the budget (thousands of lines scrolled through): keep
            # the most recent lines of it.
            lines = self._painted[painting]
            for number in list(lines)[: len(lines) // 2]:
                del lines[number]
            self._cells = painting[1] * len(lines)

    def _paint(self, line: Line, layout: BlockLayout, key: int, width: int) -> tuple[Segment, ...]:
        styles = self.styles
        segments: list[Segment] = []
        used = 0
        code = line.code
        for index, (text, style, link) in enumerate(line.runs):
            used += cells(text)
            if code is not None and index == code[4]:
                segments.extend(self._code_segments(layout, key, code, style))
                continue
            if link is None:
                segments.append(Segment(text, styles.get(style)))
                continue
            link_style = self._link_styles.get((style, link))
            if link_style is None:
                link_style = styles.get(style) + RichStyle.from_meta({"@click": ("activate_link", (link,))})
                self._link_styles[(style, link)] = link_style
            segments.append(Segment(text, link_style))
        if used < width:
            segments.append(Segment(" " * (width - used), styles.get(line.fill or "text")))
        elif used > width:
            return tuple(Strip(segments).crop(0, width))
        return tuple(segments)

    def _code_segments(
        self, layout: BlockLayout, key: int, code: tuple[int, int, int, int, int], style: str
    ) -> list[Segment]:
        fence_index, number, start, end, _ = code
        lexed = self._tokens(key, fence_index, layout)
        text = layout.fences[fence_index].lines[number][start:end]
        if lexed is None or number >= len(lexed):
            return [Segment(text, self.styles.get(style))]
        return [
            Segment(piece, self.styles.token(token_type, style))
            for token_type, piece in slice_tokens(lexed[number], start, end)
        ]


def _lex_fence(fence: Fence) -> list[LineTokens] | None:
    if fence.language and len(fence.code) <= MAX_FENCE_HIGHLIGHT:
        return lex_lines(fence.code, fence.language)
    return None


def _restyle(strip: Strip, start: int, end: int, style: RichStyle) -> Strip:
    """`strip` with cells [start, end) drawn over with `style` (colours and attributes)."""
    if end <= start:
        return strip
    length = strip.cell_length
    cuts = [min(start, length), min(end, length), length]
    before, middle, after = strip.divide(cuts)
    middle = Strip([Segment(text, (seg_style + style) if seg_style else style, control) for text, seg_style, control in middle])
    return Strip.join([before, middle, after])

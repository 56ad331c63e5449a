"""Painting of the reading view: laid-out lines to cached Strips, in the current theme.

A block is painted once per width and theme (syntax highlighting included); overlays (search
matches, the selected link) and the edges (margin, gutter) are added per screen row.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

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
STRIP_CACHE_BLOCKS = 400


class BlockPainter:
    """Paints rows of the reading view: margin, gutter, then the text column."""

    def __init__(self, styles: ThemeStyles) -> None:
        self.styles = styles
        self.gutter = Gutter(styles)
        # By (block key, width), least recently painted first.
        self._strips: OrderedDict[tuple[int, int], list[Strip]] = OrderedDict()
        self._edges: dict[tuple[int, str], list[Segment]] = {}
        self._link_styles: dict[tuple[str, str], RichStyle] = {}
        # Tokens of each line of a fence, by (block key, fence index); None: not highlighted.
        self._lexed: dict[tuple[int, int], list[LineTokens] | None] = {}

    def sync_theme(self) -> None:
        """Forget what was painted in another theme."""
        if self.styles.refresh():
            self._strips.clear()
            self._edges.clear()
            self._link_styles.clear()

    def forget_width(self) -> None:
        self._strips.clear()
        self._edges.clear()

    def keep_blocks(self, keys: set[int]) -> None:
        """Only blocks with these keys are shown now: drop the highlighting of the others."""
        self._lexed = {key: value for key, value in self._lexed.items() if key[0] in keys}

    def lex(self, key: int, layout: BlockLayout) -> None:
        """Highlight the fences of a block ahead of painting (safe in a worker thread)."""
        for index, fence in enumerate(layout.fences):
            if (key, index) not in self._lexed:
                self._lexed[(key, index)] = _lex_fence(fence)

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
    ) -> Strip:
        """Screen row showing `line` of a block, `width` cells wide around a text column of
        `text_width`, with `mark` in the gutter and (start cell, end cell, style name)
        overlays drawn over the text."""
        strips = self._block_strips(key, layout, text_width)
        strip = strips[line] if line < len(strips) else Strip.blank(text_width, self.styles.get("text"))
        for start, end, style in overlays:
            strip = _restyle(strip, start, end, self.styles.get(style))
        margin = max(0, (width - Gutter.WIDTH - 1 - text_width) // 2)
        left = self._edges.get((width, mark))
        if left is None:
            left = self._edges[(width, mark)] = self.gutter.left_edge(margin, mark)
        if width < Gutter.WIDTH + text_width:  # a sliver of a pane: crop rather than overflow
            return Strip([*left, *strip]).crop_extend(0, width, self.styles.get("text"))
        right = self._edges.get((width, "right"))
        if right is None:
            rest = width - margin - Gutter.WIDTH - text_width
            right = self._edges[(width, "right")] = [Segment(" " * rest, self.styles.get("text"))] if rest > 0 else []
        return Strip([*left, *strip, *right], width)

    def _block_strips(self, key: int, layout: BlockLayout, width: int) -> list[Strip]:
        found = self._strips.get((key, width))
        if found is not None:
            self._strips.move_to_end((key, width))
            return found
        found = self._strips[(key, width)] = [self._paint(line, layout, key, width) for line in layout.lines]
        if len(self._strips) > STRIP_CACHE_BLOCKS:
            self._strips.popitem(last=False)
        return found

    def _paint(self, line: Line, layout: BlockLayout, key: int, width: int) -> Strip:
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
            return Strip(segments).crop(0, width)
        return Strip(segments, width)

    def _code_segments(
        self, layout: BlockLayout, key: int, code: tuple[int, int, int, int, int], style: str
    ) -> list[Segment]:
        fence_index, number, start, end, _ = code
        fence = layout.fences[fence_index]
        if (key, fence_index) not in self._lexed:
            self._lexed[(key, fence_index)] = _lex_fence(fence)
        lexed = self._lexed[(key, fence_index)]
        text = fence.lines[number][start:end]
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

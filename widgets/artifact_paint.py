"""Painting of the reading view: laid-out lines to cached Strips, in the current theme.

A block is painted once per width and theme (syntax highlighting included); overlays (search
matches, the selected link) and the margin with change marks are added per screen line.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING

from rich.segment import Segment
from rich.style import Style as RichStyle
from textual.strip import Strip

from tui.docs.highlight import LineTokens, lex_lines, slice_tokens
from tui.docs.lines import BlockLayout, Fence, Line
from tui.docs.wrap import cells

if TYPE_CHECKING:
    from widgets.artifact_view import ArtifactView

    _Base = ArtifactView
else:
    _Base = object

GUTTER = 2
# Fences bigger than this are shown without highlighting (lexing runs while painting).
MAX_FENCE_HIGHLIGHT = 40_000
STRIP_CACHE_BLOCKS = 400


class PaintMixin(_Base):
    def _init_paint(self) -> None:
        self._strips: OrderedDict[tuple[int, int], list[Strip]] = OrderedDict()
        self._edges: dict[tuple[int, str], list[Segment]] = {}
        self._link_styles: dict[tuple[str, str], RichStyle] = {}
        self._lexed: dict[tuple[int, int], list[LineTokens] | None] = {}

    def _forget_paint(self) -> None:
        self._strips.clear()
        self._edges.clear()

    def render_line(self, y: int) -> Strip:
        if self.theme_styles.refresh():
            self._strips.clear()
            self._edges.clear()
            self._link_styles.clear()
        width = self.scrollable_content_region.width
        base = self.theme_styles.get("text")
        doc_y = int(self.scroll_y) + y
        if self.doc is None or not len(self._map) or doc_y >= self._map.total:
            if y == 0 and self.doc is not None and not self.doc.blocks and self.placeholder:
                text = self.placeholder[: max(0, width - GUTTER)]
                return Strip([Segment(" " * GUTTER, base), Segment(text, self.theme_styles.get("muted"))]).extend_cell_length(width, base)
            return Strip.blank(width, base)
        block, line = self._map.locate(doc_y)
        strips = self._block_strips(block)
        strip = strips[line] if line < len(strips) else Strip.blank(self._width, base)
        overlays = self._match_lines.get((block, line))
        if overlays:
            for start, end, current in overlays:
                strip = _restyle(strip, start, end, self.theme_styles.get("search-current" if current else "search-match"))
        focus = self._focus_link
        if focus is not None and focus[0] == block and focus[1] == line:
            strip = _restyle(strip, focus[2], focus[3], self.theme_styles.get("link-focus"))
        if width < GUTTER + self._width:  # a sliver of a pane: crop rather than overflow
            return Strip([*self._left_edge(block, line, width), *strip]).crop_extend(0, width, base)
        return Strip([*self._left_edge(block, line, width), *strip, *self._right_edge(width)], width)

    def _left_edge(self, block: int, line: int, width: int) -> list[Segment]:
        """Margin (centring the text column) and gutter with the change mark, if any."""
        kind = self._mark_kind(block, line)
        cache_key = (width, kind)
        found = self._edges.get(cache_key)
        if found is None:
            margin = max(0, (width - GUTTER - 1 - self._width) // 2)
            base = self.theme_styles.get("text")
            if kind == "changed":
                found = [Segment(" " * margin, base), Segment("▌ ", self.theme_styles.get("mark-changed"))]
            elif kind == "removed":
                found = [Segment(" " * margin, base), Segment("▔ ", self.theme_styles.get("mark-removed"))]
            else:
                found = [Segment(" " * (margin + GUTTER), base)]
            self._edges[cache_key] = found
        return found

    def _right_edge(self, width: int) -> list[Segment]:
        found = self._edges.get((width, "right"))
        if found is None:
            margin = max(0, (width - GUTTER - 1 - self._width) // 2)
            rest = width - margin - GUTTER - self._width
            found = [Segment(" " * rest, self.theme_styles.get("text"))] if rest > 0 else []
            self._edges[(width, "right")] = found
        return found

    def _block_strips(self, index: int) -> list[Strip]:
        assert self.doc is not None
        block = self.doc.blocks[index]
        key = (block.key, self._width)
        found = self._strips.get(key)
        if found is not None:
            self._strips.move_to_end(key)
            return found
        layout = self._layout(index)
        found = [self._paint(line, layout, block.key) for line in layout.lines]
        self._strips[key] = found
        if len(self._strips) > STRIP_CACHE_BLOCKS:
            self._strips.popitem(last=False)
        return found

    def _paint(self, line: Line, layout: BlockLayout, block_key: int) -> Strip:
        styles = self.theme_styles
        segments: list[Segment] = []
        used = 0
        code = line.code
        for index, (text, style, link) in enumerate(line.runs):
            used += cells(text)
            if code is not None and index == code[4]:
                segments.extend(self._code_segments(layout, block_key, code, style))
                continue
            if link is None:
                segments.append(Segment(text, styles.get(style)))
                continue
            link_style = self._link_styles.get((style, link))
            if link_style is None:
                link_style = styles.get(style) + RichStyle.from_meta({"@click": ("activate_link", (link,))})
                self._link_styles[(style, link)] = link_style
            segments.append(Segment(text, link_style))
        if used < self._width:
            segments.append(Segment(" " * (self._width - used), styles.get(line.fill or "text")))
        elif used > self._width:
            return Strip(segments).crop(0, self._width)
        return Strip(segments, self._width)

    def _code_segments(
        self, layout: BlockLayout, block_key: int, code: tuple[int, int, int, int, int], style: str
    ) -> list[Segment]:
        fence_index, number, start, end, _ = code
        fence = layout.fences[fence_index]
        cache_key = (block_key, fence_index)
        if cache_key not in self._lexed:
            self._lexed[cache_key] = _lex_fence(fence)
        lexed = self._lexed[cache_key]
        text = fence.lines[number][start:end]
        if lexed is None or number >= len(lexed):
            return [Segment(text, self.theme_styles.get(style))]
        return [
            Segment(piece, self.theme_styles.token(token_type, style))
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

"""Selecting text in the chat log: with the mouse (Textual's screen selection) or the keyboard
(a line selection, as vim's visual line mode, over one message's rendered lines).

Both end up as the screen's selection, so one copy key (`y`) serves both and the highlight
is drawn the same way: `highlight_span` on the lines a message body renders.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style
from textual.geometry import Offset
from textual.selection import Selection
from textual.strip import Strip


def highlight_span(strip: Strip, span: tuple[int, int] | None, style: Style) -> Strip:
    """`strip` with cells `span` (end -1: to the end of the line) drawn in `style`."""
    if span is None:
        return strip
    length = strip.cell_length
    start, end = span
    end = length if end == -1 else min(end, length)
    if start >= end:
        return strip
    before, selected, after = strip.divide([start, end, length])[:3]
    # Over the text's own colours (a code fence's background too), so the span shows.
    marked = Strip(Segment.apply_style(selected, post_style=style), selected.cell_length)
    return Strip.join([before, marked, after])


@dataclass
class LineSelection:
    """Whole lines `anchor`..`cursor` (either way round) of one message's body."""

    message_id: str
    anchor: int
    cursor: int

    def move(self, delta: int, line_count: int) -> None:
        self.cursor = max(0, min(line_count - 1, self.cursor + delta))

    def selection(self, lines: list[str]) -> Selection:
        low, high = sorted((self.anchor, self.cursor))
        high = min(high, len(lines) - 1)
        return Selection(Offset(0, low), Offset(len(lines[high]), high))

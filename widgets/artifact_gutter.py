"""The reading view's gutter: the cells just left of the text column, marking lines.

Today a line's mark is its change mark (`ChangeMarks.kind`). Other per-line marks (a
selection, comments in the margin) belong here as well, so the painter stays one call per row.
"""

from __future__ import annotations

from rich.segment import Segment

from widgets.theme_styles import ThemeStyles

# Mark kind: the cells drawn and their style name ("" is an unmarked line).
MARKS: dict[str, tuple[str, str]] = {
    "changed": ("▌ ", "mark-changed"),
    "removed": ("▔ ", "mark-removed"),
    "moved": ("↕ ", "mark-moved"),
}


class Gutter:
    WIDTH = 2

    def __init__(self, styles: ThemeStyles) -> None:
        self._styles = styles

    def left_edge(self, margin: int, kind: str) -> list[Segment]:
        """`margin` blank cells (centring the text column), then the gutter of a line with
        mark `kind`."""
        base = self._styles.get("text")
        mark = MARKS.get(kind)
        if mark is None:
            return [Segment(" " * (margin + self.WIDTH), base)]
        return [Segment(" " * margin, base), Segment(mark[0], self._styles.get(mark[1]))]

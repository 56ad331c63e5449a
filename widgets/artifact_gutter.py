"""The reading view's gutter: the cells just left of the text column, marking lines.

It shows a line's change mark (`ChangeMarks.kind`) and the review comments on the line
(`NOTES`, by the comments' status), so the painter stays one call per row.
"""

from __future__ import annotations

from rich.segment import Segment

from widgets.theme_styles import ThemeStyles

# Mark kind: the cell drawn and its style name ("" is an unmarked line).
MARKS: dict[str, tuple[str, str]] = {
    "changed": ("▌", "mark-changed"),
    "removed": ("▔", "mark-removed"),
    "moved": ("↕", "mark-moved"),
}
# Comments on a line, by the status that matters most of those there (first is strongest).
NOTES: dict[str, tuple[str, str]] = {
    "open": ("●", "note-open"),
    "draft": ("◆", "note-draft"),
    "addressed": ("◐", "note-addressed"),
    "resolved": ("✓", "note-resolved"),
}


def strongest(statuses: set[str]) -> str:
    """The note shown for a line with comments of these statuses."""
    return next((name for name in NOTES if name in statuses), "")


class Gutter:
    WIDTH = 2

    def __init__(self, styles: ThemeStyles) -> None:
        self._styles = styles

    def left_edge(self, margin: int, kind: str, note: str = "") -> list[Segment]:
        """`margin` blank cells (centring the text column), then the gutter of a line with
        change mark `kind` and comment mark `note`."""
        base = self._styles.get("text")
        mark = MARKS.get(kind, ("", ""))
        shown = NOTES.get(note, ("", ""))
        if not mark[0] and not shown[0]:
            return [Segment(" " * (margin + self.WIDTH), base)]
        # The comment mark first, then the change mark; either alone takes the first cell,
        # so a mark never touches the text.
        cells = [Segment(glyph, self._styles.get(style)) for glyph, style in (shown, mark) if glyph]
        cells.append(Segment(" " * (self.WIDTH - len(cells)), base))
        return [Segment(" " * margin, base), *cells]

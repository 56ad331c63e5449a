"""The reading view's gutter: the cells just left of the text column, marking lines.

Its first cell is a line's change mark (`ChangeMarks.kind`); its second the review comments
on the line (`NOTES`, by the comment's status), so the painter stays one call per row.
"""

from __future__ import annotations

from rich.segment import Segment

from widgets.theme_styles import ThemeStyles

# Mark kind: the cell drawn and its style name ("" is an unmarked line).
MARKS: dict[str, tuple[str, str]] = {
    "changed": ("▌", "mark-changed"),
    "removed": ("▔", "mark-removed"),
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
        mark = MARKS.get(kind)
        shown = NOTES.get(note)
        if mark is None and shown is None:
            return [Segment(" " * (margin + self.WIDTH), base)]
        first = Segment(mark[0], self._styles.get(mark[1])) if mark else Segment(" ", base)
        second = Segment(shown[0], self._styles.get(shown[1])) if shown else Segment(" ", base)
        return [Segment(" " * margin, base), first, second]

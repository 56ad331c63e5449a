"""What an artifact pane shows of the review comments on its document.

The owner (`tui.views.artifact_review`) places every comment in the text on screen and
hands the pane a `ReviewMarks`: a mark per block for the gutter, a line per comment, and
the comments whose text is gone. `ReviewBar`, under the text, shows the comments on the
blocks in view (the selected or top one first) and the orphaned ones, as plain text: quotes
and bodies are data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from textual.widgets import Static

from widgets.plain_text import plain_text

# Lines the bar shows at most (the rest are counted).
MAX_LINES = 5


@dataclass(frozen=True)
class ReviewMarks:
    # For the header: "draft: 2 comments · round 3: 1 open · 1 addressed" ("" without any).
    summary: str = ""
    # Gutter mark per block index (`widgets.artifact_gutter.NOTES` names).
    notes: dict[int, str] = field(default_factory=dict)
    # One line per comment, per block index it is on (its first block).
    details: dict[int, list[str]] = field(default_factory=dict)
    # Comments whose text is no longer in the document.
    orphaned: list[str] = field(default_factory=list)


class ReviewBar(Static):
    DEFAULT_CSS = """
    ReviewBar {
        display: none;
        height: auto;
        max-height: 7;
        padding: 0 1;
        background: $surface;
        color: $text;
        border-top: hkey $panel;
    }
    ReviewBar.-shown {
        display: block;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.marks = ReviewMarks()
        self.lines: list[str] = []

    def show_for(self, marks: ReviewMarks, in_view: range, first: int | None) -> None:
        """Show the comments on the blocks `in_view`, block `first` (the reader's) first."""
        self.marks = marks
        order = ([first] if first is not None else []) + [b for b in in_view if b != first]
        lines = [line for block in order for line in marks.details.get(block, ())]
        lines += marks.orphaned
        more = len(lines) - MAX_LINES
        if more > 0:
            lines = lines[: MAX_LINES - 1] + [f"… {more + 1} more (m: every comment)"]
        if lines != self.lines:
            self.lines = lines
            self.update(plain_text("\n".join(lines)))
            self.set_class(bool(lines), "-shown")

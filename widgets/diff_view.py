"""A read-only unified diff: a list of files and their coloured hunks, virtualised.

Give it `tui.diffs.FileDiff`s (from `diff_texts` or `parse_unified_diff`). Only the rows on
screen are painted, so a diff of thousands of lines scrolls as fast as a short one.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

from rich.segment import Segment
from textual import on
from textual.actions import SkipAction
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from tui.diffs import DiffLine, FileDiff
from tui.terminal_text import visible
from widgets.plain_text import plain_text
from widgets.reading import ReadingKeys, reading_bindings
from widgets.theme_styles import ThemeStyles

STATUS_LETTERS = {"modified": "M", "added": "A", "deleted": "D", "renamed": "R", "binary": "B"}
_LINE_STYLES = {"+": "diff-added", "-": "diff-removed", " ": "diff-context", "\\": "diff-meta"}


class DiffLines(ReadingKeys, ScrollView, can_focus=True):
    """The hunks of every file, one row per line."""

    DEFAULT_CSS = """
    DiffLines {
        background: $background;
    }
    """

    BINDINGS = [
        *reading_bindings("diff"),
        Binding("right_square_bracket", "hunk(1)", "Next hunk", id="diff.next_hunk"),
        Binding("left_square_bracket", "hunk(-1)", "Previous hunk", show=False, id="diff.previous_hunk"),
    ]

    class FileShown(Message):
        """The file at the top of the view changed."""

        def __init__(self, lines: DiffLines, index: int) -> None:
            super().__init__()
            self.lines = lines
            self.index = index

        @property
        def control(self) -> DiffLines:
            return self.lines

    def __init__(self, *, empty_message: str = "No changes.", id: str | None = None) -> None:
        super().__init__(id=id)
        self.theme_styles = ThemeStyles(self)
        self.empty_message = empty_message
        self.diffs: list[FileDiff] = []
        # Rows: ("file", index) | ("note", text) | ("hunk", header) | ("line", DiffLine) | ("gap", "")
        self._rows: list[tuple[str, object]] = []
        self._file_rows: list[int] = []
        self._hunk_rows: list[int] = []
        self._number_width = 1
        self._shown_file = -1

    def show(self, diffs: Sequence[FileDiff]) -> None:
        self.diffs = list(diffs)
        rows: list[tuple[str, object]] = []
        self._file_rows = []
        self._hunk_rows = []
        widest = 1
        longest = 0
        for index, diff in enumerate(self.diffs):
            if rows:
                rows.append(("gap", ""))
            self._file_rows.append(len(rows))
            rows.append(("file", index))
            rows.extend(("note", note) for note in diff.notes)
            if diff.status == "binary":
                rows.append(("note", "Binary file: contents not shown."))
            for hunk in diff.hunks:
                self._hunk_rows.append(len(rows))
                rows.append(("hunk", hunk.header))
                for line in hunk.lines:
                    rows.append(("line", line))
                    widest = max(widest, line.old or 0, line.new or 0)
                    longest = max(longest, len(line.text))
        self._rows = rows
        self._number_width = len(str(widest))
        self._shown_file = -1
        gutter = 2 * self._number_width + 5
        self.virtual_size = Size(max(gutter + longest + 8, 10), len(rows))
        self.scroll_to(0, 0, animate=False, immediate=True, force=True)
        self.refresh()

    @property
    def row_count(self) -> int:
        return len(self._rows)

    def scroll_to_file(self, index: int) -> None:
        if 0 <= index < len(self._file_rows):
            self.scroll_to(y=self._file_rows[index], animate=False, immediate=True, force=True)

    def action_hunk(self, step: int) -> None:
        if not self._hunk_rows:
            raise SkipAction()
        top = int(self.scroll_y)
        if step > 0:
            following = [row for row in self._hunk_rows if row > top]
            target = following[0] if following else self._hunk_rows[0]
        else:
            earlier = [row for row in self._hunk_rows if row < top]
            target = earlier[-1] if earlier else self._hunk_rows[-1]
        self.scroll_to(y=target, animate=False, immediate=True, force=True)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if self._file_rows:
            current = max(0, bisect_right(self._file_rows, int(new_value)) - 1)
            if current != self._shown_file:
                self._shown_file = current
                self.post_message(self.FileShown(self, current))

    def render_line(self, y: int) -> Strip:
        self.theme_styles.refresh()
        width = self.scrollable_content_region.width
        scroll_x, scroll_y = self.scroll_offset
        base = self.theme_styles.get("text")
        row = scroll_y + y
        if not self._rows:
            if y == 1:
                return Strip([Segment("  " + self.empty_message, self.theme_styles.get("muted"))]).crop_extend(0, width, base)
            return Strip.blank(width, base)
        if row >= len(self._rows):
            return Strip.blank(width, base)
        kind, value = self._rows[row]
        fill = base
        if kind == "file":
            diff = self.diffs[value]  # type: ignore[index]
            style = self.theme_styles.get("diff-file")
            fill = style
            name = f"{diff.old_path} → {diff.path}" if diff.old_path else diff.path
            text = visible(f" {STATUS_LETTERS.get(diff.status, '?')} {name}  +{diff.added} −{diff.removed}")
            segments = [Segment(text, style)]
        elif kind == "hunk":
            style = self.theme_styles.get("diff-hunk")
            fill = style
            segments = [Segment(" " * (2 * self._number_width + 2) + visible(str(value)), style)]
        elif kind == "note":
            segments = [Segment("  " + visible(str(value)), self.theme_styles.get("diff-meta"))]
        elif kind == "line":
            segments, fill = self._line_segments(value)  # type: ignore[arg-type]
        else:
            segments = []
        strip = Strip(segments)
        virtual = max(width + scroll_x, self.virtual_size.width)
        strip = strip.extend_cell_length(virtual, fill)
        return strip.crop(scroll_x, scroll_x + width)

    def _line_segments(self, line: DiffLine) -> tuple[list[Segment], object]:
        digits = self._number_width
        numbers = self.theme_styles.get("line-number")
        style_name = _LINE_STYLES.get(line.kind, "diff-context")
        style = self.theme_styles.get(style_name)
        old = str(line.old) if line.old is not None else ""
        new = str(line.new) if line.new is not None else ""
        marker = {"+": "+", "-": "−", " ": " ", "\\": "\\"}.get(line.kind, " ")
        # File names and lines are data: controls shown visibly, never sent to the terminal.
        text = visible(line.text.expandtabs(4))
        segments = [
            Segment(f"{old:>{digits}} {new:>{digits}} ", numbers),
            Segment(f"{marker} ", style),
            Segment(text, style),
        ]
        return segments, style if line.kind in "+-" else self.theme_styles.get("text")


class DiffView(Horizontal):
    """Files on the left (when there are several), their hunks on the right."""

    DEFAULT_CSS = """
    DiffView {
        height: 1fr;
    }
    DiffView > #diff-files {
        width: 36;
        max-width: 40%;
        border: none;
        border-right: vkey $panel;
        background: $surface;
    }
    DiffView > #diff-files.-single {
        display: none;
    }
    DiffView > DiffLines {
        width: 1fr;
    }
    """

    def __init__(self, diffs: Sequence[FileDiff] = (), *, empty_message: str = "No changes.", id: str | None = None) -> None:
        super().__init__(id=id)
        self._initial = list(diffs)
        self._empty_message = empty_message

    def compose(self) -> ComposeResult:
        yield OptionList(id="diff-files")
        yield DiffLines(empty_message=self._empty_message)

    def on_mount(self) -> None:
        self.show(self._initial)

    @property
    def lines(self) -> DiffLines:
        return self.query_one(DiffLines)

    def show(self, diffs: Sequence[FileDiff], *, empty_message: str | None = None) -> None:
        files = self.query_one("#diff-files", OptionList)
        lines = self.lines
        if empty_message is not None:
            lines.empty_message = empty_message
        files.clear_options()
        files.add_options(
            Option(plain_text(f"{STATUS_LETTERS.get(d.status, '?')} {d.path}  +{d.added} −{d.removed}")) for d in diffs
        )
        files.set_class(len(diffs) <= 1, "-single")
        lines.show(diffs)

    def focus_lines(self) -> None:
        self.lines.focus()

    @on(OptionList.OptionHighlighted, "#diff-files")
    def _file_chosen(self, event: OptionList.OptionHighlighted) -> None:
        event.stop()
        if self.lines._shown_file != event.option_index:
            self.lines.scroll_to_file(event.option_index)

    @on(DiffLines.FileShown)
    def _file_shown(self, event: DiffLines.FileShown) -> None:
        event.stop()
        files = self.query_one("#diff-files", OptionList)
        if files.highlighted != event.index and files.option_count > event.index:
            with files.prevent(OptionList.OptionHighlighted):
                files.highlighted = event.index


def diff_summary(diffs: Sequence[FileDiff]) -> str:
    """"3 files, +12 −4" for headers and notifications."""
    added = sum(d.added for d in diffs)
    removed = sum(d.removed for d in diffs)
    files = len(diffs)
    return f"{files} file{'s' if files != 1 else ''}, +{added} −{removed}"

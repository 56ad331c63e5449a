"""A read-only unified diff: a list of files and their coloured hunks, virtualised.

Give it `tui.diffs.FileDiff`s (from `diff_texts` or `parse_unified_diff`). Only the rows on
screen are painted, so a diff of thousands of lines scrolls as fast as a short one.

Lines can be selected (`v` and the line keys, or a mouse drag); `y` asks the owner to copy
them (`DiffLines.CopyRequested`: widgets do no I/O). Review comments given with `show_notes`
are marked in the margin of the lines they are on, their text on a row after the last one.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence

from rich.segment import Segment
from textual import events, on
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
from widgets.artifact_gutter import NOTES
from widgets.diff_rows import DiffNote, DiffRows, SelectedLine, lay_out
from widgets.diff_selection import RowSelection
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
        Binding("v", "select_lines", "Select lines", id="diff.select"),
        Binding("y", "copy_selection", "Copy", id="diff.copy"),
        Binding("escape", "clear_selection", "Clear selection", show=False, id="diff.clear_selection"),
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

    class CopyRequested(Message):
        """The reader asked to copy the selected lines (`y`): the owner copies `text`."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    class HunksShown(Message):
        """Hunks came on screen for the first time since `show`: (file, hunk) indexes into
        `diffs`, hunk None for a file without hunks (binary, renamed, mode change)."""

        def __init__(self, units: tuple[tuple[int, int | None], ...]) -> None:
            super().__init__()
            self.units = units

    def __init__(self, *, empty_message: str = "No changes.", id: str | None = None) -> None:
        super().__init__(id=id)
        self.theme_styles = ThemeStyles(self)
        self.empty_message = empty_message
        self.diffs: list[FileDiff] = []
        self.notes: list[DiffNote] = []
        self.selection = RowSelection()
        self._laid = DiffRows()
        self._dragged = False
        # The row last clicked (or reached with ] and [): where `v` starts when it is on screen.
        self._cursor_row: int | None = None
        # Rows: ("file", index) | ("note", text) | ("hunk", header) | ("line", DiffLine) | ("gap", "")
        # | ("comment", (mark, text)).
        self._rows: list[tuple[str, object]] = []
        # Per row, the index in `_units` of the hunk (or hunkless file) it belongs to, or -1.
        self._row_unit: list[int] = []
        self._units: list[tuple[int, int | None]] = []
        self._shown_units: set[int] = set()
        # Per row, the review mark in its margin ("" for none).
        self._row_mark: dict[int, str] = {}
        self._file_rows: list[int] = []
        self._hunk_rows: list[int] = []
        self._number_width = 1
        self._shown_file = -1

    def show(self, diffs: Sequence[FileDiff]) -> None:
        self.diffs = list(diffs)
        self._shown_units = set()
        self._layout()
        self.scroll_to(0, 0, animate=False, immediate=True, force=True)
        self.call_after_refresh(self._report_shown)

    def show_notes(self, notes: Sequence[DiffNote]) -> None:
        """Mark these comments in the margin (replacing the ones shown before)."""
        if list(notes) == self.notes:
            return
        self.notes = list(notes)
        self._layout()

    def _layout(self) -> None:
        rows = self._laid = lay_out(self.diffs, self.notes)
        if len(rows.rows) != len(self._rows):
            self.selection.clear()  # rows moved: the selection would be on other lines
        self._rows, self._row_unit, self._units, self._row_mark = rows.rows, rows.row_unit, rows.units, rows.marks
        self._file_rows, self._hunk_rows = rows.file_rows, rows.hunk_rows
        self._number_width = len(str(rows.widest_number))
        self._shown_file = -1
        gutter = 2 * self._number_width + 7
        self.virtual_size = Size(max(gutter + rows.longest_text + 8, 10), len(rows.rows))
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
        self._cursor_row = target
        self.scroll_to(y=target, animate=False, immediate=True, force=True)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        self._report_shown()
        if self._file_rows:
            current = max(0, bisect_right(self._file_rows, int(new_value)) - 1)
            if current != self._shown_file:
                self._shown_file = current
                self.post_message(self.FileShown(self, current))

    # -- what was on screen -----------------------------------------------------------------

    def on_resize(self) -> None:
        self._report_shown()

    def _report_shown(self) -> None:
        """Post `HunksShown` for hunks on screen now that were not before."""
        if not self._rows or not self.is_mounted:
            return
        top = int(self.scroll_y)
        height = max(1, self.scrollable_content_region.height)
        fresh = {u for u in self._row_unit[top : top + height] if u >= 0} - self._shown_units
        if fresh:
            self._shown_units |= fresh
            self.post_message(self.HunksShown(tuple(self._units[u] for u in sorted(fresh))))

    # -- selection ---------------------------------------------------------------------------

    def selected_lines(self) -> list[SelectedLine]:
        """The diff lines selected (file and hunk headers, notes and comments left out)."""
        bounds = self.selection.bounds()
        return self._laid.lines_in(range(bounds[0], bounds[1] + 1)) if bounds is not None else []

    def pointed_lines(self) -> list[SelectedLine]:
        """The lines a key that acts "here" is about: the selected ones, else the line last
        clicked (a comment's text row stands for the line above it) while it is on screen,
        else every line on screen."""
        if self.selection.active:
            return self.selected_lines()
        top, height = int(self.scroll_y), max(1, self.scrollable_content_region.height)
        row = self._cursor_row
        if row is not None and top <= row < top + height:
            while row > 0 and self._rows[row][0] == "comment":
                row -= 1
            return self._laid.lines_in(range(row, row + 1))
        return self._laid.lines_in(range(top, top + height))

    def scroll_to_line(self, path: str, side: str, number: int) -> bool:
        """Bring line `number` of `path` (on the "old" or "new" side) to the top third."""
        row = self._laid.row_of(self.diffs, path, side, number)
        if row is None:
            return False
        self._cursor_row = row
        self.scroll_to(y=max(0, row - self.scrollable_content_region.height // 3), animate=False, immediate=True,
                       force=True)
        return True

    def selected_text(self) -> str:
        """The code of the selected lines, as in the file (what `y` copies)."""
        return "\n".join(selected.line.text for selected in self.selected_lines())

    def _first_line_row(self, start: int) -> int | None:
        for row in range(max(0, start), len(self._rows)):
            if self._rows[row][0] == "line":
                return row
        return None

    def action_select_lines(self) -> None:
        if self.selection.keyboard:
            self.selection.clear()
        else:
            top, height = int(self.scroll_y), self.scrollable_content_region.height
            cursor = self._cursor_row
            on_screen = cursor is not None and top <= cursor < top + height
            row = self._first_line_row(cursor if on_screen else top)
            if row is None:
                raise SkipAction()
            self.selection.start(row, keyboard=True)
        self.refresh()
        self.refresh_bindings()

    def action_clear_selection(self) -> None:
        if not self.selection.clear():
            raise SkipAction()
        self.refresh()
        self.refresh_bindings()

    def action_copy_selection(self) -> None:
        text = self.selected_text()
        if not text and not self.selected_lines():
            raise SkipAction()
        self.post_message(self.CopyRequested(text))

    @property
    def selecting_lines(self) -> bool:
        return self.selection.keyboard

    def action_page_down(self) -> None:
        # At once, as a pager does: an animated page repaints every frame on the way, which
        # cost 230 ms of CPU a page on a 10,000-line diff (bench/diff_big.py).
        self.scroll_page_down(animate=False)

    def action_page_up(self) -> None:
        self.scroll_page_up(animate=False)

    def move_selection(self, step: int) -> None:
        head = self.selection.head
        assert head is not None
        row = head + step
        while 0 <= row < len(self._rows) and self._rows[row][0] != "line":
            row += step
        if 0 <= row < len(self._rows):
            self.selection.move_to(row)
            top, height = int(self.scroll_y), self.scrollable_content_region.height
            if row < top or row >= top + height:
                self.scroll_to(y=max(0, row - height // 2), animate=False, immediate=True, force=True)
            self.refresh()

    def _row_at(self, y: int) -> int | None:
        if not self._rows:
            return None
        return max(0, min(int(self.scroll_y) + y, len(self._rows) - 1))

    def on_mouse_down(self, event: events.MouseDown) -> None:
        if event.button != 1:
            return
        row = self._row_at(event.y)
        if row is None:
            return
        self.selection.start(row, keyboard=False)
        self._dragged = False
        self.capture_mouse()
        self.refresh()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self.app.mouse_captured is not self or self.selection.keyboard or self.selection.anchor is None:
            return
        row = self._row_at(event.y)
        if row is not None and row != self.selection.head:
            self._dragged = True
            self.selection.move_to(row)
            self.refresh()

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if self.app.mouse_captured is self:
            self.release_mouse()
        if not self.selection.keyboard and not self._dragged:
            # A click, not a drag: nothing selected; `v` starts there.
            self._cursor_row = self.selection.anchor
            self.selection.clear()
        self.refresh()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("copy_selection", "clear_selection"):
            return self.selection.active
        return True

    # -- painting ----------------------------------------------------------------------------

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
            name = visible(f"{diff.old_path} → {diff.path}" if diff.old_path else diff.path)
            text = f" {STATUS_LETTERS.get(diff.status, '?')} {name}  +{diff.added} −{diff.removed}"
            segments = [Segment(text, style)]
        elif kind == "hunk":
            style = self.theme_styles.get("diff-hunk")
            fill = style
            segments = [Segment(" " * (2 * self._number_width + 4) + visible(str(value)), style)]
        elif kind == "note":
            segments = [Segment("  " + visible(str(value)), self.theme_styles.get("diff-meta"))]
        elif kind == "line":
            segments, fill = self._line_segments(value, self._row_mark.get(row, ""))  # type: ignore[arg-type]
        elif kind == "comment":
            mark, text = value  # type: ignore[misc]
            glyph, style_name = NOTES.get(mark, ("⚠", "note-open"))
            indent = " " * (2 * self._number_width + 4)
            segments = [Segment(f"{indent}{glyph} ", self.theme_styles.get(style_name)),
                        Segment(text, self.theme_styles.get("muted"))]
        else:
            segments = []
        strip = Strip(segments)
        virtual = max(width + scroll_x, self.virtual_size.width)
        strip = strip.extend_cell_length(virtual, fill)
        if row in self.selection and kind == "line":
            strip = strip.apply_style(self.theme_styles.get("selection"))
        return strip.crop(scroll_x, scroll_x + width)

    def _line_segments(self, line: DiffLine, mark: str = "") -> tuple[list[Segment], object]:
        digits = self._number_width
        numbers = self.theme_styles.get("line-number")
        style_name = _LINE_STYLES.get(line.kind, "diff-context")
        style = self.theme_styles.get(style_name)
        old = str(line.old) if line.old is not None else ""
        new = str(line.new) if line.new is not None else ""
        marker = {"+": "+", "-": "−", " ": " ", "\\": "\\"}.get(line.kind, " ")
        # Untrusted text: control characters would reach the terminal (`visible` shows them).
        text = visible(line.text.expandtabs(4))
        glyph, mark_style = NOTES.get(mark, (" ", "gutter")) if mark else (" ", "gutter")
        segments = [
            Segment(f"{glyph} ", self.theme_styles.get(mark_style)),
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

"""The diff view's rows: every file, hunk and line of a diff, with review comments placed.

Plain data built once per diff (or per change of comments), so painting a row is one list
lookup however long the diff is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from tui.diffs import DiffLine, FileDiff
from widgets.artifact_gutter import NOTES


@dataclass(frozen=True, slots=True)
class DiffNote:
    """A review comment to show: on lines `first`..`last` of `path`, numbered on `side`
    ("old" or "new"); `mark` is a `NOTES` key (its status), `text` one line about it."""

    path: str
    side: str
    first: int
    last: int
    mark: str
    text: str


@dataclass(frozen=True, slots=True)
class SelectedLine:
    """A selected diff line, with the file and hunk it is in (indexes into the diffs shown)."""

    file: int
    hunk: int
    line: DiffLine


@dataclass
class DiffRows:
    # ("file", index) | ("note", text) | ("hunk", header) | ("line", DiffLine) | ("gap", "")
    # | ("comment", (mark, text)).
    rows: list[tuple[str, object]] = field(default_factory=list)
    # Per row, the index in `units` of the hunk (or hunkless file) it belongs to, or -1.
    row_unit: list[int] = field(default_factory=list)
    # (file, hunk) of each hunk; hunk None for a file without hunks (binary, renamed...).
    units: list[tuple[int, int | None]] = field(default_factory=list)
    # Rows carrying a review mark in their margin (a `NOTES` key).
    marks: dict[int, str] = field(default_factory=dict)
    file_rows: list[int] = field(default_factory=list)
    hunk_rows: list[int] = field(default_factory=list)
    widest_number: int = 1
    longest_text: int = 0

    def add(self, kind: str, value: object, unit: int = -1) -> None:
        self.rows.append((kind, value))
        self.row_unit.append(unit)

    def lines_in(self, wanted: range) -> list[SelectedLine]:
        """The diff lines among rows `wanted` (headers, notes and comments left out)."""
        found = []
        for row in wanted:
            kind, value = self.rows[row] if 0 <= row < len(self.rows) else ("", None)
            if kind == "line" and isinstance(value, DiffLine) and value.kind != "\\":
                file, hunk = self.units[self.row_unit[row]]
                found.append(SelectedLine(file, hunk or 0, value))
        return found

    def row_of(self, diffs: Sequence[FileDiff], path: str, side: str, number: int) -> int | None:
        """The row of line `number` of `path`, numbered on `side` ("old" or "new")."""
        for row, (kind, value) in enumerate(self.rows):
            if kind == "line" and isinstance(value, DiffLine) and (value.new if side == "new" else value.old) == number \
                    and diffs[self.units[self.row_unit[row]][0]].path == path:
                return row
        return None


def lay_out(diffs: Sequence[FileDiff], notes: Sequence[DiffNote]) -> DiffRows:
    out = DiffRows()
    covered, after = _note_places(notes)
    for index, diff in enumerate(diffs):
        if out.rows:
            out.add("gap", "")
        out.file_rows.append(len(out.rows))
        if not diff.hunks:
            out.units.append((index, None))
        out.add("file", index, len(out.units) - 1 if not diff.hunks else -1)
        for note in diff.notes:
            out.add("note", note)
        if diff.status == "binary":
            out.add("note", "Binary file: contents not shown.")
        for number, hunk in enumerate(diff.hunks):
            out.units.append((index, number))
            unit = len(out.units) - 1
            out.hunk_rows.append(len(out.rows))
            out.add("hunk", hunk.header, unit)
            for line in hunk.lines:
                keys = ((diff.path, "new", line.new), (diff.path, "old", line.old))
                mark = next((covered[k] for k in keys if k in covered), "")
                if mark:
                    out.marks[len(out.rows)] = mark
                out.add("line", line, unit)
                out.widest_number = max(out.widest_number, line.old or 0, line.new or 0)
                out.longest_text = max(out.longest_text, len(line.text))
                for key in keys:
                    for note in after.pop(key, ()):
                        out.add("comment", (note.mark, note.text), unit)
    return out


def _note_places(notes: Sequence[DiffNote]) -> tuple[dict[tuple, str], dict[tuple, list[DiffNote]]]:
    """Which (path, side, line) carry a mark (the strongest status there), and the notes
    shown after each one's last line."""
    covered: dict[tuple, str] = {}
    after: dict[tuple, list[DiffNote]] = {}
    order = list(NOTES)
    for note in notes:
        for line in range(note.first, note.last + 1):
            key = (note.path, note.side, line)
            held = covered.get(key)
            if held is None or (note.mark in order and held in order and order.index(note.mark) < order.index(held)):
                covered[key] = note.mark
        after.setdefault((note.path, note.side, note.last), []).append(note)
    return covered, after

"""The reusable diff view: files, coloured hunks, hunk and file navigation."""

from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import OptionList

from tests.helpers import wait_until
from tui.diffs import diff_texts
from widgets.diff_rows import DiffNote
from widgets.diff_view import DiffLines, DiffView, diff_summary


class DiffApp(App[None]):
    def __init__(self, diffs: list) -> None:
        super().__init__()
        self.diffs = diffs

    def compose(self) -> ComposeResult:
        yield DiffView(self.diffs)


def _screen_text(lines: DiffLines) -> list[str]:
    return [lines.render_line(y).text.rstrip() for y in range(lines.scrollable_content_region.height)]


async def test_files_hunks_and_navigation() -> None:
    old = "".join(f"line {n}\n" for n in range(1, 41))
    first = diff_texts(old, old.replace("line 2\n", "line two\n").replace("line 35\n", ""), "a.md")
    second = diff_texts("x\n", "x\ny\n", "b.md")
    app = DiffApp([first, second])
    async with app.run_test(size=(100, 9)) as pilot:
        lines = app.query_one(DiffLines)
        files = app.query_one("#diff-files", OptionList)
        await wait_until(pilot, lambda: lines.row_count > 0, "diff rows")
        assert files.display and files.option_count == 2
        text = _screen_text(lines)
        assert text[0].startswith(" M a.md  +1 −2")
        assert any(row.endswith("− line 2") and row.lstrip().startswith("2") for row in text)
        assert any("+ line two" in row for row in text)
        lines.focus()
        await pilot.press("right_square_bracket")
        assert int(lines.scroll_y) == 1  # first hunk header
        await pilot.press("right_square_bracket")
        assert _screen_text(lines)[0].lstrip().startswith("@@ -32,")
        await pilot.press("g")
        # Picking the second file in the list scrolls to it (as far as the end allows).
        files.highlighted = 1
        await wait_until(
            pilot, lambda: any(row.startswith(" M b.md") for row in _screen_text(lines)), "second file shown"
        )
        assert diff_summary([first, second]) == "2 files, +2 −2"


async def test_single_file_hides_list_and_empty_diff_says_so() -> None:
    app = DiffApp([])
    async with app.run_test(size=(60, 8)) as pilot:
        view = app.query_one(DiffView)
        lines = app.query_one(DiffLines)
        await pilot.pause()
        assert "No changes." in _screen_text(lines)[1]
        view.show([diff_texts("a\n", "b\n", "one.md")])
        await pilot.pause()
        assert not app.query_one("#diff-files").display
        assert _screen_text(lines)[0].startswith(" M one.md")


class CopyingApp(DiffApp):
    """Keeps what the diff asked to copy (the app's copy path is the owner's business)."""

    def __init__(self, diffs: list) -> None:
        super().__init__(diffs)
        self.copied: list[str] = []

    def on_diff_lines_copy_requested(self, message: DiffLines.CopyRequested) -> None:
        self.copied.append(message.text)


async def test_keyboard_selection_copies_the_code_of_the_lines() -> None:
    old = "".join(f"line {n}\n" for n in range(1, 21))
    app = CopyingApp([diff_texts(old, old.replace("line 10\n", "line ten\n\x1b[2J\n"), "a.py")])
    async with app.run_test(size=(80, 20)) as pilot:
        lines = app.query_one(DiffLines)
        await wait_until(pilot, lambda: lines.row_count > 0, "diff rows")
        lines.focus()
        await pilot.press("y")
        assert app.copied == []  # nothing selected: nothing to copy
        await pilot.press("right_square_bracket", "v", "j", "j")
        assert [s.line.text for s in lines.selected_lines()] == ["line 7", "line 8", "line 9"]
        await pilot.press("j", "j", "y")
        assert app.copied == ["line 7\nline 8\nline 9\nline 10\nline ten"]
        # The escape sequence an agent wrote is shown, never sent to the terminal.
        assert any(row.endswith("+ ␛[2J") for row in _screen_text(lines))
        await pilot.press("escape")
        assert not lines.selection.active


async def test_comments_are_marked_in_the_margin_with_their_text_after_them() -> None:
    old = "".join(f"line {n}\n" for n in range(1, 21))
    app = DiffApp([diff_texts(old, old.replace("line 10\n", "line ten\nline 10b\n"), "a.py")])
    async with app.run_test(size=(100, 24)) as pilot:
        lines = app.query_one(DiffLines)
        await wait_until(pilot, lambda: lines.row_count > 0, "diff rows")
        lines.show_notes([DiffNote("a.py", "new", 10, 11, "draft", "[4] a.py:10-11 · draft: why two?"),
                          DiffNote("a.py", "old", 10, 10, "open", "[5] a.py:10 (old side) · open: keep it")])
        await pilot.pause()
        text = _screen_text(lines)
        ten = next(i for i, row in enumerate(text) if row.endswith("+ line ten"))
        assert text[ten].startswith("◆") and text[ten + 1].startswith("◆") and text[ten + 1].endswith("line 10b")
        assert text[ten + 2].strip() == "◆ [4] a.py:10-11 · draft: why two?"
        removed = next(i for i, row in enumerate(text) if row.endswith("− line 10"))
        assert text[removed].startswith("●") and text[removed + 1].strip().startswith("● [5]")

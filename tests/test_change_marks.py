""""Changed since last read" tells the reader what changed, not noise: a moved section is one
"moved" mark, one line changed in a long code block marks that line, the reader's own edits
are read, and the header says the truth about deleted and never-read documents."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.helpers import wait_until
from tests.test_artifact_pane import SIZE, configure, document, open_app, sections
from tui.app import LoupeApp
from tui.docs.block_diff import diff_blocks
from tui.docs.blocks import split_blocks
from tui.docs.snapshots import ReadSnapshots
from tui.workspace import open_workspace
from widgets.artifact_view import ArtifactView


def moved(count: int, which: int) -> str:
    """`sections(count)` with section `which` moved to the end."""
    parts = sections(count).split("\n## ")
    section = parts.pop(which)
    return "\n## ".join([*parts, section.rstrip("\n") + "\n"])


def code_doc(changed_line: int | None = None) -> str:
    lines = [f"value_{n} = compute({n})" for n in range(100)]
    if changed_line is not None:
        lines[changed_line] = "value_changed = 0  # edited"
    return "# Code\n\nBefore.\n\n```python\n" + "\n".join(lines) + "\n```\n\nAfter.\n"


def gutter_marks(view: ArtifactView) -> list[str]:
    """The gutter cells of every row of the document that carry a mark."""
    rows = []
    for y in range(view.scrollable_content_region.height):
        text = view.render_line(y).text
        stripped = text.lstrip(" ")
        if stripped[:1] in ("▌", "▔", "↕"):
            rows.append(stripped[:1])
    return rows


def test_a_moved_section_is_moved_once_not_changed() -> None:
    old = split_blocks(sections(20))
    new = split_blocks(moved(20, 5))
    diff = diff_blocks(old.blocks, new.blocks)
    assert diff.changed == frozenset()
    assert diff.removed_before == frozenset()
    heading = next(i for i, block in enumerate(new.blocks) if block.title == "Part 5")
    assert diff.moved == {heading}


def test_one_changed_line_of_a_long_code_block_is_the_only_line_marked() -> None:
    old = split_blocks(code_doc())
    new = split_blocks(code_doc(changed_line=50))
    diff = diff_blocks(old.blocks, new.blocks)
    (index,) = diff.changed
    assert new.blocks[index].kind == "fence"
    # Source line 0 is the opening fence: code line 50 is source line 51.
    assert diff.changed_lines == {index: frozenset({51})}


def test_a_rewritten_code_block_is_marked_whole() -> None:
    old = split_blocks(code_doc())
    new = split_blocks(code_doc().replace("compute", "other_function_name"))
    diff = diff_blocks(old.blocks, new.blocks)
    assert len(diff.changed) == 1 and diff.changed_lines == {}


async def test_the_pane_marks_one_row_for_a_moved_section_and_one_for_a_changed_code_line(tmp_path: Path) -> None:
    configure(tmp_path, "read_after_seconds = inf\n")
    path = tmp_path / "plan.md"
    path.write_text(moved(12, 3))
    workspace = open_workspace(path)
    ReadSnapshots(workspace.data_dir, workspace.root).mark_read(path, sections(12))
    app = LoupeApp(workspace, remember_theme=False)
    async with app.run_test(size=(110, 200)) as pilot:
        doc = await open_app(app, pilot)
        await wait_until(pilot, lambda: doc.pane.view.marked_count == 1, "one block marked")
        assert gutter_marks(doc.pane.view) == ["↕"]
        # Now a code block with one line changed since it was read.
        ReadSnapshots(workspace.data_dir, workspace.root).mark_read(path, code_doc())
        path.write_text(code_doc(changed_line=50))
        await wait_until(pilot, lambda: "value_changed" in (doc.text or ""), "reloaded")
        view = doc.pane.view
        await wait_until(pilot, lambda: view.marked_count == 1, "the code block marked")
        view.scroll_to_block(2, 0)
        await pilot.pause()
        await wait_until(pilot, lambda: "value_changed" in "\n".join(view.render_line(y).text for y in range(60)), "shown")
        rows = [view.render_line(y).text for y in range(view.scrollable_content_region.height)]
        marked = [row for row in rows if row.lstrip(" ").startswith("▌")]
        assert len(marked) == 1 and "value_changed" in marked[0]


async def test_the_readers_own_edit_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    configure(tmp_path, "read_after_seconds = inf\n")
    script = tmp_path / "fake-editor.sh"
    script.write_text('#!/bin/sh\nprintf "\\nAdded by me in my editor.\\n" >> "$1"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("EDITOR", str(script))
    path = tmp_path / "plan.md"
    path.write_text(sections(5))
    workspace = open_workspace(path)
    snapshots = ReadSnapshots(workspace.data_dir, workspace.root)
    snapshots.mark_read(path, sections(5))
    app = LoupeApp(workspace, remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        doc = await open_app(app, pilot)
        await pilot.press("e")
        await wait_until(pilot, lambda: "Added by me" in (doc.text or ""), "edited file reloaded")
        assert doc.pane.view.marked_count == 0
        assert snapshots.last_read_text(path) == path.read_text()


class Clock:
    def __init__(self) -> None:
        self.now = 1_000.0

    def __call__(self) -> float:
        return self.now

    def tick(self) -> bool:
        self.now += 1
        return True


async def test_a_deleted_document_never_reads_live(tmp_path: Path) -> None:
    configure(tmp_path, "read_after_seconds = 2\n")
    path = tmp_path / "plan.md"
    path.write_text(sections(3))
    workspace = open_workspace(path)
    clock = Clock()
    app = LoupeApp(workspace, remember_theme=False, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        doc = await open_app(app, pilot)
        path.unlink()
        await wait_until(pilot, lambda: doc.pane.status == "deleted on disk", "deletion noticed")
        # Time on screen passes (a second per look): the last version is recorded as read.
        snapshots = ReadSnapshots(workspace.data_dir, workspace.root)
        await wait_until(pilot, lambda: clock.tick() and snapshots.last_read_text(path) is not None, "recorded as read")
        await pilot.pause()
        assert doc.pane.status == "deleted on disk"
        assert "live" not in str(doc.pane.query_one("#artifact-header").render())


async def test_changes_of_a_never_read_document_do_not_say_no_changes(tmp_path: Path) -> None:
    configure(tmp_path, "read_after_seconds = inf\n")
    path = tmp_path / "plan.md"
    path.write_text(sections(3))
    app = LoupeApp(open_workspace(path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        doc = await open_app(app, pilot)
        await pilot.press("d")
        await wait_until(pilot, lambda: doc.pane.showing_changes, "changes view")
        header = str(doc.pane.query_one("#artifact-header").render())
        assert "no changes" not in header and "not read before" in header

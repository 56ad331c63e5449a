"""The artifact pane in the real app: open, live reload, bad files, search, contents, editor,
links, changes since last read. Real files on disk, real watcher; no timed assertions."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tests.helpers import wait_until
from tui.app import LoupeApp
from tui.docs.snapshots import ReadSnapshots
from tui.messages import OpenPath
from tui.views.artifact import ArtifactDocument
from tui.views.code import CodeDocument
from tui.workspace import open_workspace
from widgets.artifact_view import ArtifactView
from widgets.diff_view import DiffLines

SIZE = (110, 34)


def sections(count: int, *, marker: str = "") -> str:
    parts = ["# Plan\n"]
    for number in range(1, count + 1):
        parts.append(f"## Part {number}\n\nParagraph {number} of the plan{marker}. It says what to do.\n")
    return "\n".join(parts)


def screen_text(view: ArtifactView) -> str:
    return "\n".join(view.render_line(y).text for y in range(view.scrollable_content_region.height))


def document(app: LoupeApp) -> ArtifactDocument:
    return app.screen.query_one(ArtifactDocument)


def configure(root: Path, extra: str = "") -> None:
    (root / ".loupe").mkdir(exist_ok=True)
    (root / ".loupe" / "config.toml").write_text(f"[docs]\npoll_seconds = 0.2\n{extra}")


async def open_app(pilot_app: LoupeApp, pilot) -> ArtifactDocument:  # type: ignore[no-untyped-def]
    await wait_until(pilot, lambda: pilot_app.screen.query(ArtifactDocument), "artifact pane")
    doc = document(pilot_app)
    await wait_until(
        pilot,
        lambda: doc.text is not None and doc.pane.view.fully_laid_out or doc.pane.status == "cannot show",
        "document loaded and laid out",
    )
    return doc


async def test_open_and_read(tmp_path: Path) -> None:
    path = tmp_path / "plan.md"
    path.write_text(sections(3) + "\n| a | b |\n|---|---|\n| 1 | 2 |\n")
    app = LoupeApp(open_workspace(path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        doc = await open_app(app, pilot)
        view = doc.pane.view
        assert app.focused is view
        text = screen_text(view)
        assert "Plan" in text and "Paragraph 1 of the plan" in text
        assert "│ 1 │ 2 │" in "\n".join(view.text_lines())
        assert "plan.md" in str(doc.pane.query_one("#artifact-header").render())
        # Read-only: typing does not change anything on disk.
        await pilot.press("x", "backspace")
        assert path.read_text().startswith("# Plan")


async def test_live_reload_keeps_the_reader_in_place_and_marks_changes(tmp_path: Path) -> None:
    configure(tmp_path, "read_after_seconds = inf\n")
    path = tmp_path / "plan.md"
    path.write_text(sections(40))
    workspace = open_workspace(path)
    ReadSnapshots(workspace.data_dir, workspace.root).mark_read(path, sections(40))
    app = LoupeApp(workspace, remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        doc = await open_app(app, pilot)
        view = doc.pane.view
        target = next(i for i, b in enumerate(view.doc.blocks) if b.source == "## Part 20")
        view.scroll_to_block(target, 1)
        await pilot.pause()
        before = screen_text(view)
        # An agent rewrites the file: three parts inserted above the reader, one changed below.
        new = sections(40).replace("## Part 2\n", "## Part 2\n\nNew A.\n\nNew B.\n\nNew C.\n")
        new = new.replace("Paragraph 30 of the plan.", "Paragraph 30, rewritten.")
        path.write_text(new)
        await wait_until(pilot, lambda: doc.text == new, "reload after the rewrite")
        await pilot.pause()
        block, line = view.anchor
        assert view.doc.blocks[block].source == "## Part 20" and line == 1
        assert screen_text(view).splitlines()[0] == before.splitlines()[0]
        marked = {view.doc.blocks[i].source for i in view.marked_blocks}
        assert marked == {"New A.", "New B.", "New C.", "Paragraph 30, rewritten. It says what to do."}
        assert "4 changed since last read" in str(doc.pane.query_one("#artifact-header").render())


async def test_marks_fade_once_read_and_snapshot_is_saved(tmp_path: Path) -> None:
    configure(tmp_path, "read_after_seconds = 0.2\n")
    path = tmp_path / "plan.md"
    path.write_text(sections(2, marker=" (new)"))
    workspace = open_workspace(path)
    store = ReadSnapshots(workspace.data_dir, workspace.root)
    store.mark_read(path, sections(2))
    app = LoupeApp(workspace, remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        doc = await open_app(app, pilot)
        await wait_until(pilot, lambda: not doc.pane.view.marked_blocks, "marks read")
        await wait_until(pilot, lambda: store.last_read_text(path) == path.read_text(), "snapshot updated")


async def test_deleted_binary_invalid_utf8_empty_and_loop(tmp_path: Path) -> None:
    configure(tmp_path)
    path = tmp_path / "plan.md"
    path.write_text(sections(2))
    (tmp_path / "blob.md").write_bytes(b"\x00\x01binary")
    (tmp_path / "latin.md").write_bytes(b"# Caf\xe9\n")
    (tmp_path / "empty.md").write_text("")
    os.symlink(tmp_path / "loop-b.md", tmp_path / "loop-a.md")
    os.symlink(tmp_path / "loop-a.md", tmp_path / "loop-b.md")
    app = LoupeApp(open_workspace(path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        doc = await open_app(app, pilot)
        path.unlink()
        await wait_until(pilot, lambda: doc.deleted, "deletion noticed")
        assert "deleted on disk" in doc.pane.notice
        assert "Paragraph 1 of the plan" in screen_text(doc.pane.view)  # last content kept
        path.write_text(sections(1, marker=" again"))
        await wait_until(pilot, lambda: not doc.deleted and "again" in (doc.text or ""), "file back")
        assert doc.pane.notice == ""

        def opened(name: str) -> ArtifactDocument:
            return next(d for d in app.screen.query(ArtifactDocument) if d.path.name == name)

        expectations = {
            "blob.md": ("binary", None),
            "latin.md": ("not valid UTF-8: 1 byte", "Caf\ufffd"),
            "empty.md": ("", "This document is empty."),
            "loop-a.md": ("symlink loop", None),
        }
        for name, (notice, shown) in expectations.items():
            app.screen.post_message(OpenPath(tmp_path / name))
            await wait_until(pilot, lambda: any(d.path.name == name for d in app.screen.query(ArtifactDocument)), name)
            opened = next(d for d in app.screen.query(ArtifactDocument) if d.path.name == name)
            await wait_until(pilot, lambda: opened.follower.loads > 0, f"{name} loaded")
            await pilot.pause()
            assert notice in opened.pane.notice if notice else opened.pane.notice == ""
            if shown:
                assert shown in screen_text(opened.pane.view)
        # Not markdown: the code view, which says the same about binary files.
        (tmp_path / "blob.bin").write_bytes(b"\x00\x01\x02")
        app.screen.post_message(OpenPath(tmp_path / "blob.bin"))
        await wait_until(pilot, lambda: app.screen.query(CodeDocument), "code pane")
        code = app.screen.query_one(CodeDocument)
        await wait_until(pilot, lambda: "binary" in code.notice, "binary notice")
        assert not code.code.display
        assert app.is_running


async def test_search_next_previous_and_counter(tmp_path: Path) -> None:
    text = sections(30).replace("Paragraph 5 ", "Paragraph 5 needle ").replace("Paragraph 25 ", "Paragraph 25 Needle ")
    app = plan_app(tmp_path, text)
    async with app.run_test(size=SIZE) as pilot:
        doc = await open_app(app, pilot)
        view = doc.pane.view
        await pilot.press("slash", "n")  # typing goes to the search field...
        field = doc.pane.query_one("#artifact-search-input")
        assert field.value == "n" and view.match_status[1] > 2
        field.value = "needle"  # ...as does pasting a whole word
        await pilot.press("enter")
        assert view.match_status == (1, 2)
        assert app.focused is view
        header = doc.pane.query_one("#artifact-header")
        assert "search 1/2" in str(header.render())
        await pilot.press("n")
        assert view.match_status == (2, 2)
        assert "Paragraph 25 Needle" in screen_text(view)
        await pilot.press("N")
        assert view.match_status == (1, 2)
        # Capitals make the search case-sensitive; "/" starts from the last query, selected.
        await pilot.press("slash", "N")
        field.value += "eedle"
        await pilot.press("enter")
        assert view.match_status == (1, 1)
        await pilot.press("slash", "escape")
        assert view.query == "" and view.match_status == (0, 0)


def plan_app(tmp_path: Path, text: str) -> LoupeApp:
    """The app opened on `plan.md` holding `text`, as `loupe plan.md` does."""
    path = tmp_path / "plan.md"
    path.write_text(text)
    return LoupeApp(open_workspace(path), remember_theme=False)


async def test_table_of_contents_jumps(tmp_path: Path) -> None:
    app = plan_app(tmp_path, sections(30))
    async with app.run_test(size=SIZE) as pilot:
        doc = await open_app(app, pilot)
        view = doc.pane.view
        await pilot.press("t")
        toc = doc.pane.query_one("#artifact-toc")
        assert doc.pane.toc_shown and app.focused is toc
        assert toc.option_count == 31
        # To "Part 24" (the cursor follows the section being read; arrows move it) and jump.
        await pilot.press("down", "down")
        toc.highlighted = 24
        await pilot.press("enter")
        block, line = view.anchor
        assert view.doc.blocks[block].source == "## Part 24" and line == 0
        assert app.focused is view
        await pilot.press("t")
        assert not doc.pane.toc_shown


async def test_table_of_contents_keeps_names_and_indents_wrapped_entries(tmp_path: Path) -> None:
    text = (
        "# Plan\n\n## Tests: tests/test_clock.py\n\nText.\n\n"
        "### A subsection whose title is far too long for the contents column\n\nMore.\n"
    )
    app = plan_app(tmp_path, text)
    async with app.run_test(size=SIZE) as pilot:
        doc = await open_app(app, pilot)
        await pilot.press("t")
        toc = doc.pane.query_one("#artifact-toc")
        await wait_until(pilot, lambda: toc.option_count == 3, "contents listed")
        rows = [toc.render_line(y).text.rstrip() for y in range(toc.scrollable_content_region.height)]
        entries: list[tuple[int, str]] = []  # (indent, text) of each entry, wrapped rows joined
        titles = iter(["Plan", "Tests: tests/test_clock.py", "A subsection whose title is far too long for the contents column"])
        wanted = next(titles)
        for row in filter(str.strip, rows):
            indent = len(row) - len(row.lstrip())
            if not entries or entries[-1][1] == wanted:
                if entries:
                    wanted = next(titles)
                entries.append((indent, row.strip()))
            else:
                assert indent == entries[-1][0], f"wrapped row {row!r} lost its indentation"
                entries[-1] = (indent, f"{entries[-1][1]} {row.strip()}")
        assert entries == [
            (0, "Plan"),
            (2, "Tests: tests/test_clock.py"),
            (4, "A subsection whose title is far too long for the contents column"),
        ]
        assert len([row for row in rows if row.strip()]) > 3, "the long title wraps"


async def test_editor_round_trip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "fake-editor.sh"
    script.write_text('#!/bin/sh\nprintf "\\nAppended by the editor.\\n" >> "$1"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("EDITOR", str(script))
    path = tmp_path / "plan.md"
    path.write_text(sections(30))
    app = LoupeApp(open_workspace(path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        doc = await open_app(app, pilot)
        view = doc.pane.view
        view.scroll_to_block(12, 0)
        before = view.anchor
        await pilot.press("e")
        await wait_until(pilot, lambda: "Appended by the editor." in (doc.text or ""), "edited file reloaded")
        assert view.anchor == before
        assert app.focused is view


async def test_editor_missing_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDITOR", str(tmp_path / "no-such-editor"))
    app = plan_app(tmp_path, sections(1))
    async with app.run_test(size=SIZE) as pilot:
        await open_app(app, pilot)
        await pilot.press("e")
        await wait_until(
            pilot, lambda: any("Cannot run" in n.message for n in app._notifications), "editor error shown"
        )


async def test_changes_since_last_read(tmp_path: Path) -> None:
    path = tmp_path / "plan.md"
    path.write_text(sections(3).replace("Paragraph 2 of the plan", "Paragraph 2, revised"))
    workspace = open_workspace(path)
    ReadSnapshots(workspace.data_dir, workspace.root).mark_read(path, sections(3))
    app = LoupeApp(workspace, remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        doc = await open_app(app, pilot)
        await pilot.press("d")
        await wait_until(pilot, lambda: doc.pane.showing_changes, "changes view")
        lines = doc.pane.query_one(DiffLines)
        rows = "\n".join(lines.render_line(y).text for y in range(12))
        assert "plan.md  +1 −1" in rows
        assert "− Paragraph 2 of the plan. It says what to do." in rows
        assert "+ Paragraph 2, revised. It says what to do." in rows
        await pilot.press("d")
        assert not doc.pane.showing_changes and app.focused is doc.pane.view


async def test_links_open_panes_and_code_view_at_line(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("".join(f"value_{n} = {n}\n" for n in range(1, 81)))
    (tmp_path / "notes.md").write_text("# Notes\n\nSee also.\n")
    path = tmp_path / "plan.md"
    path.write_text("# Plan\n\nRead [the notes](notes.md) and `src/app.py:60`, or [jump](#later).\n\n## Later\n")
    app = LoupeApp(open_workspace(path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        doc = await open_app(app, pilot)
        view = doc.pane.view
        await pilot.press("tab")
        assert view.focused_link == "notes.md"
        await pilot.press("enter")
        await wait_until(pilot, lambda: any(d.path.name == "notes.md" for d in app.screen.query(ArtifactDocument)), "notes opened")
        documents = app.screen.query_one("#documents")
        documents.open_artifact(path)
        await wait_until(pilot, lambda: app.focused is view, "back on the plan")
        await pilot.press("tab", "tab")
        assert view.focused_link == "src/app.py:60"
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen.query(CodeDocument), "code view opened")
        code_doc = app.screen.query_one(CodeDocument)
        await wait_until(pilot, lambda: code_doc.text is not None and code_doc.code.highlighted, "code loaded")
        code = code_doc.code
        assert code.target_line == 60
        rows = [code.render_line(y).text for y in range(code.scrollable_content_region.height)]
        assert any(row.strip().startswith("60 │ value_60 = 60") for row in rows)


async def test_theme_switch_repaints(tmp_path: Path) -> None:
    app = plan_app(tmp_path, sections(1))
    async with app.run_test(size=SIZE) as pilot:
        doc = await open_app(app, pilot)
        view = doc.pane.view

        def heading_color() -> str:
            for y in range(6):
                for segment in view.render_line(y):
                    if segment.text.strip() == "Plan":
                        return str(segment.style.color)
            return ""

        dark = heading_color()
        app.theme = "loupe-light"
        await pilot.pause()
        assert heading_color() not in ("", dark)


async def test_palette_offers_the_active_documents_commands(tmp_path: Path) -> None:
    app = plan_app(tmp_path, sections(3))
    async with app.run_test(size=SIZE) as pilot:
        doc = await open_app(app, pilot)
        documents = app.screen.query_one("#documents")
        commands = {title: callback for title, _, callback in documents.palette_commands()}
        assert {"Document: table of contents", "Document: changes since last read", "Document: search",
                "Document: open in editor"} <= set(commands)
        await commands["Document: table of contents"]()
        assert doc.pane.toc_shown


@pytest.mark.slow
async def test_ten_megabyte_document_stays_responsive(tmp_path: Path) -> None:
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from docgen import design_doc

    text = design_doc(200_000)
    assert len(text) > 10_000_000
    app = plan_app(tmp_path, text)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.screen.query(ArtifactDocument), "artifact pane")
        doc = document(app)
        view = doc.pane.view
        # The first screens show before the whole document is split.
        await wait_until(pilot, lambda: view.doc is not None, "first screens shown", timeout=30)
        await pilot.press("j", "j")  # keys are handled meanwhile
        await wait_until(pilot, lambda: doc.text is not None, "whole document shown", timeout=60)
        assert view.block_count > 30_000
        assert view.scroll_y == 2  # the two lines scrolled while loading were kept
        await pilot.press("G")
        assert view.scroll_y == view.max_scroll_y > 200_000


async def test_polling_notices_changes_when_file_events_are_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import watchfiles

    def no_events(*args: object, **kwargs: object) -> None:
        raise OSError("no inotify here")

    monkeypatch.setattr(watchfiles, "watch", no_events)
    configure(tmp_path)  # poll_seconds = 0.2
    path = tmp_path / "plan.md"
    path.write_text(sections(2))
    app = LoupeApp(open_workspace(path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        doc = await open_app(app, pilot)
        path.write_text(sections(2, marker=" (polled)"))
        await wait_until(pilot, lambda: "(polled)" in (doc.text or ""), "change seen by polling")


async def test_permission_denied_is_shown_and_recovers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    configure(tmp_path)
    path = tmp_path / "plan.md"
    path.write_text(sections(2))
    locked = tmp_path / "secret.md"
    locked.write_text("# Secret\n")
    # Root reads any file whatever its mode: refuse at open(), as the kernel would for a user.
    refused = {locked}
    real_open = builtins.open

    def guarded(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(file, (str, os.PathLike)) and Path(file) in refused:
            raise PermissionError(13, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded)
    app = LoupeApp(open_workspace(path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        await open_app(app, pilot)
        app.screen.post_message(OpenPath(locked))
        await wait_until(pilot, lambda: any(d.path == locked for d in app.screen.query(ArtifactDocument)), "pane")
        doc = next(d for d in app.screen.query(ArtifactDocument) if d.path == locked)
        await wait_until(pilot, lambda: "Permission denied" in doc.pane.notice, "the refusal is shown")
        assert app.is_running
        # Permissions fixed: the next poll shows the document.
        refused.clear()
        locked.write_text("# Secret\n\nNow readable.\n")
        await wait_until(pilot, lambda: "Now readable." in (doc.text or ""), "readable again")
        await wait_until(pilot, lambda: "Permission denied" not in doc.pane.notice, "notice cleared")

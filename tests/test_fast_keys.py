"""Keys typed fast: a key that opens an input routes the keys after it to that input.

`type_at_once` queues every key before the app handles the first, as a fast typist or a
paste does; with the focus moved later (after a mount, or by `Widget.focus`, which waits for
the app's queue), the keys after `/` or `tab` reached the widget that had the focus before.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, TextArea

from tests.helpers import shows, type_at_once, wait_until
from tui.app import LoupeApp
from tui.dialogs.new_task import NewTaskScreen
from tui.screens.main import MainScreen
from tui.views.artifact import ArtifactDocument
from tui.workspace import open_workspace
from widgets.task_list import TaskList

SIZE = (100, 30)


@pytest.fixture(autouse=True)
def no_editor(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An editor that records that it ran: a stray `e` must not start it."""
    script = tmp_path / "bin" / "editor"
    script.parent.mkdir()
    script.write_text(f"#!/bin/sh\necho ran >> {tmp_path / 'editor-ran'}\n")
    script.chmod(0o755)
    monkeypatch.setenv("EDITOR", str(script))
    return tmp_path / "editor-ran"


async def opened_document(pilot, app: LoupeApp) -> ArtifactDocument:  # type: ignore[no-untyped-def]
    await wait_until(pilot, lambda: app.screen.query(ArtifactDocument), "artifact pane")
    doc = app.screen.query_one(ArtifactDocument)
    await wait_until(pilot, lambda: doc.text is not None and app.focused is doc.pane.view, "document shown, focused")
    return doc


async def test_search_typed_fast_goes_to_the_search_field(tmp_path: Path, no_editor: Path) -> None:
    path = tmp_path / "plan.md"
    path.write_text("# Plan\n\nSay hello to the reader.\n")
    app = LoupeApp(open_workspace(path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        doc = await opened_document(pilot, app)
        await type_at_once(pilot, "/", *"hello")
        field = doc.pane.query_one("#artifact-search-input", Input)
        await wait_until(pilot, lambda: field.value == "hello", f"the whole word in the search field: {field.value!r}")
        assert app.focused is field
        assert not no_editor.exists()
        # Again, with the field already mounted: enter, then `/` and a new word at once.
        await type_at_once(pilot, "enter", "/", *"reader")
        await wait_until(pilot, lambda: field.value == "reader", "the second search typed in the field")
        assert not no_editor.exists()


async def test_contents_opened_fast_take_the_arrow_keys(tmp_path: Path) -> None:
    path = tmp_path / "plan.md"
    path.write_text("# Plan\n\n## One\n\nText.\n\n## Two\n\nText.\n\n## Three\n\nText.\n")
    app = LoupeApp(open_workspace(path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        doc = await opened_document(pilot, app)
        await type_at_once(pilot, "t", "down", "down")
        toc = doc.pane.query_one("#artifact-toc")
        await wait_until(pilot, lambda: app.focused is toc, "the contents have the focus")
        # The cursor moved in the contents, not the document.
        assert toc.highlighted == 2


async def test_new_task_typed_fast(tasks_workspace: Path) -> None:
    app = LoupeApp(open_workspace(tasks_workspace), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(app.query_one(TaskList).tasks) == 3, "tasks listed")
        await type_at_once(pilot, "ctrl+n", *"Dark mode", "tab", *"Asked twice.")
        await wait_until(pilot, lambda: shows(app, NewTaskScreen), "the dialog opens")
        title = app.screen.query_one("#new-task-title", Input)
        ticket = app.screen.query_one("#new-task-ticket", TextArea)
        await wait_until(pilot, lambda: ticket.text == "Asked twice.", "the ticket text in the ticket box")
        assert title.value == "Dark mode"
        # Enter in the title goes on to the ticket: what follows it is the ticket's.
        title.value = ""
        ticket.text = ""
        title.focus()
        await wait_until(pilot, lambda: app.focused is title, "the title focused again")
        await type_at_once(pilot, *"Light mode", "enter", *"Also asked.", "ctrl+s")
        await wait_until(pilot, lambda: shows(app, MainScreen), "the dialog closes")
        created = tasks_workspace / ".loupe/tasks/light-mode/ticket.md"
        assert created.read_text() == "# Light mode\n\nAlso asked.\n"

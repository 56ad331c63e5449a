"""Contrast: every run of text the key screens show reaches WCAG AA (4.5:1) against its
background, in both themes. The colours are read from the rendered screen (the segments the
terminal would get), so a theme value, a TCSS rule or a style in code that lowers one fails."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.contrast import AA, low_contrast
from tests.helpers import shows, wait_until
from tests.test_snapshots import artifact_app, main_screen_app, settle
from tui.app import LoupeApp
from tui.dialogs.base import Dialog
from tui.dialogs.help import HelpScreen
from tui.dialogs.new_task import NewTaskScreen
from tui.views.artifact import ArtifactDocument
from widgets.task_list import TaskList

THEMES = ["loupe-dark", "loupe-light"]
SIZE = (100, 30)


def assert_readable(app: LoupeApp, what: str) -> None:
    region = None
    if isinstance(app.screen, Dialog):
        # The screen behind a dialog is faded on purpose: only the dialog is to be read.
        frame = app.screen.query_one(".dialog-frame").region
        region = (frame.x, frame.y, frame.width, frame.height)
    low = low_contrast(app, AA, region)
    assert not low, f"{what}: text under {AA}:1\n" + "\n".join(map(str, low))


async def list_focused(pilot: Pilot) -> TaskList:
    await settle(pilot)
    task_list = pilot.app.query_one(TaskList)
    task_list.rows.focus()
    await wait_until(pilot, lambda: pilot.app.focused is task_list.rows, "the task list has the focus")
    return task_list


@pytest.mark.parametrize("theme", THEMES)
async def test_task_list_selected_row_filter_and_titles(tmp_path: Path, theme: str) -> None:
    app = main_screen_app(tmp_path, theme)
    async with app.run_test(size=SIZE) as pilot:
        task_list = await list_focused(pilot)
        # The first row, selected: a task with its new-mark, title, phase, status and age.
        assert task_list.rows.highlighted == 0
        assert_readable(app, "the main screen, first task selected")
        await pilot.press(*"rese")
        await wait_until(pilot, lambda: task_list.filter_text == "rese", "filtered")
        assert_readable(app, "the task list filtered (matches, filter line)")


@pytest.mark.parametrize("theme", THEMES)
async def test_document_and_the_list_behind_it(tmp_path: Path, theme: str) -> None:
    app = artifact_app(tmp_path, theme)
    async with app.run_test(size=SIZE) as pilot:
        await list_focused(pilot)
        await pilot.press("down", "down", "down", "down", "down", "enter")
        await wait_until(pilot, lambda: app.screen.query(ArtifactDocument), "the document opens")
        doc = app.screen.query_one(ArtifactDocument)
        await wait_until(pilot, lambda: doc.text is not None and app.focused is doc.pane.view, "shown, focused")
        # The list's selection bar without the focus, the document's headings, code, table, links.
        assert_readable(app, "a document open")


@pytest.mark.parametrize("theme", THEMES)
async def test_new_task_and_help_dialogs(tmp_path: Path, theme: str) -> None:
    app = main_screen_app(tmp_path, theme)
    async with app.run_test(size=SIZE) as pilot:
        await list_focused(pilot)
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: shows(app, NewTaskScreen), "the New task dialog")
        assert_readable(app, "the New task dialog")
        await pilot.press("escape")
        await pilot.press("f1")
        await wait_until(pilot, lambda: shows(app, HelpScreen), "the help screen")
        assert_readable(app, "the help screen")

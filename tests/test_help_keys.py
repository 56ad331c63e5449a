"""Help (F1 or ?) lists the keys where the user is, saying what each does there."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import shows, wait_until
from tui.app import LoupeApp
from tui.dialogs.help import HelpScreen, KeyGroup
from tui.screens.main import MainScreen
from tui.views.artifact import ArtifactDocument
from tui.workspace import open_workspace
from widgets.task_list import TaskList

SIZE = (100, 30)


def described(groups: list[KeyGroup]) -> dict[str, dict[str, str]]:
    return {group.title: {keys: what for keys, what in group.keys} for group in groups}


async def focused_task_list(pilot, app: LoupeApp) -> TaskList:  # type: ignore[no-untyped-def]
    task_list = app.query_one(TaskList)
    await wait_until(pilot, lambda: len(task_list.tasks) == 3, "tasks listed")
    task_list.rows.focus()
    await wait_until(pilot, lambda: app.focused is task_list.rows, "the list has the focus")
    return task_list


async def test_f1_in_the_task_list_says_what_its_keys_do(tasks_workspace: Path) -> None:
    app = LoupeApp(open_workspace(tasks_workspace), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        task_list = await focused_task_list(pilot, app)
        # The keys panel (ctrl+p, Keys) reads the same bindings: the arrows fold and unfold here.
        active = app.screen.active_bindings
        assert (active["right"].binding.description, active["left"].binding.description) == ("Expand", "Collapse")
        await pilot.press("f1")
        await wait_until(pilot, lambda: shows(app, HelpScreen), "the help screen")
        assert isinstance(app.screen, HelpScreen)
        groups = app.screen.groups
        keys = described(groups)
        assert groups[0].title == "Task list"
        assert keys["Task list"]["→"] == "Expand" and keys["Task list"]["←"] == "Collapse"
        assert keys["Task list"]["⏎"] == "Open"
        assert keys["Tasks"]["^n"] == "New task"
        assert keys["Everywhere"]["f1 ?"] == "Help"
        assert not any("Scroll" in what for group in keys.values() for what in group.values())
        await pilot.press("escape")
        await wait_until(pilot, lambda: shows(app, MainScreen), "closed")
        assert app.focused is task_list.rows


async def test_question_mark_in_a_document_and_again_to_close(tmp_path: Path) -> None:
    path = tmp_path / "plan.md"
    path.write_text("# Plan\n\nText.\n")
    app = LoupeApp(open_workspace(path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.screen.query(ArtifactDocument), "artifact pane")
        doc = app.screen.query_one(ArtifactDocument)
        await wait_until(pilot, lambda: app.focused is doc.pane.view, "the document has the focus")
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: shows(app, HelpScreen), "the help screen")
        assert isinstance(app.screen, HelpScreen)
        keys = described(app.screen.groups)
        assert keys["Artifact"]["/"] == "Search" and keys["Artifact"]["e"] == "Edit"
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: shows(app, MainScreen), "closed by the same key")
        assert app.focused is doc.pane.view


async def test_question_mark_goes_into_a_filter_already_typed(tasks_workspace: Path) -> None:
    app = LoupeApp(open_workspace(tasks_workspace), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        task_list = await focused_task_list(pilot, app)
        await pilot.press("w", "question_mark")
        assert task_list.filter_text == "w?"
        assert isinstance(app.screen, MainScreen)

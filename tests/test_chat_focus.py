"""Where the focus goes in a chat tab: back to the part of the chat that had it after Export."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input

from tests.helpers import wait_until
from tests.test_chat_pane import SIZE, new_thread
from tui.app import LoupeApp
from tui.dialogs.confirm import PromptScreen
from tui.workspace import open_workspace
from widgets.chat.chat_log import ChatLog
from widgets.task_list import TaskList


async def export_from_the_palette(pilot: Pilot[None], path: Path, *, cancel: bool = False) -> None:
    """Export as a user does: ctrl+p, the command, enter; then the path and enter (or escape)."""
    app = pilot.app
    await pilot.press("ctrl+p")
    await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette), "the palette")
    await pilot.press(*"export as markdown")
    await wait_until(pilot, lambda: app.screen.query_one(CommandList).option_count == 1, "one match")
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, PromptScreen), "the path prompt")
    app.screen.query_one(Input).value = str(path)
    await pilot.press("escape" if cancel else "enter")
    if not cancel:
        await wait_until(pilot, path.exists, "the file is written")
    await wait_until(pilot, lambda: not isinstance(app.screen, (PromptScreen, CommandPalette)), "the dialogs closed")


async def focus_settles(pilot: Pilot[None], expected: Widget, what: str) -> None:
    app = pilot.app
    await wait_until(pilot, lambda: app.focused is expected, what)
    # Not only for a moment: nothing moves it afterwards (a late focus_list, a dialog's restore).
    for _ in range(5):
        await pilot.pause()
    assert app.focused is expected, f"the focus moved on to {app.focused!r}"


@pytest.mark.parametrize("cancel", [False, True], ids=["exported", "cancelled"])
async def test_after_export_the_composer_has_the_focus_again(tasks_workspace: Path, cancel: bool) -> None:
    app = LoupeApp(open_workspace(tasks_workspace), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(app.query_one(TaskList).tasks) == 3, "tasks listed")
        pane = await new_thread(pilot, "notes")
        pane.composer.focus_input()
        await wait_until(pilot, lambda: app.focused is pane.composer.input, "the composer has the focus")
        await export_from_the_palette(pilot, tasks_workspace / "notes.md", cancel=cancel)
        await focus_settles(pilot, pane.composer.input, "the composer has the focus again")
        await pilot.press(*"still typing")
        assert pane.composer.text == "still typing"


async def test_after_export_the_message_list_has_the_focus_again(tasks_workspace: Path) -> None:
    app = LoupeApp(open_workspace(tasks_workspace), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(app.query_one(TaskList).tasks) == 3, "tasks listed")
        pane = await new_thread(pilot, "notes")
        log = pane.query_one(ChatLog)
        log.focus()
        await wait_until(pilot, lambda: app.focused is log, "the message list has the focus")
        # Filed under a task: the task list sees a new artifact, and must not take the focus.
        await export_from_the_palette(pilot, tasks_workspace / ".loupe/tasks/retry-backoff/04-notes.md")
        await focus_settles(pilot, log, "the message list has the focus again")

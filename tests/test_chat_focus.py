"""Where the focus goes in a chat tab: back to the part of the chat that had it after Export,
and ctrl+w in the composer never loses a message being written."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Input, TabbedContent

from tests.helpers import run_command, shows, wait_until
from tests.test_chat_pane import SIZE, new_thread
from tui.app import LoupeApp
from tui.dialogs.confirm import ConfirmScreen, PromptScreen
from tui.views.chat import ChatPane
from tui.workspace import open_workspace
from widgets.chat.chat_log import ChatLog
from widgets.task_list import TaskList


async def export_from_the_palette(pilot: Pilot[None], path: Path, *, cancel: bool = False) -> None:
    """Export as a user does: ctrl+p, the command, enter; then the path and enter (or escape)."""
    app = pilot.app
    await run_command(pilot, "export as markdown")
    await wait_until(pilot, lambda: shows(app, PromptScreen), "the path prompt")
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


def tab_count(app: LoupeApp) -> int:
    return app.screen.query_one("#document-tabs", TabbedContent).tab_count


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


async def writing(pilot: Pilot[None], draft: str) -> ChatPane:
    """A new thread with `draft` typed in its composer, not sent."""
    pane = await new_thread(pilot, "notes")
    pane.composer.focus_input()
    await pilot.press(*draft)
    return pane


async def test_ctrl_w_in_the_composer_deletes_a_word_and_keeps_the_tab(tmp_path: Path) -> None:
    app = LoupeApp(open_workspace(tmp_path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await writing(pilot, "retry with jitter")
        await pilot.press("ctrl+w")
        await pilot.pause()
        assert pane.composer.text == "retry with "
        assert tab_count(app) == 1 and app.focused is pane.composer.input
        assert not isinstance(app.screen, ConfirmScreen)


async def test_a_chat_tab_with_an_unsent_message_asks_before_it_closes(tmp_path: Path) -> None:
    app = LoupeApp(open_workspace(tmp_path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await writing(pilot, "half a thought")
        # ctrl+w from the message list (shift+tab), where it closes the tab.
        pane.log.focus()
        await wait_until(pilot, lambda: app.focused is pane.log, "the message list has the focus")
        await pilot.press("ctrl+w")
        await wait_until(pilot, lambda: shows(app, ConfirmScreen), "the question")
        assert "3 words" in app.screen.query_one(".dialog-body").render().plain  # type: ignore[union-attr]
        await pilot.press("n")  # keep writing
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen), "the question closed")
        assert tab_count(app) == 1 and pane.composer.text == "half a thought"
        await focus_settles(pilot, pane.log, "the message list has the focus again")

        await pilot.press("ctrl+w")
        await wait_until(pilot, lambda: shows(app, ConfirmScreen), "the question")
        await pilot.press("y")
        await wait_until(pilot, lambda: tab_count(app) == 0, "the tab closed")
        assert not app.screen.query(ChatPane)


async def test_a_chat_tab_with_nothing_written_closes_at_once(tmp_path: Path) -> None:
    app = LoupeApp(open_workspace(tmp_path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await new_thread(pilot, "notes")
        pane.composer.text = "   \n"
        pane.log.focus()
        await wait_until(pilot, lambda: app.focused is pane.log, "the message list has the focus")
        await pilot.press("ctrl+w")
        await wait_until(pilot, lambda: tab_count(app) == 0, "the tab closed")
        assert not isinstance(app.screen, ConfirmScreen)


async def test_quitting_with_an_unsent_message_in_a_hidden_tab_asks_first(tmp_path: Path) -> None:
    from tui.messages import OpenPath

    app = LoupeApp(open_workspace(tmp_path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await writing(pilot, "half a thought")
        # Another tab in front: the message is out of sight, not out of mind.
        notes = tmp_path / "notes.md"
        notes.write_text("# Notes\n")
        app.screen.post_message(OpenPath(notes))
        await wait_until(pilot, lambda: tab_count(app) == 2, "a second tab")
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: shows(app, ConfirmScreen), "the question")
        body = app.screen.query_one(".dialog-body").render().plain  # type: ignore[union-attr]
        assert "3 words" in body and "Quitting discards it" in body
        await pilot.press("n")
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen), "the question closed")
        assert app.is_running and pane.composer.text == "half a thought"
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: shows(app, ConfirmScreen), "the question again")
        await pilot.press("y")
        await wait_until(pilot, lambda: not app.is_running, "the app quit")


async def test_quitting_with_nothing_unsent_does_not_ask(tmp_path: Path) -> None:
    app = LoupeApp(open_workspace(tmp_path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        await new_thread(pilot, "notes")
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: not app.is_running, "the app quit")


async def test_a_thread_renamed_keeps_its_new_tab_name_when_another_tab_opens(tmp_path: Path) -> None:
    from textual.widgets.tabbed_content import ContentTab

    from tui.messages import OpenPath

    app = LoupeApp(open_workspace(tmp_path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await new_thread(pilot, "notes")
        store = app.services.threads.store
        assert store is not None
        store.rename(pane.thread_id, "retry plan")  # as `loupe thread` in a shell would

        def labels() -> list[str]:
            return [tab.label_text for tab in app.screen.query(ContentTab)]

        await wait_until(pilot, lambda: "retry plan" in labels(), "the tab says the new name")
        notes = tmp_path / "notes.md"
        notes.write_text("# Notes\n")
        app.screen.post_message(OpenPath(notes))
        await wait_until(pilot, lambda: tab_count(app) == 2, "a second tab")
        for _ in range(5):
            await pilot.pause()
        assert labels() == ["retry plan", "notes.md"]

"""The threads list in the app: new, rename, archive, delete with confirmation."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from tests.helpers import wait_until
from tests.test_chat_pane import SIZE, active_pane, new_thread
from tui.app import LoupeApp
from tui.screens.confirm import ConfirmScreen
from tui.views.chat import ChatPane
from tui.views.thread_services import thread_services
from tui.workspace import open_workspace
from widgets.thread_tree import ThreadTree


async def test_rename_archive_and_delete_with_confirmation(tmp_path: Path) -> None:
    app = LoupeApp(open_workspace(tmp_path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await new_thread(pilot, "first")
        tree = app.screen.query_one(ThreadTree)
        await wait_until(pilot, lambda: tree.selected_thread is not None, "the new thread is selected")
        tree.focus()
        await pilot.press("f2")
        await wait_until(pilot, lambda: bool(app.screen.query(Input)), "the rename prompt")
        app.screen.query_one(Input).value = "renamed"
        await pilot.press("enter")
        await wait_until(pilot, lambda: tree.threads[pane.thread_id].title == "renamed", "renamed in the list")
        store = thread_services(app).store
        assert store is not None and store.thread(pane.thread_id).title == "renamed"

        await pilot.press("a")
        await wait_until(pilot, lambda: pane.thread_id not in tree.threads, "archived threads are hidden")
        await pilot.press("h")
        await wait_until(pilot, lambda: tree.threads.get(pane.thread_id, None) is not None, "shown again")
        assert tree.threads[pane.thread_id].archived

        tree.select_thread(pane.thread_id)
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        await pilot.press("n")  # changed my mind
        await pilot.pause()
        assert pane.thread_id in tree.threads
        await pilot.press("d")
        await wait_until(pilot, lambda: isinstance(app.screen, ConfirmScreen), "the confirmation")
        await pilot.press("y")
        await wait_until(pilot, lambda: pane.thread_id not in tree.threads, "deleted from the list")
        await wait_until(pilot, lambda: not app.screen.query(ChatPane), "its tab closed")
        assert active_pane(app) is None
        assert store.list_threads(include_archived=True) == []

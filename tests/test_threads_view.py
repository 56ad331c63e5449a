"""The threads list in the app: new, rename, archive, delete with confirmation."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from tests.helpers import shows, wait_until
from tests.test_chat_pane import SIZE, active_pane, new_thread
from tui.app import LoupeApp
from tui.dialogs.confirm import ConfirmScreen
from tui.dialogs.thread_search import ThreadSearchScreen
from tui.threads.errors import StoreError
from tui.views.chat import ChatPane
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
        store = app.services.threads.store
        assert store is not None and store.thread(pane.thread_id).title == "renamed"

        await pilot.press("a")
        await wait_until(pilot, lambda: pane.thread_id not in tree.threads, "archived threads are hidden")
        await pilot.press("h")
        await wait_until(pilot, lambda: tree.threads.get(pane.thread_id, None) is not None, "shown again")
        assert tree.threads[pane.thread_id].archived

        tree.select_thread(pane.thread_id)
        await pilot.press("d")
        await wait_until(pilot, lambda: shows(app, ConfirmScreen), "the confirmation")
        await pilot.press("n")  # changed my mind
        await pilot.pause()
        assert pane.thread_id in tree.threads
        await pilot.press("d")
        await wait_until(pilot, lambda: shows(app, ConfirmScreen), "the confirmation")
        await pilot.press("y")
        await wait_until(pilot, lambda: pane.thread_id not in tree.threads, "deleted from the list")
        await wait_until(pilot, lambda: not app.screen.query(ChatPane), "its tab closed")
        assert active_pane(app) is None
        assert store.list_threads(include_archived=True) == []


async def search_threads(pilot: Pilot[None], threads: int, query: str) -> ThreadSearchScreen:
    """Once `threads` threads are listed, search them for `query` (/ in the list)."""
    app = pilot.app
    tree = app.screen.query_one(ThreadTree)
    await wait_until(pilot, lambda: len(tree.threads) == threads, "the threads are listed")
    tree.focus()
    await pilot.press("slash")
    await wait_until(pilot, lambda: shows(app, ThreadSearchScreen), "the search dialog")
    search = app.screen
    assert isinstance(search, ThreadSearchScreen)
    await pilot.press(*query)
    await wait_until(pilot, lambda: search.shown_query == query, "the results")
    return search


async def test_search_opens_the_thread_at_the_message_and_export_writes_markdown(tmp_path: Path) -> None:
    from tui.threads.store import ThreadStore

    with ThreadStore() as store:
        retries = store.create_thread("retries")
        store.append(retries.id, "user", "How does jitter work?")
        answer = store.append(retries.id, "assistant", "Full jitter spreads the kestrel retries apart.")
        store.append(retries.id, "user", "And the cap?")
        # The question is edited afterwards: the answer found is on the branch left behind.
        store.edit(retries.id, store.history(retries.id)[0].id, "How does jitter work, briefly?")
        other = store.create_thread("other")
        store.append(other.id, "user", "Nothing about birds here.")
    app = LoupeApp(open_workspace(tmp_path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        tree = app.screen.query_one(ThreadTree)
        search = await search_threads(pilot, 2, "kestrel")
        assert [(r.thread_title, r.message_id) for r in search.results] == [("retries", answer.id)]
        await pilot.press("enter")
        await wait_until(pilot, lambda: active_pane(app) is not None, "the thread opens")
        pane = active_pane(app)
        assert pane is not None and pane.thread_id == retries.id
        await wait_until(pilot, lambda: pane.log.selected_id == answer.id, "at the message found")
        assert [m.content for m in pane.log.messages][0] == "How does jitter work?"  # its branch

        commands = {title: run for title, _help, run in pane.document_commands()}
        commands["Thread: export as markdown"]()
        await wait_until(pilot, lambda: bool(app.screen.query(Input)), "the path prompt")
        prompt = app.screen.query_one(Input)
        assert prompt.value == str(tmp_path / "retries.md")
        await pilot.press("enter")
        exported = tmp_path / "retries.md"
        await wait_until(pilot, exported.exists, "the file is written")
        text = exported.read_text()
        assert text.startswith("# retries") and "kestrel retries apart" in text and "And the cap?" in text
        # Nothing found says so, and escape closes the dialog.
        tree.focus()
        await pilot.press("slash")
        await wait_until(pilot, lambda: shows(app, ThreadSearchScreen), "the search dialog")
        await pilot.press(*"zebra")
        await wait_until(pilot, lambda: app.screen.shown_query == "zebra", "no results")  # type: ignore[attr-defined]
        assert "Nothing matches" in str(app.screen.query_one("#search-status").render())
        await pilot.press("escape")
        assert not isinstance(app.screen, ThreadSearchScreen)


async def test_an_open_thread_shows_what_another_process_writes(tmp_path: Path) -> None:
    import subprocess
    import sys

    app = LoupeApp(open_workspace(tmp_path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        pane = await new_thread(pilot, "shared")
        # `loupe thread send` in another process, as an agent or a script would.
        sent = subprocess.run(
            [sys.executable, "-m", "tui", "thread", "send", pane.thread_id, "noted from a script", "--no-reply"],
            capture_output=True, text=True, timeout=60,
        )
        assert sent.returncode == 0, sent.stderr
        await wait_until(
            pilot,
            lambda: [m.content for m in pane.log.messages] == ["noted from a script"],
            "the message from the other process",
        )


async def test_quitting_while_the_store_opens_closes_what_was_opened(tmp_path: Path) -> None:
    from tui.threads.store import ThreadStore
    from tui.services.threads import ThreadServices

    class Recording(ThreadServices):
        opened: ThreadStore | None = None

        def _open_store(self) -> ThreadStore:
            self.opened = super()._open_store()
            return self.opened

    services = Recording(open_workspace(tmp_path))
    opening = asyncio.ensure_future(services.ready())
    await asyncio.sleep(0)
    # The app quits before the open finishes (close runs on the UI loop, the open in a thread).
    services.close()
    assert await opening is False
    assert services.store is None and services.replies is None
    assert services.opened is not None, "the store was opened meanwhile"
    with pytest.raises(StoreError, match="is closed"):
        services.opened.list_threads()


async def test_tabbing_into_the_list_highlights_a_thread_so_the_first_delete_asks(tmp_path: Path) -> None:
    """Issue 16 #14: the list had no cursor until an arrow key, so Delete did nothing."""
    from tui.threads.store import ThreadStore

    with ThreadStore() as store:
        store.create_thread("first")
        store.create_thread("second")
    app = LoupeApp(open_workspace(tmp_path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        tree = app.screen.query_one(ThreadTree)
        await wait_until(pilot, lambda: len(tree.threads) == 2, "the threads are listed")
        for _ in range(12):
            if app.focused is tree:
                break
            await pilot.press("tab")
        assert app.focused is tree, "tab reaches the threads list"
        await wait_until(pilot, lambda: tree.selected_thread is not None, "a thread is highlighted")
        await pilot.press("delete")
        await wait_until(pilot, lambda: shows(app, ConfirmScreen), "the delete confirmation")


async def test_the_footer_shows_the_delete_key_the_readme_gives(tmp_path: Path) -> None:
    """Issue 16 #14: the README said `d` deletes a thread, the footer showed `delete`."""
    import re

    from textual.widgets._footer import FooterKey

    from tui.threads.store import ThreadStore

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    chat_section = readme.split("## Chat threads", 1)[1].split("\n## ", 1)[0]
    documented = re.search(r"`([^`]+)` deletes", chat_section)
    assert documented is not None, "the README says which key deletes a thread"
    with ThreadStore() as store:
        store.create_thread("first")
    app = LoupeApp(open_workspace(tmp_path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        tree = app.screen.query_one(ThreadTree)
        await wait_until(pilot, lambda: len(tree.threads) == 1, "the thread is listed")
        tree.focus()

        def delete_keys() -> list[str]:
            return [key.key for key in app.screen.query(FooterKey) if key.action == "delete"]

        await wait_until(pilot, delete_keys, "the footer shows the delete key")
        assert delete_keys() == [documented.group(1)]

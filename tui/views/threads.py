"""Sidebar section listing chat threads as a fork tree: open, new, rename, archive, delete.

The list follows the store: it reloads after changes made here, when a reply starts or ends
(a dot marks threads being written), and when the store file changes underneath (another
loupe, `loupe thread send`, an agent), checked every couple of seconds off the UI loop.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING

from textual import getters, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from tui.app_base import AppBase
from tui.channel import Received, received
from tui.errors import LoupeError
from tui.events import ReplyFinished, ReplyStreaming
from tui.messages import OpenThread, ThreadsChanged
from tui.relative_time import relative_time
from tui.views.startup import after_startup
from widgets.plain_text import plain_text
from widgets.thread_tree import ThreadInfo, ThreadTree

if TYPE_CHECKING:
    # The store's package (and the thread service, and the dialogs) are imported when
    # first used, not before the first screen.
    from tui.dialogs.thread_search import SearchResult
    from tui.services.threads import ThreadServices
    from tui.threads.model import Thread

# Seconds between checks for changes made by other processes.
POLL_INTERVAL = 2.0
HINT = "n new thread · enter open · / search"


def thread_infos(threads: list[Thread], streaming: set[str]) -> list[ThreadInfo]:
    now = time.time()
    return [
        ThreadInfo(
            id=t.id,
            title=t.title or "untitled",
            forked_from=t.forked_from,
            archived=t.archived,
            message_count=t.length,
            streaming=t.id in streaming,
            age=relative_time(t.updated_at.timestamp(), now),
        )
        for t in threads
    ]


class ThreadsView(Vertical):
    app = getters.app(AppBase)

    DEFAULT_CSS = """
    ThreadsView > .threads-hint {
        color: $text-muted;
        padding: 0 1;
        height: auto;
    }
    """

    BINDINGS = [
        Binding("n", "new_thread", "New thread", id="threads.new"),
        Binding("f2", "rename", "Rename", id="threads.rename"),
        Binding("a", "archive", "Archive", id="threads.archive"),
        Binding("d,delete", "delete", "Delete", id="threads.delete"),
        Binding("h", "toggle_archived", "Show archived", id="threads.show_archived"),
        Binding("slash", "search", "Search", id="threads.search"),
    ]

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.show_archived = False
        # True once the list has been read (or has failed to open): tests and snapshots wait.
        self.loaded = False
        self._store_stamp: tuple[float, ...] | None = None

    @property
    def services(self) -> ThreadServices:
        return self.app.services.threads

    def compose(self) -> ComposeResult:
        yield Static("Threads", classes="section-title")
        yield Static(HINT, classes="threads-hint")
        yield ThreadTree(id="thread-tree")

    @property
    def tree(self) -> ThreadTree:
        return self.query_one(ThreadTree)

    def on_mount(self) -> None:
        # Opening the store (and, in the demo, starting the scripted model server) imports a
        # lot: it waits until the first screen is shown.
        after_startup(self, self._open)

    @work(group="threads-open")
    async def _open(self) -> None:
        ready = await self.services.ready()
        if not self.is_attached:
            return  # the app quit while the store was opening
        if not ready:
            # The problem quotes a path or SQLite's message: plain text, not markup.
            self.query_one(".threads-hint", Static).update(plain_text(f"Threads unavailable: {self.services.problem}"))
            self.loaded = True
            return
        self.app.channel.subscribe(self, ReplyStreaming, ReplyFinished)
        await self._load()
        self.set_interval(POLL_INTERVAL, self._poll, name="threads-poll")

    def reload(self, *, select: str | None = None) -> None:
        # A partial, not a coroutine: an exclusive worker replaced before it starts never
        # leaves an un-awaited coroutine behind.
        self.run_worker(partial(self._load, select=select), group="threads-load", exclusive=True)

    async def _load(self, *, select: str | None = None) -> None:
        store = self.services.store
        if store is None:
            return
        try:
            threads = await asyncio.to_thread(store.list_threads, include_archived=self.show_archived)
            self._store_stamp = await asyncio.to_thread(self._stamp)
        except LoupeError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        if not self.is_attached:
            return
        replies = self.services.replies
        streaming = replies.running_threads() if replies else set()
        self.tree.set_threads(thread_infos(threads, streaming), select=select)
        hint = HINT if threads else "No threads yet: press n to start one."
        self.query_one(".threads-hint", Static).update(hint)
        self.loaded = True

    def _stamp(self) -> tuple[float, ...]:
        store = self.services.store
        if store is None:
            return ()
        stamps = []
        for suffix in ("", "-wal"):
            try:
                stat = os.stat(f"{store.path}{suffix}")
                stamps.extend((stat.st_mtime, float(stat.st_size)))
            except OSError:
                stamps.extend((0.0, 0.0))
        return tuple(stamps)

    async def _poll(self) -> None:
        if self.services.store is None:
            return
        stamp = await asyncio.to_thread(self._stamp)
        if stamp != self._store_stamp:
            self.reload()

    # -- replies (a dot marks threads being written) -------------------------------------

    @on(received(ReplyStreaming))
    @on(received(ReplyFinished))
    def _reply_began_or_ended(self, message: Received[ReplyStreaming] | Received[ReplyFinished]) -> None:
        self.reload()

    # -- actions -------------------------------------------------------------------------

    @on(ThreadTree.Opened)
    def _opened(self, event: ThreadTree.Opened) -> None:
        event.stop()
        info = self.tree.threads.get(event.thread_id)
        self.post_message(OpenThread(event.thread_id, title=info.title if info else ""))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("rename", "archive", "delete"):
            return True if self.tree.selected_thread is not None else None
        return True

    def action_new_thread(self) -> None:
        from tui.dialogs.confirm import PromptScreen

        def done(title: str | None) -> None:
            if title is not None:
                self._create(title)

        prompt = PromptScreen(
            "New thread", placeholder="A title, or none: the first message names it", action="Create", allow_empty=True
        )
        self.app.push_screen(prompt, done)

    @work(group="threads-action")
    async def _create(self, title: str) -> None:
        store = self.services.store
        if store is None:
            return
        status = self.services.endpoint_status()
        endpoint = status.endpoint
        thread = await self._call(
            store.create_thread, title,
            endpoint=endpoint.name if endpoint else None, model=endpoint.model if endpoint else None,
        )
        if thread is not None:
            await self._load(select=thread.id)
            self.post_message(OpenThread(thread.id, title=thread.title))

    def action_rename(self) -> None:
        info = self.tree.selected_thread
        if info is None:
            return
        from tui.dialogs.confirm import PromptScreen

        def done(title: str | None) -> None:
            if title and title != info.title:
                self._change(info.id, lambda store: store.rename(info.id, title))

        self.app.push_screen(PromptScreen("Rename thread", info.title, action="Rename"), done)

    def action_archive(self) -> None:
        info = self.tree.selected_thread
        if info is not None:
            archived = not info.archived
            self._change(info.id, lambda store: store.archive(info.id, archived))
            self.notify(f"{'Archived' if archived else 'Restored'} “{info.title}”.", timeout=3, markup=False)

    def action_delete(self) -> None:
        info = self.tree.selected_thread
        if info is None:
            return
        forks = [t for t in self.tree.threads.values() if t.forked_from == info.id]
        body = (
            "The thread disappears from the list. Messages that no other thread reaches are "
            "deleted; forks keep their own history"
            + (f" ({len(forks)} fork(s) move up to this thread's parent)." if forks else ".")
        )
        from tui.dialogs.confirm import ConfirmScreen

        def done(yes: bool | None) -> None:
            if yes:
                self._delete(info.id)

        self.app.push_screen(ConfirmScreen(f"Delete “{info.title}”?", body), done)

    @work(group="threads-action")
    async def _delete(self, thread_id: str) -> None:
        store = self.services.store
        if store is None:
            return
        if await self._call(store.delete_thread, thread_id) is not None:
            self.post_message(ThreadsChanged(deleted=thread_id))

    def action_toggle_archived(self) -> None:
        self.show_archived = not self.show_archived
        self.reload()
        self.notify("Showing archived threads." if self.show_archived else "Archived threads hidden.", timeout=2)

    @work(group="threads-action")
    async def _change(self, select: str | None, change: Callable[..., object]) -> None:
        store = self.services.store
        if store is None:
            return
        if await self._call(change, store) is not None or select is None:
            await self._load(select=select)

    async def _call(self, function: Callable[..., object], *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        try:
            return await asyncio.to_thread(function, *args, **kwargs)
        except LoupeError as exc:
            self.notify(str(exc), severity="error", timeout=8, markup=False)
            return None

    def action_search(self) -> None:
        from tui.dialogs.thread_search import ThreadSearchScreen

        def done(result: SearchResult | None) -> None:
            if result is not None:
                self.post_message(
                    OpenThread(result.thread_id, title=result.thread_title, select=result.message_id)
                )

        if self.services.store is None:
            self.notify("Threads are not ready yet.", severity="warning", timeout=3)
            return
        self.app.push_screen(ThreadSearchScreen(self._search), done)

    def _search(self, query: str) -> list[SearchResult]:
        """Runs on the search dialog's worker thread."""
        from tui.dialogs.thread_search import SearchResult

        store = self.services.store
        if store is None:
            return []
        hits = store.search(query, limit=50, include_archived=self.show_archived)
        titles = {t.id: t.title for t in store.list_threads(include_archived=True)}
        return [
            SearchResult(
                thread_id=hit.thread_ids[0],
                thread_title=titles.get(hit.thread_ids[0], ""),
                message_id=hit.message.id,
                role=str(hit.message.role),
                snippet=hit.snippet,
                also_in=tuple(titles.get(thread_id, "") for thread_id in hit.thread_ids[1:]),
            )
            for hit in hits
        ]

    def palette_commands(self) -> Iterable[tuple[str, str, Callable[[], object]]]:
        commands: list[tuple[str, str, Callable[[], object]]] = [
            ("Threads: new thread", "Start a chat with the default model", self.action_new_thread),
            ("Threads: search messages", "Full-text search across every thread (/ in the list)", self.action_search),
            (
                "Threads: show archived" if not self.show_archived else "Threads: hide archived",
                "Toggle archived threads in the list",
                self.action_toggle_archived,
            ),
        ]
        if self.tree.selected_thread is not None:
            commands += [
                ("Threads: rename the selected thread", "", self.action_rename),
                ("Threads: archive or restore the selected thread", "", self.action_archive),
                ("Threads: delete the selected thread", "Asks first", self.action_delete),
            ]
        return commands

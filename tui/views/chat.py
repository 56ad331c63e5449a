"""A chat thread as a document tab: its messages, a composer, and the keys that branch it.

The pane reads the store in worker threads and starts replies through the app's
`ReplyManager` (they run off the UI loop and survive closing the tab). What they save
arrives as events on the channel and goes straight to the streaming message's view.

Keys here (the message keys f/e/r/m/v/y/‹› live on the log, `ChatLog`):
escape stops the reply; ctrl+o selects the message this fork was made at; ctrl+t opens the
parent thread there; ctrl+r reduces branches back into this thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from functools import partial
from typing import TYPE_CHECKING, TypeVar

from textual import getters, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from tui.app_base import AppBase
from tui.channel import Received, received
from tui.errors import LoupeError
from tui.events import ReplyFinished, ReplyProgress, ReplyStreaming
from tui.messages import OpenThread, TabRetitled
from tui.references import ReferenceError, find_references, resolve
from tui.terminal_text import visible
from tui.threads import chat_data
from tui.threads.chat_data import ThreadSnapshot
from tui.threads.model import Message, Role
from tui.services.threads import ThreadServices
from tui.views.chat_branches import MapReduce
from tui.views.chat_edits import MessageActions
from tui.views.chat_endpoints import EndpointPicker
from tui.views.chat_export import Exporter
from tui.views.chat_messages import banner_text, message_infos
from tui.views.chat_palette import thread_commands
from widgets.chat.chat_log import ChatLog
from widgets.chat.composer import Composer
from widgets.chat.incremental_markdown import IncrementalMarkdown, warm_cache

if TYPE_CHECKING:
    from tui.threads.changes import HeadState


# Seconds between checks for messages other processes added to the open thread.
EXTERNAL_POLL = 2.0

T = TypeVar("T")


class ChatPane(Vertical):
    app = getters.app(AppBase)

    DEFAULT_CSS = """
    ChatPane {
        height: 1fr;
    }
    ChatPane > #chat-banner {
        height: auto;
        padding: 0 1;
        color: $text-muted;
        background: $panel 50%;
    }
    ChatPane > #chat-banner.-problem {
        color: $warning;
        background: $warning 10%;
    }
    """

    BINDINGS = [
        Binding("escape", "cancel_reply", "Stop reply", id="chat.cancel"),
        Binding("ctrl+o", "fork_point", "Fork point", id="chat.fork_point"),
        Binding("ctrl+t", "parent", "Parent thread", id="chat.parent"),
        Binding("ctrl+r", "reduce", "Reduce", id="chat.reduce"),
    ]

    def __init__(self, thread_id: str, *, select: str | None = None) -> None:
        super().__init__()
        self.thread_id = thread_id
        self._select = select
        self.snapshot: ThreadSnapshot | None = None
        # The thread's head as read just before `snapshot`: the external check compares it.
        self._seen: HeadState | None = None
        self._reload_lock = asyncio.Lock()
        # Helpers that reach the pane as a `ChatHost` (tui/views/chat_host.py).
        self.map_reduce = MapReduce(self)
        self.actions = MessageActions(self)
        self.exporter = Exporter(self)
        self.endpoints = EndpointPicker(self, lambda job: self.run_worker(job, group="chat-action"))

    @property
    def services(self) -> ThreadServices:
        return self.app.services.threads

    def compose(self) -> ComposeResult:
        # Not markup: the banner quotes config syntax such as [models] and [endpoints.<name>].
        yield Static("", id="chat-banner", markup=False)
        yield ChatLog("No messages yet. Write below; ctrl+s sends.")
        yield Composer()

    @property
    def log(self) -> ChatLog:
        return self.query_one(ChatLog)

    @property
    def composer(self) -> Composer:
        return self.query_one(Composer)

    def on_mount(self) -> None:
        self.composer.focus_input()
        self._start()

    @work(group="chat-start")
    async def _start(self) -> None:
        if not await self.services.ready():
            self._banner(f"Threads are unavailable: {self.services.problem}", problem=True)
            return
        self.app.channel.subscribe(self, ReplyStreaming, ReplyProgress, ReplyFinished)
        references = await asyncio.to_thread(self.services.reference_candidates)
        self.composer.set_references(references)
        await self.reload(select=self._select)
        if self._select and self.log.selected_id != self._select:
            await self.actions.reveal(self._select)
        self.set_interval(EXTERNAL_POLL, self._check_external, name="chat-external")

    async def _check_external(self) -> None:
        """Show what another process (`loupe thread send`, an agent, another loupe) wrote."""
        store, snapshot = self.services.store, self.snapshot
        if store is None or snapshot is None or self.is_streaming:
            return
        try:
            state = await asyncio.to_thread(store.head_state, self.thread_id)
        except LoupeError:
            self._banner("This thread was deleted elsewhere; close the tab (ctrl+w).", problem=True)
            return
        # Also a reply another process streams into the head, or finishes, and a new fork.
        if state != self._seen:
            log = self.log
            await self.reload(follow=log.scroll_y >= log.max_scroll_y)

    # -- reading -------------------------------------------------------------------------

    async def reload(self, *, select: str | None = None, follow: bool = False, replying: bool = False) -> None:
        """Read the thread again and show it. Reloads run one at a time, each reading the store
        when its turn comes, so the last one shows the latest state."""
        async with self._reload_lock:
            await self._reload(select=select, follow=follow, replying=replying)

    async def _reload(self, *, select: str | None, follow: bool, replying: bool) -> None:
        store = self.services.store
        if store is None:
            return
        log = self.log
        width, palette = log.body_width(), IncrementalMarkdown.palette_for(self.app)
        try:
            # Read before the snapshot: a write in between shows as a change next check.
            seen = await asyncio.to_thread(store.head_state, self.thread_id)
            snapshot = await asyncio.to_thread(chat_data.read_snapshot, store, self.thread_id)
        except LoupeError as exc:
            self._banner(str(exc), problem=True)
            return
        self._seen = seen
        self.snapshot = snapshot
        replies = self.services.replies
        live = replies.live_text if replies is not None else (lambda _id: None)
        infos = message_infos(snapshot, live, replying=replying or self.is_streaming)
        # Render finished messages off the loop first; mounting then lays out from the cache.
        shown = {view.info.id for view in log.views()}
        fresh = [i.content for i in infos[-log.WINDOW :] if i.id not in shown and i.status != "streaming"]
        if fresh and width > 0:
            await asyncio.to_thread(warm_cache, fresh, width, palette)
        await log.set_messages(infos, select=select)
        # Text saved while the views were being mounted.
        for info in log.messages:
            text = live(info.id) if info.status == "streaming" else None
            if text:
                self._show_saved(info.id, text)
        if follow:
            log.follow()
        self._update_banner()
        self.post_message(TabRetitled(self, snapshot.thread.title or "untitled"))
        self.refresh_bindings()

    def _banner(self, text: str, *, problem: bool = False) -> None:
        banner = self.query_one("#chat-banner", Static)
        banner.update(visible(text))  # titles, model names and errors in it are data
        banner.set_class(problem, "-problem")

    def _update_banner(self) -> None:
        snapshot = self.snapshot
        if snapshot is None:
            return
        status = self.services.endpoint_status(snapshot.thread.endpoint, snapshot.thread.model)
        self._banner(banner_text(snapshot, status), problem=status.endpoint is None)

    def select_message(self, message_id: str) -> None:
        # A pane opened just now has no log yet: its first load selects the message.
        logs = self.query(ChatLog)
        if logs and logs.first().select(message_id):
            return
        if self.snapshot is None:
            self._select = message_id
        else:
            self.run_worker(partial(self.actions.reveal, message_id), group="chat-action")

    # -- replies (events from the ReplyManager, on the UI loop) --------------------------

    @on(received(ReplyStreaming))
    def _reply_streaming(self, message: Received[ReplyStreaming]) -> None:
        if message.event.thread_id == self.thread_id:
            self.run_worker(partial(self.reload, follow=True), group="chat-reload")

    @on(received(ReplyProgress))
    def _reply_progress(self, message: Received[ReplyProgress]) -> None:
        event = message.event
        if event.thread_id == self.thread_id:
            self._show_saved(event.message_id, event.content)

    @on(received(ReplyFinished))
    def _reply_finished(self, message: Received[ReplyFinished]) -> None:
        if message.event.thread_id == self.thread_id:
            self.run_worker(self.reload, group="chat-reload")

    def _show_saved(self, message_id: str, content: str) -> None:
        """Show a streaming message's saved content: whatever part of it is not shown yet (a
        reload may have shown more, or less, than the events that arrived meanwhile)."""
        view = self.log.view_for(message_id)
        if view is None or not view.composed:
            return
        shown = view.text
        if len(content) > len(shown) and content.startswith(shown):
            view.append(content[len(shown) :])

    # -- sending -------------------------------------------------------------------------

    @property
    def is_streaming(self) -> bool:
        replies = self.services.replies
        return replies is not None and replies.running(self.thread_id) is not None

    @on(Composer.Submitted)
    def _submitted(self, event: Composer.Submitted) -> None:
        event.stop()
        self.send(event.text)

    @work(group="chat-send", exclusive=True)
    async def send(self, text: str) -> None:
        store, replies = self.services.store, self.services.replies
        if store is None or replies is None:
            self.notify("Threads are not ready yet.", severity="warning")
            return
        if self.is_streaming:
            self.notify("A reply is still being written: wait, or press escape to stop it.", severity="warning")
            return
        if not self.can_reach_model():
            return
        problems = await asyncio.to_thread(self._reference_problems, text)
        if problems:
            self.notify(
                "Sent without: " + "; ".join(problems), title="@reference not found", severity="warning", timeout=8,
                markup=False,
            )
        try:
            await asyncio.to_thread(store.append, self.thread_id, Role.USER, text)
        except LoupeError as exc:
            self.notify(f"Not sent: {exc}", severity="error", markup=False)
            return
        self.composer.clear()
        # `replying`: the question is about to be answered; never show it as unanswered.
        await self.reload(follow=True, replying=True)
        self.start_reply()

    def _reference_problems(self, text: str) -> list[str]:
        problems = []
        for reference in find_references(text):
            try:
                resolve(self.services.tasks_dir, reference)
            except ReferenceError as exc:
                problems.append(str(exc))
        return problems

    def can_reach_model(self) -> bool:
        thread = self.snapshot.thread if self.snapshot else None
        status = self.services.endpoint_status(thread.endpoint if thread else None, thread.model if thread else None)
        if status.endpoint is None:
            self._update_banner()
            self.notify(status.problem, title="No model endpoint", severity="error", timeout=15, markup=False)
            return False
        return True

    def start_reply(self, **options: object) -> bool:
        replies = self.services.replies
        thread = self.snapshot.thread if self.snapshot else None
        if replies is None or thread is None:
            return False
        status = self.services.endpoint_status(thread.endpoint, thread.model)
        if status.endpoint is None:
            self.can_reach_model()
            return False
        try:
            replies.start(
                self.thread_id, endpoint=status.endpoint.name, model=status.endpoint.model, **options  # type: ignore[arg-type]
            )
        except (LoupeError, RuntimeError) as exc:
            self.notify(f"No reply started: {exc}", severity="error", timeout=10, markup=False)
            return False
        self.log.follow()
        return True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "cancel_reply":
            return self.is_streaming
        if action in ("fork_point", "parent"):
            return bool(self.snapshot and self.snapshot.thread.forked_from)
        return True

    def action_cancel_reply(self) -> None:
        replies = self.services.replies
        if replies is not None and replies.cancel(self.thread_id):
            self.notify("Stopping the reply; what arrived is kept.", timeout=3)

    # -- navigation ----------------------------------------------------------------------

    def action_fork_point(self) -> None:
        snapshot = self.snapshot
        if snapshot is None or not snapshot.thread.fork_point_id:
            return
        if not self.log.select(snapshot.thread.fork_point_id):
            self.notify("The fork point is no longer in this thread's history.", severity="warning")
        self.log.focus()

    def action_parent(self) -> None:
        snapshot = self.snapshot
        if snapshot is None or not snapshot.thread.forked_from:
            return
        self.post_message(
            OpenThread(snapshot.thread.forked_from, title=snapshot.parent_title, select=snapshot.thread.fork_point_id)
        )

    # -- message actions -----------------------------------------------------------------

    def _message(self, message_id: str) -> Message | None:
        if self.snapshot is None:
            return None
        return next((m for m in self.snapshot.history if m.id == message_id), None)

    @on(ChatLog.Copy)
    def _copy(self, event: ChatLog.Copy) -> None:
        event.stop()
        self.app.copy_text(event.text, what=event.what)

    @on(ChatLog.Action)
    def _message_action(self, event: ChatLog.Action) -> None:
        event.stop()
        message = self._message(event.message_id)
        if message is None:
            return
        actions = {
            "sibling": partial(self.actions.switch_sibling, message, event.delta),
            "fork": partial(self.actions.fork, message),
            "edit": partial(self.actions.edit, message),
            "regenerate": partial(self.actions.regenerate, message),
            "map": partial(self.map_reduce.map, message),
        }
        if event.action in actions:
            self.run_worker(actions[event.action], group="chat-action")

    async def store_call(self, function: Callable[..., T], *args: object, **kwargs: object) -> T | None:
        """Run a store operation off the loop; show its error instead of raising."""
        try:
            return await asyncio.to_thread(function, *args, **kwargs)
        except LoupeError as exc:
            self.notify(str(exc), severity="error", timeout=8, markup=False)
            return None

    # -- helpers' actions (keys and palette) --------------------------------------------

    def action_reduce(self) -> None:
        self.run_worker(self.map_reduce.reduce, group="chat-action")

    def action_export(self) -> None:
        self.run_worker(self.exporter.export, group="chat-export")

    def action_copy_markdown(self) -> None:
        self.run_worker(self.exporter.copy, group="chat-export")

    # -- palette -------------------------------------------------------------------------

    def focus_document(self) -> bool:
        self.composer.focus_input()
        return True

    def unsent_work(self) -> str:
        """What closing this tab would lose: the message being written, if there is one."""
        text = self.composer.text
        if not text.strip():
            return ""
        words = len(text.split())
        return f"The message you are writing ({words} word{'' if words == 1 else 's'}) is not sent."

    def document_commands(self) -> Iterable[tuple[str, str, Callable[[], object]]]:
        """Palette commands while this thread is the active tab (see DocumentsView)."""
        return thread_commands(self)

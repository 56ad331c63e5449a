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
from textual.content import Content
from textual.css.query import NoMatches
from textual.widgets import Static, TabbedContent, TabPane

from tui.app_base import AppBase
from tui.channel import Received, received
from tui.dialogs.chat import EditMessageScreen, EditResult
from tui.errors import LoupeError
from tui.events import ReplyFinished, ReplyProgress, ReplyStreaming
from tui.messages import OpenThread, ThreadsChanged
from tui.references import ReferenceError, find_references, resolve
from tui.terminal_text import visible
from tui.threads import chat_data
from tui.threads.chat_data import ThreadSnapshot
from tui.threads.model import Message, Role
from tui.services.threads import ThreadServices
from tui.views.chat_branches import MapReduce
from tui.views.chat_endpoints import EndpointPicker
from tui.views.chat_export import Exporter
from tui.views.chat_messages import message_infos
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
            await self.reveal(self._select)
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
        self._update_tab_title(snapshot.thread.title or "untitled")
        self.refresh_bindings()

    def _banner(self, text: str, *, problem: bool = False) -> None:
        banner = self.query_one("#chat-banner", Static)
        banner.update(visible(text))  # titles, model names and errors in it are data
        banner.set_class(problem, "-problem")

    def _update_banner(self) -> None:
        snapshot = self.snapshot
        if snapshot is None:
            return
        thread = snapshot.thread
        status = self.services.endpoint_status(thread.endpoint, thread.model)
        lines: list[str] = []
        problem = status.endpoint is None
        if status.endpoint is None:
            lines.append(f"No model to talk to. {status.problem}")
        elif status.is_demo:
            from tui.model.demo import CONNECT_HINT

            lines.append(f"{status.endpoint.model}: {status.endpoint.label}. {CONNECT_HINT}")
        else:
            label = f": {status.endpoint.label}" if status.endpoint.label else ""
            lines.append(f"{status.endpoint.model} on {status.endpoint.name}{label}")
        if thread.forked_from:
            parent = snapshot.parent_title or "a deleted thread"
            lines.append(f"⑂ forked from “{parent}” · ctrl+o fork point · ctrl+t parent thread")
        self._banner("\n".join(lines), problem=problem)

    def _update_tab_title(self, title: str) -> None:
        pane = next((a for a in self.ancestors if isinstance(a, TabPane)), None)
        tabs = next((a for a in self.ancestors if isinstance(a, TabbedContent)), None)
        if pane is not None and tabs is not None and pane.id:
            try:
                tab = tabs.get_tab(pane.id)
            except NoMatches:
                # The tab is closing (its label goes first, the pane after): a reply's title
                # update that arrives in between has nothing left to name.
                return
            # A str label is markup (`[/x]` in a title would crash); a title is data.
            label = Content(visible(title))
            if tab.label != label:
                tab.label = label

    def select_message(self, message_id: str) -> None:
        # A pane opened just now has no log yet: its first load selects the message.
        logs = self.query(ChatLog)
        if logs and logs.first().select(message_id):
            return
        if self.snapshot is None:
            self._select = message_id
        else:
            self.run_worker(partial(self.reveal, message_id), group="chat-action")

    async def reveal(self, message_id: str) -> None:
        """Select a message that is not shown: an older one, or one on another branch of this
        thread (a search hit on an edited-away question), whose branch is then switched to."""
        store, snapshot = self.services.store, self.snapshot
        if store is None or snapshot is None:
            return
        log = self.log
        if any(m.id == message_id for m in snapshot.history):
            while log.view_for(message_id) is None and log.shown_from > 0:
                await log.show_earlier()
            log.select(message_id)
            return
        try:
            message = await asyncio.to_thread(store.message, message_id)
        except LoupeError:
            return
        if message.thread_id != self.thread_id:
            return  # not this thread's own message: leave its branches alone
        if await self.store_call(store.switch_branch, self.thread_id, message_id) is not None:
            await self.reload(select=message_id)

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
        if event.action == "sibling":
            self._switch_sibling(message, event.delta)
        elif event.action == "fork":
            self._fork(message)
        elif event.action == "edit":
            self._edit(message)
        elif event.action == "regenerate":
            self._regenerate(message)
        elif event.action == "map":
            self.run_worker(partial(self.map_reduce.map, message), group="chat-action")

    @work(group="chat-action")
    async def _switch_sibling(self, message: Message, delta: int) -> None:
        store = self.services.store
        position = self.snapshot.positions.get(message.id) if self.snapshot else None
        target = (position.previous_id if delta < 0 else position.next_id) if position else None
        if store is None or target is None:
            return
        await self.store_call(store.switch_branch, self.thread_id, target)
        await self.reload(select=target)

    @work(group="chat-action")
    async def _fork(self, message: Message) -> None:
        store = self.services.store
        if store is None:
            return
        title = self.snapshot.thread.title if self.snapshot else ""
        fork = await self.store_call(
            store.fork, self.thread_id, message.id,
            title=f"{title or 'thread'} ⑂ {chat_data.excerpt(message.content, 24)}",
        )
        if fork is not None:
            self.post_message(ThreadsChanged(select=fork.id))
            self.post_message(OpenThread(fork.id, title=fork.title))

    def _edit(self, message: Message) -> None:
        if self.is_streaming:
            self.notify("Wait for the reply to finish (or press escape) before editing.", severity="warning")
            return

        def done(result: EditResult | None) -> None:
            if result is not None:
                self._save_edit(message, result)

        self.app.push_screen(EditMessageScreen(message.content, role=str(message.role)), done)

    @work(group="chat-action")
    async def _save_edit(self, message: Message, result: EditResult) -> None:
        store = self.services.store
        if store is None:
            return
        edited = await self.store_call(store.edit, self.thread_id, message.id, result.text)
        if edited is None:
            return
        await self.reload(select=edited.id, follow=result.rerun, replying=result.rerun)
        if result.rerun:
            self.start_reply()

    @work(group="chat-action")
    async def _regenerate(self, message: Message) -> None:
        if self.is_streaming:
            return
        if message.role is Role.ASSISTANT:
            self.start_reply(parent_id=message.parent_id)
        elif message.role is Role.USER and self.snapshot and self.snapshot.history[-1].id == message.id:
            self.start_reply()  # a question nobody answered yet (a fork made at it)

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
        log = self.log
        commands: list[tuple[str, str, Callable[[], object]]] = [
            ("Thread: reduce branches", "Bring forks of this thread back as one message", self.action_reduce),
            ("Thread: export as markdown", "Write the thread to a .md file (asks where)", self.action_export),
            ("Thread: copy as markdown", "The whole thread, to the clipboard", self.action_copy_markdown),
        ]
        if self.is_streaming:
            commands.append(("Thread: stop the reply", "Keep what arrived, marked cancelled", self.action_cancel_reply))
        if self.snapshot and self.snapshot.thread.forked_from:
            commands.append(("Thread: go to the fork point", "Select the message this fork starts from", self.action_fork_point))
            commands.append(("Thread: open the parent thread", "The thread this one was forked from", self.action_parent))
        if log.selected_id:
            for title, help_text, kind in (
                ("Thread: fork at the selected message", "A new thread from here; nothing is copied", "fork"),
                ("Thread: edit the selected message", "Make an edited sibling (save, or save and rerun)", "edit"),
                ("Thread: regenerate the selected reply", "Ask again; the new reply is a sibling", "regenerate"),
                ("Thread: map the selected message", "Fork one branch per follow-up question", "map"),
            ):
                commands.append((title, help_text, lambda kind=kind: log.action_request(kind)))
            commands.append(("Thread: copy the selected message", "To the clipboard", log.action_copy))
            commands.append(
                ("Thread: select lines of the message", "v: j/k extend, y copies, escape leaves", log.action_select_lines)
            )
        commands.extend(self.endpoints.commands())
        return commands

"""The scrolling list of messages of one thread, with a message cursor and per-message keys.

The log follows the bottom while a reply streams only when the user is already there
(Textual's anchor: scrolling up releases it, scrolling back to the end restores it). Long
threads mount only their last `WINDOW` messages; older ones appear on request, because every
mounted widget costs layout time.

The log does not change threads itself: it posts `ChatLog.Action` and the view decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from textual import events, on
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.message import Message
from textual.widgets import Static

from widgets.chat.message import MessageInfo, MessageView

ActionName = Literal["fork", "edit", "regenerate", "map", "sibling"]


class ChatLog(VerticalScroll, can_focus=True):
    DEFAULT_CSS = """
    ChatLog {
        height: 1fr;
        scrollbar-gutter: stable;
    }
    ChatLog > .chat-empty, ChatLog > .chat-earlier {
        color: $text-muted;
        padding: 1 2;
        height: auto;
    }
    ChatLog > .chat-earlier {
        padding: 0 2;
        text-style: italic;
    }
    """

    BINDINGS = [
        Binding("up,k", "cursor(-1)", "Previous message", show=False, id="chat.cursor_up"),
        Binding("down,j", "cursor(1)", "Next message", show=False, id="chat.cursor_down"),
        Binding("home", "cursor_first", "First message", show=False, id="chat.first"),
        Binding("end", "cursor_last", "Last message", show=False, id="chat.last"),
        Binding("left,[", "sibling(-1)", "‹ Sibling", id="chat.sibling_prev"),
        Binding("right,]", "sibling(1)", "Sibling ›", id="chat.sibling_next"),
        Binding("f", "request('fork')", "Fork here", id="chat.fork"),
        Binding("e", "request('edit')", "Edit", id="chat.edit"),
        Binding("r", "request('regenerate')", "Regenerate", id="chat.regenerate"),
        Binding("m", "request('map')", "Map", id="chat.map"),
        Binding("y", "copy", "Copy", id="chat.copy"),
    ]

    # Messages mounted at once; older ones are one key press away.
    WINDOW = 60

    class Action(Message):
        """The user asked for something on a message; the view carries it out."""

        def __init__(self, log: ChatLog, action: ActionName, message_id: str, delta: int = 0) -> None:
            super().__init__()
            self.log = log
            self.action = action
            self.message_id = message_id
            self.delta = delta

        @property
        def control(self) -> ChatLog:
            return self.log

    def __init__(
        self,
        empty_text: str = "No messages yet.",
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._infos: list[MessageInfo] = []
        self._shown_from = 0
        self._selected: str | None = None
        self._empty_text = empty_text
        self._index: dict[str, MessageView] = {}

    def compose(self):  # type: ignore[no-untyped-def]
        yield Static(self._empty_text, classes="chat-empty")
        yield Static("", classes="chat-earlier")

    def on_mount(self) -> None:
        self.query_one(".chat-earlier").display = False
        self.anchor()

    # -- data ----------------------------------------------------------------------------

    @property
    def messages(self) -> list[MessageInfo]:
        return list(self._infos)

    @property
    def shown_from(self) -> int:
        """How many older messages are not mounted (see `WINDOW`)."""
        return self._shown_from

    @property
    def selected_id(self) -> str | None:
        return self._selected

    @property
    def selected_info(self) -> MessageInfo | None:
        view = self.view_for(self._selected) if self._selected else None
        return view.info if view else None

    def views(self) -> list[MessageView]:
        return list(self.query_children(MessageView))

    def view_for(self, message_id: str) -> MessageView | None:
        # Called for every streamed chunk, so a dict lookup rather than a scan of children.
        view = self._index.get(message_id)
        if view is not None and view.parent is self and view.info.id == message_id:
            return view
        for view in self.query_children(MessageView):
            self._index[view.info.id] = view
            if view.info.id == message_id:
                return view
        return None

    async def set_messages(self, infos: Sequence[MessageInfo], *, select: str | None = None) -> None:
        """Show these messages, reusing the widgets of an unchanged prefix."""
        infos = list(infos)
        # A cursor on the last message follows new messages; one further up stays put.
        at_end = not self._infos or self._selected == self._infos[-1].id
        self._infos = infos
        start = self._window_start(infos)
        wanted = infos[start:]
        views = self.views()
        keep = 0
        while keep < min(len(views), len(wanted)) and views[keep].info.id == wanted[keep].id:
            keep += 1
        with self.app.batch_update():
            for view, info in zip(views[:keep], wanted[:keep]):
                if view.info != info:
                    view.update_info(info)
            if views[keep:]:
                await self.remove_children(views[keep:])
            if wanted[keep:]:
                await self.mount_all([MessageView(info) for info in wanted[keep:]])
            self._shown_from = start
            self._sync_placeholders()
        ids = {info.id for info in wanted}
        target = select if select in ids else None
        if target is None and self._selected in ids and not at_end:
            target = self._selected
        if target is None and wanted:
            target = wanted[-1].id
        self._select(target, scroll=select is not None)

    def _window_start(self, infos: list[MessageInfo]) -> int:
        # Keep the current first message if it is still there, so appending never remounts.
        views = self.views()
        if views:
            first = views[0].info.id
            for index, info in enumerate(infos):
                if info.id == first:
                    if len(infos) - index <= 2 * self.WINDOW:
                        return index
                    break
        return max(0, len(infos) - self.WINDOW)

    def _sync_placeholders(self) -> None:
        self.query_one(".chat-empty").display = not self._infos
        earlier = self.query_one(".chat-earlier", Static)
        earlier.display = self._shown_from > 0
        if self._shown_from:
            earlier.update(
                f"▲ {self._shown_from} earlier messages (press home or k at the top to show them)"
            )

    async def show_earlier(self) -> None:
        if self._shown_from == 0:
            return
        start = max(0, self._shown_from - self.WINDOW)
        before = self.views()[0] if self.views() else None
        new = [MessageView(info) for info in self._infos[start : self._shown_from]]
        with self.app.batch_update():
            await self.mount_all(new, before=before)
            self._shown_from = start
            self._sync_placeholders()

    def update_message(self, info: MessageInfo) -> None:
        """New metadata or status for a shown message (e.g. a reply that finished)."""
        self._infos = [info if old.id == info.id else old for old in self._infos]
        view = self.view_for(info.id)
        if view is not None:
            view.update_info(info)
            self.refresh_bindings()

    def append_text(self, message_id: str, chunk: str) -> None:
        view = self.view_for(message_id)
        if view is not None:
            view.append(chunk)

    def body_width(self) -> int:
        """The width message text is rendered at (for warming the render cache)."""
        for view in self.query_children(MessageView):
            if view.body.size.width:
                return view.body.size.width
        # No message laid out yet: the log's width less MessageView's border and padding.
        return max(0, self.scrollable_content_region.width - 3)

    def follow(self) -> None:
        """Scroll to the end and stay there while replies stream (until the user scrolls)."""
        self.anchor()
        self.scroll_end(animate=False)

    # -- cursor --------------------------------------------------------------------------

    def select(self, message_id: str) -> bool:
        if self.view_for(message_id) is None:
            return False
        self._select(message_id, scroll=True)
        return True

    def _select(self, message_id: str | None, *, scroll: bool) -> None:
        previous = self.view_for(self._selected) if self._selected else None
        if previous is not None:
            previous.set_selected(False)
        self._selected = message_id
        view = self.view_for(message_id) if message_id else None
        if view is not None:
            view.set_selected(True)
            if scroll:
                self.scroll_to_widget(view, animate=False, top=view.outer_size.height > self.size.height)
        self.refresh_bindings()

    async def action_cursor(self, delta: int) -> None:
        views = self.views()
        if not views:
            return
        ids = [view.info.id for view in views]
        index = ids.index(self._selected) if self._selected in ids else len(ids) - 1
        target = index + delta
        if target < 0 and self._shown_from > 0:
            await self.show_earlier()
            views = self.views()
            ids = [view.info.id for view in views]
            target = ids.index(self._selected) - 1 if self._selected in ids else 0
        self._select(ids[max(0, min(len(ids) - 1, target))], scroll=True)

    async def action_cursor_first(self) -> None:
        while self._shown_from > 0:
            await self.show_earlier()
        views = self.views()
        if views:
            self._select(views[0].info.id, scroll=True)
            self.scroll_home(animate=False)

    def action_cursor_last(self) -> None:
        views = self.views()
        if views:
            self._select(views[-1].info.id, scroll=False)
            self.follow()

    # -- actions -------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # False hides a key that does not apply here; None shows it greyed (fork refused).
        info = self.selected_info
        if action in ("request", "sibling", "copy") and info is None:
            return False
        if info is None:
            return True
        if action == "sibling":
            return info.has_siblings
        if action == "request":
            kind = parameters[0] if parameters else ""
            if kind in ("fork", "map"):
                return None if info.fork_blocked else True
            if kind == "edit":
                return info.role in ("user", "assistant") and info.status != "streaming"
            if kind == "regenerate":
                return (info.role == "assistant" and info.status != "streaming") or info.unanswered
        return True

    def action_request(self, kind: ActionName) -> None:
        info = self.selected_info
        if info is None:
            return
        if kind in ("fork", "map") and info.fork_blocked:
            self.notify(f"Cannot fork here: {info.fork_blocked}", severity="warning", markup=False)
            return
        self.post_message(self.Action(self, kind, info.id))

    def action_sibling(self, delta: int) -> None:
        info = self.selected_info
        if info is not None and info.has_siblings:
            self.post_message(self.Action(self, "sibling", info.id, delta))

    def action_copy(self) -> None:
        view = self.view_for(self._selected) if self._selected else None
        if view is None:
            return
        text = view.text
        self.app.copy_to_clipboard(text)
        self.notify(f"Copied the message ({len(text)} characters).", timeout=3)

    def on_click(self, event: events.Click) -> None:
        node = event.widget
        while node is not None and node is not self:
            if isinstance(node, MessageView):
                self._select(node.info.id, scroll=False)
                return
            node = node.parent  # type: ignore[assignment]

    @on(MessageView.SiblingClicked)
    def _sibling_clicked(self, event: MessageView.SiblingClicked) -> None:
        event.stop()
        self._select(event.message_id, scroll=False)
        self.post_message(self.Action(self, "sibling", event.message_id, event.delta))

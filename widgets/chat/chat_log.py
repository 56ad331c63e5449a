"""The scrolling list of messages of one thread, with a message cursor and per-message keys.

The log follows the bottom while a reply streams only when the user is already there
(Textual's anchor: scrolling up releases it, scrolling back to the end restores it). Long
threads mount only their last `WINDOW` messages; older ones appear on request, because every
mounted widget costs layout time.

The log does not change threads itself: it posts `ChatLog.Action` and the view decides.
Nor does it copy: `y` posts `ChatLog.Copy` with the text (the selection, mouse-dragged or
made with `v` and the line keys, or else the whole message) and the view copies it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from textual import events, on
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.geometry import Region
from textual.message import Message
from textual.widgets import Static

from widgets.chat.message import MessageInfo, MessageView
from widgets.chat.selection import LineSelection

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
        Binding("v", "select_lines", "Select lines", id="chat.select_lines"),
        Binding("y", "copy", "Copy", id="chat.copy"),
        Binding("escape", "leave_selection", "Leave selection", id="chat.leave_selection"),
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

    class Copy(Message):
        """The user asked to copy `text`; `what` names it for the confirmation."""

        def __init__(self, log: ChatLog, text: str, what: str) -> None:
            super().__init__()
            self.log = log
            self.text = text
            self.what = what

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
        # The keyboard's line selection (`v`), while there is one.
        self._lines: LineSelection | None = None

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
        if self._line_view() is not None:
            self._extend_lines(delta)
            return
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
        if action == "leave_selection":
            return self._lines is not None or bool(self._selected_text())
        info = self.selected_info
        if action in ("request", "sibling", "copy", "select_lines") and info is None:
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
        """Copy the selection if there is one in the log (and leave it), else the message."""
        selected = self._selected_text()
        if selected:
            self.post_message(self.Copy(self, selected, ""))
            self.action_leave_selection()
            return
        view = self.view_for(self._selected) if self._selected else None
        if view is not None:
            text = view.text
            self.post_message(self.Copy(self, text, f"the message ({len(text)} characters)"))

    # -- selection -----------------------------------------------------------------------

    def action_select_lines(self) -> None:
        """Select the first line of the message in view; the line keys then extend it."""
        view = self.view_for(self._selected) if self._selected else None
        if view is None or not view.composed:
            return
        lines = view.body.rendered_lines()
        if not lines:
            return
        top = self.scroll_y - self._body_top(view)
        start = max(0, min(len(lines) - 1, top))
        self._lines = LineSelection(view.info.id, start, start)
        self._show_lines(view)

    def action_leave_selection(self) -> None:
        self._lines = None
        self.screen.clear_selection()
        self.refresh_bindings()

    def _line_view(self) -> MessageView | None:
        lines = self._lines
        view = self.view_for(lines.message_id) if lines is not None else None
        if view is None or not view.composed:
            self._lines = None
        return view

    def _extend_lines(self, delta: int) -> None:
        view = self._line_view()
        if view is None or self._lines is None:
            return
        self._lines.move(delta, len(view.body.rendered_lines()))
        self._show_lines(view)

    def _show_lines(self, view: MessageView) -> None:
        assert self._lines is not None
        lines = view.body.rendered_lines()
        self.screen.selections = {view.body: self._lines.selection(lines)}
        row = self._body_top(view) + self._lines.cursor
        self.scroll_to_region(Region(0, row, 1, 1), animate=False, immediate=True)
        self.refresh_bindings()

    def _body_top(self, view: MessageView) -> int:
        """Where the message's text starts, in the log's scrolled content."""
        return view.virtual_region.y + view.body.virtual_region.y

    def _selected_text(self) -> str:
        """The screen's selection, if it is in this log (a mouse drag or the line keys)."""
        if not any(widget is self or self in widget.ancestors for widget in self.screen.selections):
            return ""
        return self.screen.get_selected_text() or ""

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

"""The one main screen: sidebar on the left, documents on top, sessions below."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.css.query import NoMatches
from textual.widget import MountError, Widget
from textual.widgets import Header

from widgets.footer import KeyFooter
from tui.app_base import AppBase
from tui.messages import OpenPath, OpenTask, OpenThread, RunPhase, ShowSession, StartSession, ThreadsChanged
from tui.views.documents import DocumentsView, pane_id

# The other views are imported where they are made or looked for: `loupe FILE.md` shows the
# file before it mounts them (and then imports them).
if TYPE_CHECKING:
    from tui.views.sessions import SessionsView


class MainScreen(Screen[None]):
    app = getters.app(AppBase)

    BINDING_GROUP_TITLE = "Everywhere"

    BINDINGS = [
        Binding("ctrl+b", "toggle_sidebar", "Sidebar", id="main.sidebar"),
        Binding("ctrl+g", "guard_log", "Guard log", id="main.guard_log"),
        # Here, not on the documents: it closes the tab shown wherever the focus is.
        Binding("ctrl+w", "close_tab", "Close tab", id="documents.close"),
        # Priority: scrolling widgets bind ctrl+pgup/pgdn to scroll sideways.
        Binding("ctrl+pagedown", "cycle_tab(1)", "Next tab", show=False, priority=True, id="documents.next"),
        Binding("ctrl+pageup", "cycle_tab(-1)", "Previous tab", show=False, priority=True, id="documents.previous"),
        *(
            Binding(f"alt+{n}", f"show_tab({n})", f"Tab {n}", show=False, priority=True, id=f"documents.tab{n}")
            for n in range(1, 10)
        ),
    ]

    def compose(self) -> ComposeResult:
        # `loupe FILE.md` shows the file first: the other views (a third of the CPU time
        # before the document is on screen) are mounted once it is, in the places kept
        # for them, so nothing moves.
        deferred = self.app.services.workspace.open_file is not None
        yield Header()
        with Horizontal(id="body"):
            with Vertical(id="sidebar"):
                if not deferred:
                    yield from self._sidebar_views()
            with Vertical(id="workspace"):
                yield DocumentsView(id="documents")
                if not deferred:
                    yield self._sessions_view()
        if not deferred:
            yield self._guard_view()
        # Its keys change with each focus move while the first screen is made.
        yield KeyFooter(held=True)

    @staticmethod
    def _sidebar_views() -> list[Widget]:
        from tui.views.tasks import TasksView
        from tui.views.threads import ThreadsView

        return [
            TasksView(id="tasks-view", classes="sidebar-section"),
            ThreadsView(id="threads-view", classes="sidebar-section"),
        ]

    @staticmethod
    def _sessions_view() -> Widget:
        from tui.views.sessions import SessionsView

        return SessionsView(id="sessions")

    @staticmethod
    def _guard_view() -> Widget:
        from tui.views.guard import GuardView

        return GuardView(id="guard-view")

    def on_mount(self) -> None:
        self.app.after_startup(self.query_one(KeyFooter).release)
        open_file = self.app.services.workspace.open_file
        if open_file is not None:
            # The task list also highlights the file when it is an artifact.
            self.post_message(OpenPath(open_file))
            self.app.after_startup(self._mount_deferred_views)

    async def _mount_deferred_views(self) -> None:
        if not self.app.is_running or self.app.return_code is not None:
            return  # quitting already
        try:
            await self.query_one("#sidebar").mount_all(self._sidebar_views())
            await self.query_one("#workspace").mount(self._sessions_view())
            await self.mount(self._guard_view(), before=self.query_one(KeyFooter))
        except (MountError, NoMatches):
            if self.app.is_running and self.app.return_code is None:
                raise
            # A quit the moment the document showed: the screen went while these were added.

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("close_tab", "cycle_tab", "show_tab"):
            return self.query_one(DocumentsView).has_tabs
        return True

    def action_cycle_tab(self, step: int) -> None:
        self.query_one(DocumentsView).cycle_tab(step)

    def action_show_tab(self, number: int) -> None:
        self.query_one(DocumentsView).show_tab(number - 1)

    async def action_close_tab(self) -> None:
        documents = self.query_one(DocumentsView)
        focused = self.focused
        # The focus was in the tab closed: it goes to the tab shown next, or the task list.
        was_inside = focused is None or documents in focused.ancestors_with_self
        unsent = documents.active_unsent()
        if unsent is None:
            await self._close_tab(was_inside)
            return
        title, lost = unsent

        from tui.dialogs.confirm import ConfirmScreen

        async def answered(close: bool | None) -> None:
            # Kept open: the dialog gives the focus back to where it was (the composer).
            if close:
                await self._close_tab(was_inside)

        self.app.push_screen(
            ConfirmScreen(f"Close “{title}”?", f"{lost} Closing the tab discards it.", confirm="Close"),
            answered,
        )

    async def _close_tab(self, was_inside: bool) -> None:
        documents = self.query_one(DocumentsView)
        await documents.close_active()
        if was_inside and not documents.focus_active():
            from tui.views.tasks import TasksView

            self.query_one(TasksView).focus_list()

    def action_toggle_sidebar(self) -> None:
        self.query_one("#sidebar").toggle_class("-hidden")

    def action_guard_log(self) -> None:
        from tui.views.guard import GuardView

        for view in self.query(GuardView):
            view.open_log()

    @on(OpenPath)
    def _open_path(self, message: OpenPath) -> None:
        message.stop()
        self.open_path(message)

    @on(StartSession)
    def _start_session(self, message: StartSession) -> None:
        message.stop()
        from tui.views.sessions import SessionsView

        for view in self.query(SessionsView):
            view.new_session_for_task(message.task, message.folder)

    @on(ShowSession)
    def _show_session(self, message: ShowSession) -> None:
        message.stop()
        session = message.session
        if session.removed_at is not None:
            from tui.sessions.past import gone_text, gone_title

            self.notify(gone_text(session, self.app.clock()), title=gone_title(session), timeout=12,
                        markup=False)
            return
        from tui.views.sessions import SessionsView
        from widgets.session_tile import SessionTile

        views = self.query(SessionsView)
        if not views:
            self.notify("The session grid is not on screen yet; try again in a moment.", severity="warning")
            return
        view = views.first()
        # Whatever is maximised (a document, another tile) gives the grid its room back first:
        # a tile that is not displayed cannot take the focus.
        maximized = self.maximized
        if maximized is not None and not (isinstance(maximized, SessionTile) and maximized.session_id == session.id):
            self.minimize()
        view.remove_class("-hidden")
        if not view.show_session(session.id):
            self.notify(f"Session {session.number} is not in the grid yet; its tile takes the focus "
                        "when it shows up.", markup=False)

    # By name, not `@on(SessionsView.NeedsYouChanged)`: that would import the view with the screen.
    def on_sessions_view_needs_you_changed(self, message: SessionsView.NeedsYouChanged) -> None:
        message.stop()
        # In the header (and the terminal's title): which loupe has agents waiting.
        self.title = f"{self.app.title} · {message.count} NEED{'S' if message.count == 1 else ''} YOU" \
            if message.count else None

    def open_path(self, message: OpenPath) -> None:
        """Route a request to show a file; the documents feature decides how."""
        self.query_one(DocumentsView).open_path(message.path, message.line, anchor=message.anchor)

    @on(RunPhase)
    def _run_phase(self, message: RunPhase) -> None:
        message.stop()
        from tui.views.phase_actions import open_run_phase

        open_run_phase(self, message.task_path, message.phase)

    @on(OpenTask)
    def _open_task(self, message: OpenTask) -> None:
        message.stop()
        from tui.views.task_view import TaskDocument

        path = message.task_path
        documents = self.query_one(DocumentsView)
        view = documents.open_pane(f"task:{path}", message.title or f"task {path.name}", lambda: TaskDocument(path))
        if isinstance(view, TaskDocument):
            documents.focus_when_shown(view, pane_id(f"task:{path}"))

    @on(OpenThread)
    def _open_thread(self, message: OpenThread) -> None:
        message.stop()
        from tui.views.chat import ChatPane

        documents = self.query_one(DocumentsView)
        pane = documents.open_pane(
            f"thread:{message.thread_id}",
            message.title or "thread",
            lambda: ChatPane(message.thread_id, select=message.select),
        )
        if isinstance(pane, ChatPane) and message.select:
            pane.select_message(message.select)

    @on(ThreadsChanged)
    def _threads_changed(self, message: ThreadsChanged) -> None:
        message.stop()
        if message.deleted:
            self.query_one(DocumentsView).close_pane(f"thread:{message.deleted}")
        from tui.views.threads import ThreadsView

        for view in self.query(ThreadsView):
            view.reload(select=message.select)

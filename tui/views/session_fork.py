"""Fork a built-in agent's session at one of its messages, from the session grid.

A mixin of `SessionsView`, apart from the grid's other actions because it joins two features:
sessions and the agent's thread. `f` on a tile (or the palette) lists the agent's messages;
the fork gets the conversation up to the one picked and a new worktree with the code as it
was then (see `tui.agent.fork`). Reading the thread and starting the session run in thread
workers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import work
from textual.widget import Widget

from tui.errors import LoupeError

if TYPE_CHECKING:
    from tui.dialogs.fork_session import ForkRequest
    from tui.sessions.manager import SessionManager
    from tui.sessions.model import Session, Snapshot
    from tui.sessions.monitor import SessionMonitor
    from widgets.session_tile import SessionTile

# The fork machinery (agent tools, thread store, the picker) is imported when first used, so
# the session grid costs nothing more at startup.


class SessionForkActions(Widget):
    manager: SessionManager | None
    monitor: SessionMonitor | None
    _focus_when_seen: str | None

    def _chosen(self) -> tuple[Session, Snapshot] | None:
        raise NotImplementedError

    def _ready(self) -> SessionManager | None:
        raise NotImplementedError

    snapshots: dict[str, Snapshot]

    def focused_tile(self) -> SessionTile | None:
        raise NotImplementedError

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "fork_agent":
            # Shown in the footer only on a tile of the built-in agent.
            tile = self.focused_tile()
            snapshot = self.snapshots.get(tile.session_id) if tile is not None else None
            return snapshot is not None and snapshot.session.status_source == "loupe"
        return super().check_action(action, parameters)

    def action_fork_agent(self) -> None:
        chosen = self._chosen()
        if chosen is None or self._ready() is None:
            return
        session, _ = chosen
        if session.status_source != "loupe":
            self.notify(
                f"Session {session.number} runs {session.agent}; only sessions of loupe's own agent "
                "(`loupe agent`) keep a conversation that can be forked at a message.",
                severity="warning",
            )
            return
        self._load_fork_points(session)

    @work(thread=True, exit_on_error=False, group="session-fork")
    def _load_fork_points(self, session: Session) -> None:
        from tui.agent.fork import agent_thread_of_session, fork_points
        from tui.dialogs.fork_session import ForkSessionScreen
        from tui.threads.store import ThreadStore

        try:
            with ThreadStore() as store:
                thread = agent_thread_of_session(store, session.id)
                points = fork_points(store.history(thread.id))
        except LoupeError as exc:
            self.app.call_from_thread(self.notify, str(exc), title="Cannot fork", severity="error")
            return
        if not points:
            self.app.call_from_thread(
                self.notify, "The agent has no finished message to fork at yet.", severity="warning"
            )
            return
        label = f"session {session.number} ({session.agent} · {session.task})"

        def picked(request: ForkRequest | None) -> None:
            if request is not None:
                self._fork(session, request)

        self.app.call_from_thread(self.app.push_screen, ForkSessionScreen(label, points), picked)

    @work(thread=True, exit_on_error=False, group="session-fork")
    def _fork(self, session: Session, request: ForkRequest) -> None:
        from tui.agent.fork import fork_session
        from tui.threads.store import ThreadStore

        manager = self.manager
        assert manager is not None
        try:
            with ThreadStore() as store:
                forked = fork_session(manager, store, session, request.point.message.id, prompt=request.prompt)
        except LoupeError as exc:
            self.app.call_from_thread(self.notify, str(exc), title="Fork failed", severity="error", timeout=10)
            return
        new = forked.session
        code = "the code recorded there" if forked.point.snapshot else "its base (no code was recorded)"
        self.app.call_from_thread(
            self.notify,
            f"Session {new.number} continues from message {forked.point.number}, with {code}, on {new.branch}.",
            title=f"Forked session {session.number}",
        )
        self._focus_when_seen = new.id
        if self.monitor is not None:
            self.monitor.wake()

    def fork_palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        return [
            ("Sessions: fork the agent at a message",
             "a new session with loupe agent's conversation and code as they were at a message",
             self.action_fork_agent),
        ]

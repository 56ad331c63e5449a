"""Fork a built-in agent's session at one of its messages, from the session grid.

A mixin of `SessionsView`, apart from the grid's other actions because it joins two features:
sessions and the agent's thread. `f` on a tile (or the palette) lists the agent's messages;
the fork gets the conversation up to the one picked and a new worktree with the code as it
was then (see `tui.agent.fork`). Reading the thread and starting the session run off the UI
loop, with the store the app's services keep open.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import getters, work
from textual.widget import Widget

from tui.app_base import AppBase
from tui.errors import LoupeError

if TYPE_CHECKING:
    from tui.dialogs.fork_session import ForkRequest
    from tui.sessions.manager import SessionManager
    from tui.sessions.model import Session, Snapshot
    from tui.agent.fork import ForkPoint
    from tui.sessions.monitor import SessionMonitor
    from tui.services.sessions import SessionService
    from widgets.session_tile import SessionTile

# The fork machinery (agent tools, the picker) is imported when first used, so the session
# grid costs nothing more at startup.


class SessionForkActions(Widget):
    app = getters.app(AppBase)

    sessions: SessionService
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

    @work(exit_on_error=False, group="session-fork")
    async def _load_fork_points(self, session: Session) -> None:
        from tui.dialogs.fork_session import ForkSessionScreen

        threads = self.app.services.threads
        if not await threads.ready():
            self.notify(f"Threads are unavailable: {threads.problem}", title="Cannot fork", severity="error")
            return
        try:
            points = await asyncio.to_thread(self._fork_points, session)
        except LoupeError as exc:
            self.notify(str(exc), title="Cannot fork", severity="error")
            return
        if not points:
            self.notify("The agent has no finished message to fork at yet.", severity="warning")
            return
        label = f"session {session.number} ({session.agent} · {session.task})"

        def picked(request: ForkRequest | None) -> None:
            if request is not None:
                self._fork(session, request)

        self.app.push_screen(ForkSessionScreen(label, points), picked)

    def _fork_points(self, session: Session) -> list[ForkPoint]:
        """Off the UI loop: the agent's messages it can be forked at."""
        from tui.agent.fork import agent_thread_of_session, fork_points

        store = self.app.services.threads.agent_store()
        thread = agent_thread_of_session(store, session.id)
        return fork_points(store.history(thread.id))

    @work(thread=True, exit_on_error=False, group="session-fork")
    def _fork(self, session: Session, request: ForkRequest) -> None:
        from tui.agent.fork import fork_session

        manager = self.manager
        assert manager is not None
        try:
            store = self.app.services.threads.agent_store()
            forked = fork_session(manager, store, session, request.point.message.id, prompt=request.prompt)
        except LoupeError as exc:
            self.notify(str(exc), title="Fork failed", severity="error", timeout=10)
            return
        new = forked.session
        code = "the code recorded there" if forked.point.snapshot else "its base (no code was recorded)"
        self.notify(
            f"Session {new.number} continues from message {forked.point.number}, with {code}, on {new.branch}.",
            title=f"Forked session {session.number}",
        )
        self._focus_when_seen = new.id
        self.sessions.wake()

    def fork_palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        return [
            ("Sessions: fork the agent at a message",
             "a new session with loupe agent's conversation and code as they were at a message",
             self.action_fork_agent),
        ]

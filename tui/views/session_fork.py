"""Fork a built-in agent's session at one of its messages, from the session grid.

`ForkCommands` is a helper object the `SessionsView` owns (composition, not a mixin), apart
from the grid's other commands because it joins two features: sessions and the agent's
thread. `f` on a tile (or the palette) lists the agent's messages; the fork gets the
conversation up to the one picked and a new worktree with the code as it was then (see
`tui.agent.fork`). Reading the thread and starting the session run off the UI loop, in
workers of the view, with the store the app's services keep open.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.widget import Widget

from tui.errors import LoupeError
from tui.views.session_grid import Grid, focused_snapshot, ready

if TYPE_CHECKING:
    from tui.agent.fork import ForkPoint
    from tui.dialogs.fork_session import ForkRequest
    from tui.sessions.model import Session

# The fork machinery (agent tools, the picker) is imported when first used, so the session
# grid costs nothing more at startup.


class ForkCommands:
    def __init__(self, grid: Grid, widget: Widget) -> None:
        """`grid` and `widget` are the same view: its sessions, and the widget that asks,
        notifies and runs workers."""
        self.grid = grid
        self.widget = widget

    def can_fork(self) -> bool:
        """Whether the focused tile runs loupe's own agent: the footer offers `f` only there."""
        tile = self.grid.focused_tile()
        snapshot = self.grid.snapshots.get(tile.session_id) if tile is not None else None
        return snapshot is not None and snapshot.session.status_source == "loupe"

    def fork_agent(self) -> None:
        snapshot = focused_snapshot(self.grid, self.widget)
        if snapshot is None or ready(self.grid, self.widget) is None:
            return
        session = snapshot.session
        if session.status_source != "loupe":
            self.widget.notify(
                f"Session {session.number} runs {session.agent}; only sessions of loupe's own agent "
                "(`loupe agent`) keep a conversation that can be forked at a message.",
                severity="warning",
            )
            return
        self.widget.run_worker(self._load_fork_points(session), exit_on_error=False, group="session-fork")

    async def _load_fork_points(self, session: Session) -> None:
        from tui.dialogs.fork_session import ForkSessionScreen

        threads = self.grid.app.services.threads
        if not await threads.ready():
            self.widget.notify(f"Threads are unavailable: {threads.problem}", title="Cannot fork", severity="error")
            return
        try:
            points = await asyncio.to_thread(self._fork_points, session)
        except LoupeError as exc:
            self.widget.notify(str(exc), title="Cannot fork", severity="error")
            return
        if not points:
            self.widget.notify("The agent has no finished message to fork at yet.", severity="warning")
            return
        label = f"session {session.number} ({session.agent} · {session.task})"

        def picked(request: ForkRequest | None) -> None:
            if request is not None:
                self.widget.run_worker(lambda: self._fork(session, request), thread=True, exit_on_error=False,
                                       group="session-fork")

        self.grid.app.push_screen(ForkSessionScreen(label, points), picked)

    def _fork_points(self, session: Session) -> list[ForkPoint]:
        """Off the UI loop: the agent's messages it can be forked at."""
        from tui.agent.fork import agent_thread_of_session, fork_points

        store = self.grid.app.services.threads.agent_store()
        thread = agent_thread_of_session(store, session.id)
        return fork_points(store.history(thread.id))

    def _fork(self, session: Session, request: ForkRequest) -> None:
        """In a thread worker: start the forked session."""
        from tui.agent.fork import fork_session

        manager = self.grid.manager
        assert manager is not None
        try:
            store = self.grid.app.services.threads.agent_store()
            forked = fork_session(manager, store, session, request.point.message.id, prompt=request.prompt)
        except LoupeError as exc:
            self.widget.notify(str(exc), title="Fork failed", severity="error", timeout=10)
            return
        new = forked.session
        code = "the code recorded there" if forked.point.snapshot else "its base (no code was recorded)"
        self.widget.notify(
            f"Session {new.number} continues from message {forked.point.number}, with {code}, on {new.branch}.",
            title=f"Forked session {session.number}",
        )
        self.grid.focus_once_seen(new.id)
        self.grid.sessions.wake()

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        return [
            ("Sessions: fork the agent at a message",
             "a new session with loupe agent's conversation and code as they were at a message",
             self.fork_agent),
        ]

"""What the grid does for supervision: retry what did not get through, run a command in the
sessions' worktrees.

A helper object the `SessionsView` owns (composition, not a mixin): it is handed the view as
a `Grid` (`session_grid`) and reaches the sessions service through it. Work that touches the
store, tmux or a host runs in a thread worker of the view; results come back as
notifications or a document tab.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.widget import Widget

from tui.errors import LoupeError
from tui.sessions.status_file import State
from tui.views.session_grid import Grid

if TYPE_CHECKING:
    from tui.sessions.model import Session, Snapshot


class Supervision:
    def __init__(self, grid: Grid, widget: Widget) -> None:
        """`grid` and `widget` are the same view: its sessions, and the widget that notifies
        and runs workers."""
        self.grid = grid
        self.widget = widget
        # Each run of a command gets a tab of its own.
        self._runs = 0

    def targets(self) -> list[Snapshot]:
        """The marked sessions, else the focused one (none: the user is told why)."""
        grid = self.grid
        marked = [grid.snapshots[t.session_id] for t in grid.tiles() if t.marked and t.session_id in grid.snapshots]
        if marked:
            return marked
        tile = grid.focused_tile()
        if tile is None or tile.session_id not in grid.snapshots:
            self.widget.notify("Focus a session tile first, or mark several with space.", severity="warning")
            return []
        return [grid.snapshots[tile.session_id]]

    # -- retry -----------------------------------------------------------------------------

    def retry(self, snapshots: list[Snapshot] | None = None) -> None:
        """Queue again the texts not delivered to these sessions, and try their unreachable
        hosts now rather than after their backoff."""
        chosen = self.targets() if snapshots is None else snapshots
        if not chosen or self.grid.manager is None:
            return
        sessions = [s.session for s in chosen]
        hosts = any(s.state is State.UNREACHABLE for s in chosen)
        if not hosts and not any(s.undelivered for s in chosen):
            self.widget.notify("Nothing to retry: no text was given up on, and the host answers.")
            return
        self.widget.run_worker(lambda: self._retry(sessions, hosts), thread=True, exit_on_error=False,
                             group="sessions-retry")

    def retry_undelivered_everywhere(self) -> None:
        self.retry([s for s in self.grid.snapshots.values() if s.undelivered])

    def retry_hosts(self) -> None:
        unreachable = [s for s in self.grid.snapshots.values() if s.state is State.UNREACHABLE]
        if not unreachable:
            self.widget.notify("Every host answers.")
            return
        self.retry(unreachable)

    def _retry(self, sessions: list[Session], hosts: bool) -> None:
        manager = self.grid.manager
        assert manager is not None
        try:
            count = manager.retry_delivery(sessions)
        except LoupeError as exc:
            self.widget.notify(str(exc), title="Not retried", severity="error", markup=False)
            return
        if hosts:
            manager.retry_hosts()
        parts = []
        if count:
            parts.append(f"{count} text(s) queued again; typed in once the agent shows its input prompt")
        if hosts:
            parts.append("unreachable hosts are tried again now")
        self.widget.notify("; ".join(parts).capitalize() + ".", title="Retry")
        self.grid.sessions.wake()

    # -- exec ------------------------------------------------------------------------------

    def ask_exec(self) -> None:
        """Ask for a command and run it in each target's worktree; the outputs go in a tab."""
        chosen = self.targets()
        if not chosen or self.grid.manager is None:
            return
        sessions = [s.session for s in chosen]
        numbers = ", ".join(str(s.number) for s in sessions)
        from tui.dialogs.sessions import ExecCommandScreen

        def run(argv: list[str] | None) -> None:
            if argv:
                self.open_results(sessions, argv)

        self.widget.app.push_screen(ExecCommandScreen(f"Run in the worktree of session(s) {numbers}"), run)

    def open_results(self, sessions: list[Session], argv: list[str]) -> None:
        from tui.views.documents import DocumentsView
        from tui.views.session_exec import ExecResultsPane

        documents = self.widget.screen.query(DocumentsView)
        if not documents:
            self.widget.notify("There is no document area to show the outputs in.", severity="warning")
            return
        self._runs += 1
        title = f"$ {' '.join(argv)}"
        make: Callable[[], ExecResultsPane] = lambda: ExecResultsPane(sessions, argv)  # noqa: E731
        documents.first().open_pane(f"session-exec:{self._runs}", title[:30], make)

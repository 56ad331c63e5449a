"""What the session grid's helpers (commands, fork, supervision) may use of the grid.

The helpers are objects `SessionsView` owns, not mixins of it. Each is handed the view twice:
as a `Grid`, for its sessions and its focus, and as the widget that notifies, asks and runs
workers. So none of them imports the view's module (no import cycle) or leans on its private
state, and each reads in its own file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from textual.widget import Widget

if TYPE_CHECKING:
    from tui.app_base import AppBase
    from tui.sessions.manager import SessionManager
    from tui.sessions.model import Snapshot
    from tui.services.sessions import SessionService
    from widgets.session_tile import SessionTile


class Grid(Protocol):
    snapshots: dict[str, Snapshot]

    @property
    def app(self) -> AppBase: ...

    @property
    def sessions(self) -> SessionService: ...

    @property
    def manager(self) -> SessionManager | None: ...

    def tiles(self) -> list[SessionTile]: ...

    def focused_tile(self) -> SessionTile | None: ...

    def focus_once_seen(self, session_id: str) -> None:
        """Focus this session's tile once the monitor reports it: a session just started has
        no tile yet."""
        ...


def focused_snapshot(grid: Grid, widget: Widget) -> Snapshot | None:
    """The focused tile's session (none: the user is told why)."""
    tile = grid.focused_tile()
    if tile is None or tile.session_id not in grid.snapshots:
        widget.notify("Focus a session tile first (tab, or the arrow keys).", severity="warning")
        return None
    return grid.snapshots[tile.session_id]


def ready(grid: Grid, widget: Widget) -> SessionManager | None:
    """The session manager, once the sessions service has opened it (none: the user is told)."""
    if grid.manager is None:
        widget.notify("Sessions are still starting up (or unavailable); try again in a moment.",
                      severity="warning")
    return grid.manager

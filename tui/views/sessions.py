"""The session grid: one live tile per agent session.

The app's session monitor (`tui.sessions.monitor`) reports every tick on the channel; this
view turns each report into tiles on the UI loop. A tile draws its own preview, and only when
it is painted: tiles out of view cost nothing, and a tile whose screen, size and style did
not change reuses its rows. The view tells the monitor which tiles are in view, so only
their screens are captured several times a second. What the keys do to sessions lives in
helper objects the view owns (`session_actions`, `session_fork`, `session_supervise`); its
`action_*` methods, which Textual's bindings call, hand each key to one of them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Static

from tui.app_base import AppBase
from tui.channel import Received, received
from tui.events import SessionsFailed, SessionsUpdated, SessionWait
from tui.views.session_actions import AttachRunner, SessionCommands
from tui.views.session_fork import ForkCommands
from tui.views.session_supervise import Supervision
from widgets.plain_text import plain_text
from widgets.session_tile import SessionTile, TileData

if TYPE_CHECKING:
    from tui.sessions.manager import SessionManager
    from tui.sessions.model import Snapshot
    from tui.sessions.monitor import SessionMonitor
    from tui.services.sessions import SessionService


class SessionsView(Vertical, can_focus=True):
    app = getters.app(AppBase)

    DEFAULT_CSS = """
    SessionsView > #session-grid {
        layout: grid;
        grid-size: 3;
        grid-gutter: 0 1;
        height: 1fr;
    }
    """
    BINDINGS = [
        Binding("n", "new_session", "New session", id="sessions.new"),
        Binding("s", "send", "Send", id="sessions.send"),
        Binding("b", "broadcast", "Broadcast", show=False, id="sessions.broadcast"),
        Binding("z", "maximise", "Maximise", id="sessions.maximise"),
        Binding("d", "diff", "Diff", id="sessions.diff"),
        Binding("L", "land", "Land", id="sessions.land"),
        Binding("f", "fork_agent", "Fork at…", id="sessions.fork_agent"),
        Binding("x", "stop", "Stop", show=False, id="sessions.stop"),
        Binding("R", "retry", "Retry", show=False, id="sessions.retry",
                tooltip="type again texts not delivered; try unreachable hosts now"),
        Binding("exclamation_mark", "exec", "Run command", show=False, id="sessions.exec",
                tooltip="run a command in the marked (or focused) sessions' worktrees"),
        Binding("delete", "remove", "Remove", show=False, id="sessions.remove"),
        Binding("left,h", "move(-1)", "Left", show=False, id="sessions.left"),
        Binding("right,l", "move(1)", "Right", show=False, id="sessions.right"),
        Binding("up,k", "move(-3)", "Up", show=False, id="sessions.up"),
        Binding("down,j", "move(3)", "Down", show=False, id="sessions.down"),
    ]

    class NeedsYouChanged(Message):
        """How many sessions wait for the user; bubbles so the screen can show it."""

        def __init__(self, count: int) -> None:
            super().__init__()
            self.count = count

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.snapshots: dict[str, Snapshot] = {}
        self._needs_you = 0
        self._title = "Sessions"
        self._focus_when_seen: str | None = None
        self.commands = SessionCommands(self, self)
        self.fork = ForkCommands(self, self)
        self.supervision = Supervision(self, self)

    @property
    def sessions(self) -> SessionService:
        return self.app.services.sessions

    @property
    def manager(self) -> SessionManager | None:
        return self.sessions.manager

    @property
    def monitor(self) -> SessionMonitor | None:
        return self.sessions.monitor

    @property
    def attach_runner(self) -> AttachRunner:
        """How Enter hands over the terminal (the commands' own; tests swap it here)."""
        return self.commands.attach_runner

    @attach_runner.setter
    def attach_runner(self, runner: AttachRunner) -> None:
        self.commands.attach_runner = runner

    def compose(self) -> ComposeResult:
        self.add_class("-empty")
        yield Static("Sessions", classes="section-title", id="sessions-title")
        yield Static("No agent sessions yet. Press n here, or ctrl+p and choose "
                     "\"Sessions: new agent session\".",
                     classes="empty-hint", id="sessions-empty")
        yield VerticalScroll(id="session-grid")

    def on_mount(self) -> None:
        self.app.channel.subscribe(self, SessionsUpdated, SessionsFailed, SessionWait)

    def on_focus(self) -> None:
        # The view takes focus only to offer its keys when it has no tiles yet.
        tiles = self.tiles()
        if tiles:
            tiles[0].focus()

    # -- monitor reports -----------------------------------------------------------------

    @on(received(SessionsFailed))
    def _failed(self, message: Received[SessionsFailed]) -> None:
        hint = self.query_one("#sessions-empty", Static)
        hint.update(plain_text(message.event.error))  # quotes tmux or git: data, not markup
        hint.display = not self.snapshots
        self.notify(message.event.error, title="Sessions", severity="warning", timeout=8)

    @on(received(SessionsUpdated))
    def _updated(self, message: Received[SessionsUpdated]) -> None:
        update = message.event
        self.snapshots = {s.session.id: s for s in update.snapshots}
        tiles = tile_data(update)
        grid = self.query_one("#session-grid", VerticalScroll)
        existing = {tile.session_id: tile for tile in grid.query(SessionTile)}
        wanted = {data.id for data in tiles}
        # The tile that has the focus, not `focused_tile()`'s lone tile: removing a session
        # must not take the focus from wherever the user is.
        focused = self.screen.focused if isinstance(self.screen.focused, SessionTile) else None
        order = [tile.session_id for tile in self.tiles()]
        for sid, tile in existing.items():
            if sid not in wanted:
                tile.remove()
        if focused is not None and focused.session_id not in wanted:
            # The focused session was removed: its neighbour takes the focus, or the grid
            # (which offers `n`) when it was the last; Textual would leave it on nothing.
            self._refocus_after_removal(order, order.index(focused.session_id), wanted)
        new_tiles = []
        for data in tiles:
            tile = existing.get(data.id)
            if tile is None:
                new_tiles.append(SessionTile(data))
            else:
                tile.show(data)
        if new_tiles:
            grid.mount_all(new_tiles)
        if new_tiles or len(existing) != len(wanted):
            self.call_after_refresh(self._layout_grid)
        if self._focus_when_seen in wanted:
            self.call_after_refresh(self._focus_tile, self._focus_when_seen)
            self._focus_when_seen = None
        # Only when it changes: setting `display` (even to the same value) relayouts the screen.
        empty = self.query_one("#sessions-empty")
        if empty.display != (not wanted):
            empty.display = not wanted
        if grid.display != bool(wanted):
            grid.display = bool(wanted)
        if self.has_class("-empty") != (not wanted):
            self.set_class(not wanted, "-empty")
        self._announce(update.snapshots)
        self._update_visible()

    @on(received(SessionWait))
    def _wait_began(self, message: Received[SessionWait]) -> None:
        """One notification, one bell and one terminal notification per new wait (the
        monitor's `Notifier` decides which waits are new); the question is text, never markup."""
        event = message.event
        text = event.wait.message
        self.notify(text.body, title=text.title, severity="warning", timeout=8, markup=False)
        if event.bell:
            self.app.bell()
        self.app.write_to_terminal(event.terminal)

    def _announce(self, snapshots: Iterable[Snapshot]) -> None:
        """The header's count of sessions that need you."""
        count = sum(1 for snapshot in snapshots if snapshot.needs_you)
        if count != self._needs_you:
            self._needs_you = count
            self.post_message(self.NeedsYouChanged(count))
        title = f"Sessions · {len(self.snapshots)}" if self.snapshots else "Sessions"
        if count:
            title += f" · {count} NEED{'S' if count == 1 else ''} YOU"
        if title != self._title:
            self._title = title
            self.query_one("#sessions-title", Static).update(title)

    def on_resize(self) -> None:
        self._layout_grid()

    def _layout_grid(self) -> None:
        grid = self.query_one("#session-grid", VerticalScroll)
        tiles = list(grid.query(SessionTile))
        if not tiles:
            return
        width = grid.size.width or self.size.width
        columns = min(len(tiles), 3 if width >= 90 else 2 if width >= 56 else 1)
        rows = math.ceil(len(tiles) / columns)
        height = max(1, grid.size.height)
        row_height = height if rows == 1 else max(8, height // 2)
        grid.styles.grid_size_columns = columns
        grid.styles.grid_rows = str(row_height)
        self._update_visible()

    def _update_visible(self) -> None:
        if self.monitor is None:
            return
        grid = self.query_one("#session-grid", VerticalScroll)
        maximised = self.screen.maximized if self.is_attached else None
        visible = set()
        if self.display and grid.display:
            for tile in grid.query(SessionTile):
                if isinstance(maximised, SessionTile):
                    if tile is maximised:
                        visible.add(tile.session_id)
                elif tile.region.overlaps(grid.region):
                    visible.add(tile.session_id)
        self.monitor.set_visible(visible)

    # -- focus and selection -------------------------------------------------------------

    def tiles(self) -> list[SessionTile]:
        return list(self.query(SessionTile))

    def focused_tile(self) -> SessionTile | None:
        focused = self.screen.focused
        if isinstance(focused, SessionTile) and focused in self.tiles():
            return focused
        tiles = self.tiles()
        return tiles[0] if len(tiles) == 1 else None

    def focus_once_seen(self, session_id: str) -> None:
        self._focus_when_seen = session_id

    def live_sessions(self) -> list[Snapshot]:
        return [s for s in self.snapshots.values() if s.live]

    def _focus_tile(self, session_id: str) -> None:
        for tile in self.tiles():
            if tile.session_id == session_id:
                tile.focus()

    def show_session(self, session_id: str) -> bool:
        """Focus the session's tile, scrolled into view. False when the grid has no tile for
        it yet: the tile takes the focus when it shows up."""
        for tile in self.tiles():
            if tile.session_id == session_id:
                tile.focus()
                self.call_after_refresh(self._update_visible)
                return True
        self._focus_when_seen = session_id
        return False

    def _refocus_after_removal(self, order: list[str], index: int, wanted: set[str]) -> None:
        after = [sid for sid in order[index + 1:] if sid in wanted]
        before = [sid for sid in order[:index] if sid in wanted]
        neighbour = (after or before[-1:] or [None])[0]
        if neighbour is None:
            self.focus()
        else:
            self.call_after_refresh(self._focus_tile, neighbour)

    def action_move(self, step: int) -> None:
        tiles = self.tiles()
        current = self.focused_tile()
        if not tiles:
            return
        index = tiles.index(current) if current in tiles else 0
        columns = self.query_one("#session-grid").styles.grid_size_columns or 3
        if abs(step) == 3:
            step = columns if step > 0 else -columns
        tiles[max(0, min(len(tiles) - 1, index + step))].focus()

    def action_maximise(self) -> None:
        if isinstance(self.screen.maximized, SessionTile):
            self.screen.minimize()
        else:
            tile = self.focused_tile()
            if tile is not None:
                self.screen.maximize(tile, container=False)
        self.call_after_refresh(self._update_visible)

    @on(SessionTile.MarkChanged)
    def _mark_changed(self, message: SessionTile.MarkChanged) -> None:
        message.stop()

    # -- what the keys do to sessions: each hands over to a helper -----------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "fork_agent":
            return self.fork.can_fork()
        return super().check_action(action, parameters)

    def action_new_session(self) -> None:
        self.commands.new_session()

    def new_session_for_task(self, task: str, folder: Path) -> None:
        self.commands.new_session(task, folder)

    def action_send(self) -> None:
        self.commands.send()

    def action_broadcast(self) -> None:
        self.commands.broadcast()

    def action_diff(self) -> None:
        self.commands.diff()

    def action_land(self, mode: str = "merge") -> None:
        self.commands.land(mode)

    def action_stop(self) -> None:
        self.commands.stop()

    def action_remove(self) -> None:
        self.commands.remove()

    def action_fork_agent(self) -> None:
        self.fork.fork_agent()

    def action_retry(self) -> None:
        self.supervision.retry()

    def action_exec(self) -> None:
        self.supervision.ask_exec()

    @on(SessionTile.Activated)
    def _activated(self, message: SessionTile.Activated) -> None:
        message.stop()
        self.commands.attach_tile(message.tile.session_id)

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        return [
            ("Sessions: new agent session", "start a coding agent in its own worktree",
             self.action_new_session),
            ("Sessions: broadcast to running sessions", "type text into every running (or marked) session",
             self.action_broadcast),
            ("Sessions: focus the grid", "move the focus to the session tiles", self._focus_first),
            *self.fork.palette_commands(),
            ("Sessions: land the focused session as a cherry-pick", "copy its commits onto the base "
             "branch instead of merging", lambda: self.action_land("cherry-pick")),
            ("Sessions: stop all running sessions", "end every running agent (asks first)",
             self.commands.stop_all),
            ("Sessions: run a command in the sessions' worktrees", "in the marked (or focused) sessions, "
             "outputs in a tab (!)", self.action_exec),
            ("Sessions: retry texts not delivered", "queue again every text loupe gave up typing in (R)",
             self.supervision.retry_undelivered_everywhere),
            ("Sessions: retry unreachable hosts", "try their SSH connections now, not after the backoff (R)",
             self.supervision.retry_hosts),
        ]

    def _focus_first(self) -> None:
        tiles = self.tiles()
        if tiles:
            tiles[0].focus()
        else:
            self.notify("No sessions yet: use Sessions: new agent session.")


def tile_data(update: SessionsUpdated) -> list[TileData]:
    """What each tile shows (its preview rows are drawn by the tile itself)."""
    from tui.sessions.model import LOCAL_HOST, format_elapsed
    from tui.sessions.status_file import State

    tiles = []
    for snapshot in update.snapshots:
        session = snapshot.session
        stat = update.stats.get(session.id)
        tiles.append(TileData(
            id=session.id, number=session.number, agent=session.agent, task=session.task,
            state=snapshot.state.value, exit_code=snapshot.exit_code, stopped=snapshot.stopped,
            killed=snapshot.killed,
            elapsed=format_elapsed(snapshot.elapsed()),
            added=stat.added if stat else None, removed=stat.removed if stat else None,
            queued=snapshot.queued, undelivered=snapshot.undelivered,
            detail=snapshot.detail if snapshot.state is State.UNREACHABLE else "", host="" if session.host == LOCAL_HOST else session.host,
            screen=update.screens.get(session.id, ""),
            phase=session.phase, prompt=first_line(session.prompt),
        ))
    return tiles


def first_line(text: str, limit: int = 80) -> str:
    """A prompt's first non-blank line, shortened, with control characters made visible."""
    from tui.terminal_text import visible

    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return visible(line if len(line) <= limit else line[: limit - 1] + "…")

"""The session grid: one live tile per agent session.

The view owns a `SessionMonitor` (a background thread) whose updates it turns into tiles.
Screens are parsed from ANSI in that thread, so the UI loop only lays tiles out. Only the
tiles on screen get their screens captured several times a second. What the keys do to
sessions lives in `session_actions`.
"""

from __future__ import annotations

import io
import math
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.style import Style
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.strip import Strip
from textual.widgets import Static

from tui.views.session_actions import SessionActions, run_attached
from tui.views.session_fork import SessionForkActions
from tui.views.startup import after_startup
from widgets.screen_preview import screen_strips
from widgets.session_tile import SessionTile, TileData

if TYPE_CHECKING:
    from tui.sessions.manager import SessionManager
    from tui.sessions.model import Snapshot
    from tui.sessions.monitor import MonitorUpdate, SessionMonitor
    from tui.sessions.notify import Wait

class SessionsView(SessionActions, SessionForkActions, Vertical, can_focus=True):
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
        Binding("delete", "remove", "Remove", show=False, id="sessions.remove"),
        Binding("left,h", "move(-1)", "Left", show=False, id="sessions.left"),
        Binding("right,l", "move(1)", "Right", show=False, id="sessions.right"),
        Binding("up,k", "move(-3)", "Up", show=False, id="sessions.up"),
        Binding("down,j", "move(3)", "Down", show=False, id="sessions.down"),
    ]

    class Updated(Message):
        def __init__(self, snapshots: list[Snapshot], tiles: list[TileData], waits: list[Wait]) -> None:
            super().__init__()
            self.snapshots = snapshots
            self.tiles = tiles
            self.waits = waits

    class Failed(Message):
        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    class NeedsYouChanged(Message):
        """How many sessions wait for the user; bubbles so the screen can show it."""

        def __init__(self, count: int) -> None:
            super().__init__()
            self.count = count

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.manager: SessionManager | None = None
        self.monitor: SessionMonitor | None = None
        self.snapshots: dict[str, Snapshot] = {}
        self.attach_runner: Callable[[list[str], dict[str, str]], int] = run_attached
        # Per session, monitor thread only: the last screen seen, and the strips prepared for
        # it with the (screen, size, style) they were made for.
        self._screens: dict[str, str] = {}
        self._strips: dict[str, tuple[tuple[object, ...], tuple[Strip, ...]]] = {}
        # Each state's tile style (colours under the screen's own), read on the UI loop and
        # used by the monitor thread to finish preview strips.
        self._tile_styles: dict[str, Style] = {}
        # The body size of each tile, for preparing strips in the monitor thread (grid
        # columns can differ by a cell, and a maximised tile is bigger). Replaced whole, so
        # the thread never sees half an update.
        self._preview_sizes: dict[str, tuple[int, int]] = {}
        self._preview_console = Console(width=400, color_system="truecolor", force_terminal=True,
                                legacy_windows=False, file=io.StringIO())
        self._needs_you = 0
        self._title = "Sessions"
        self._focus_when_seen: str | None = None
        self._stopping = threading.Event()

    def compose(self) -> ComposeResult:
        self.add_class("-empty")
        yield Static("Sessions", classes="section-title", id="sessions-title")
        yield Static("No agent sessions yet. Press n here, or ctrl+p and choose "
                     "\"Sessions: new agent session\".",
                     classes="empty-hint", id="sessions-empty")
        yield VerticalScroll(id="session-grid")

    def on_mount(self) -> None:
        # After the first frame: connecting (store, tmux, the watcher's imports) would
        # otherwise compete with it for the interpreter.
        after_startup(self, self._connect)

    def on_unmount(self) -> None:
        self._stopping.set()
        if self.monitor is not None:
            self.monitor.stop()

    def on_focus(self) -> None:
        # The view takes focus only to offer its keys when it has no tiles yet.
        tiles = self.tiles()
        if tiles:
            tiles[0].focus()

    # -- monitor -------------------------------------------------------------------------

    @work(thread=True, exit_on_error=False, group="sessions-connect")
    def _connect(self) -> None:
        from tui.sessions.manager import SessionManager
        from tui.sessions.monitor import SessionMonitor
        from tui.sessions.notify import Notifier
        from tui.sessions.wait_ledger import WaitLedger

        workspace = getattr(self.app, "workspace", None)
        root = workspace.root if workspace is not None else Path.cwd()
        config = workspace.config if workspace is not None else None
        try:
            manager = SessionManager(root, config)
        except Exception as exc:  # noqa: BLE001 - a broken store must not stop the app
            self.post_message(self.Failed(f"sessions are unavailable: {exc}"))
            return
        self.manager = manager
        for problem in manager.kind_problems:
            self.app.call_from_thread(self.notify, problem, title="Agent config", severity="warning")
        self.monitor = SessionMonitor(manager, self._from_monitor,
                                      lambda error: self.post_message(self.Failed(error)),
                                      fps=manager.config.sessions.preview_fps,
                                      notifier=Notifier(manager.config.notifications, WaitLedger(manager.store)))
        if not self._stopping.is_set():
            self.monitor.start()

    def _from_monitor(self, update: MonitorUpdate) -> None:
        """Monitor thread: build tile data, preview strips included, off the UI loop.

        Strips are made only for tiles in view, and only when the screen, the tile's size or
        its style changed: under a flood every capture is new, so this is where the grid's
        Python work is. A tile scrolled into view before the next update draws itself once.
        """
        from tui.sessions.model import format_elapsed

        visible = self.monitor.visible if self.monitor is not None else frozenset()
        tiles = []
        for snapshot in update.snapshots:
            session = snapshot.session
            screen = snapshot.screen
            if screen is None:
                screen = self._screens.get(session.id)
            if screen is None and self.manager is not None:
                screen = self.manager.last_screen(session)
            screen = screen or ""
            self._screens[session.id] = screen
            size = self._preview_sizes.get(session.id, (0, 0))
            style = self._tile_styles.get(snapshot.state.value)
            key = (screen, size, style)
            strips = self._strips.get(session.id)
            if (strips is None or strips[0] != key) and session.id in visible:
                strips = (key, screen_strips(screen, *size, self._preview_console, style))
                self._strips[session.id] = strips
            ready = strips is not None and strips[0] == key
            stat = update.stats.get(session.id)
            tiles.append(TileData(
                id=session.id, number=session.number, agent=session.agent, task=session.task,
                state=snapshot.state.value, exit_code=snapshot.exit_code,
                elapsed=format_elapsed(snapshot.elapsed()),
                added=stat.added if stat else None, removed=stat.removed if stat else None,
                queued=snapshot.queued, undelivered=snapshot.undelivered, screen=screen,
                strips=strips[1] if ready else (), strips_size=size if ready else (0, 0),
                strips_style=style,
            ))
        current = {snapshot.session.id for snapshot in update.snapshots}
        for cache in (self._screens, self._strips):
            for gone in [sid for sid in cache if sid not in current]:
                del cache[gone]
        self.post_message(self.Updated(update.snapshots, tiles, update.waits))

    @on(Failed)
    def _failed(self, message: Failed) -> None:
        message.stop()
        hint = self.query_one("#sessions-empty", Static)
        hint.update(message.error)
        hint.display = not self.snapshots
        self.notify(message.error, title="Sessions", severity="warning", timeout=8)

    @on(Updated)
    def _updated(self, message: Updated) -> None:
        message.stop()
        self.snapshots = {s.session.id: s for s in message.snapshots}
        grid = self.query_one("#session-grid", VerticalScroll)
        existing = {tile.session_id: tile for tile in grid.query(SessionTile)}
        wanted = {data.id for data in message.tiles}
        for sid, tile in existing.items():
            if sid not in wanted:
                tile.remove()
        new_tiles = []
        for data in message.tiles:
            tile = existing.get(data.id)
            if tile is None:
                new_tiles.append(SessionTile(data))
            else:
                tile.show(data)
                if data.state not in self._tile_styles:
                    self._tile_styles[data.state] = tile.rich_style
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
        self._announce(message.snapshots, message.waits)
        self._update_visible()
        self._measure_tiles()

    def _announce(self, snapshots: Iterable[Snapshot], waits: list[Wait]) -> None:
        """Header count, plus one notification and bell per new wait (the monitor's
        `Notifier` decides which waits are new)."""
        count = sum(1 for snapshot in snapshots if snapshot.needs_you)
        notifier = self.monitor.notifier if self.monitor is not None else None
        for wait in waits:
            message = wait.message
            self.notify(message.body, title=message.title, severity="warning", timeout=8, markup=False)
            if notifier is not None and notifier.settings.bell:
                self.app.bell()
            sequence = notifier.terminal_sequence(wait) if notifier is not None else ""
            driver = self.app._driver  # noqa: SLF001 - as App.bell writes to the terminal
            if sequence and driver is not None and not self.app.is_headless:
                driver.write(sequence)
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
        self.call_after_refresh(self._measure_tiles)
        self._update_visible()

    def _measure_tiles(self) -> None:
        sizes = {tile.session_id: (tile.content_size.width, tile.content_size.height)
                 for tile in self.tiles()}
        if sizes != self._preview_sizes:
            self._preview_sizes = sizes

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

    def _focus_tile(self, session_id: str) -> None:
        for tile in self.tiles():
            if tile.session_id == session_id:
                tile.focus()

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

    @on(SessionTile.MarkChanged)
    def _mark_changed(self, message: SessionTile.MarkChanged) -> None:
        message.stop()

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        return [
            ("Sessions: new agent session", "start a coding agent in its own worktree",
             self.action_new_session),
            ("Sessions: broadcast to running sessions", "type text into every running (or marked) session",
             self.action_broadcast),
            ("Sessions: focus the grid", "move the focus to the session tiles", self._focus_first),
            *self.fork_palette_commands(),
            ("Sessions: land the focused session as a cherry-pick", "copy its commits onto the base "
             "branch instead of merging", lambda: self.action_land("cherry-pick")),
            ("Sessions: stop all running sessions", "end every running agent (asks first)",
             self.action_stop_all),
        ]

    def _focus_first(self) -> None:
        tiles = self.tiles()
        if tiles:
            tiles[0].focus()
        else:
            self.notify("No sessions yet: use Sessions: new agent session.")

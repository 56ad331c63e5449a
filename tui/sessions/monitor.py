"""Keeps watching every session and reports what it sees, as `SessionsUpdated` events.

Each tick (a few per second) `run` asks the manager for snapshots, capturing the screens of
the sessions the UI shows and, less often, of the others (their state still matters for the
"needs you" count). It delivers queued messages to idle sessions, refreshes diff sizes of
visible sessions every few seconds, asks its `Notifier` which waits are new (telling the
desktop and the notify command), and emits one event per tick, plus one per new wait.
`watch_status` has each session host watch its status reports (`SessionManager.watch_reports`)
so a hook's report shows at once; the regular ticks are the fallback when a report's event
is dropped.

Both are loops that run until their `stop` event is set (the app runs them as thread
workers). The rate is bounded whatever the agents print: one `list-panes` and one batched
`capture-pane` per tick, however many sessions there are. Nothing here draws: the grid turns
screens into tiles on the UI loop, and only for the tiles in view.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING

from tui.errors import LoupeError
from tui.events import Emit, Event, Notice, SessionsFailed, SessionsUpdated, SessionWait
from tui.sessions.model import Snapshot

if TYPE_CHECKING:
    from tui.sessions.diff import DiffStat
    from tui.sessions.manager import SessionManager
    from tui.sessions.notify import Notifier

# Hidden sessions are captured this often (seconds): enough for the 1.5 s debounce.
HIDDEN_CAPTURE_EVERY = 0.5
DIFF_STAT_EVERY = 3.0
# Seconds after start before status files are also watched (polling works from the start).
WATCH_AFTER = 2.0
# Seconds to wait after a tick failed before trying again.
RETRY_AFTER = 2.0


class SessionMonitor:
    def __init__(self, manager: SessionManager, *, fps: float = 4.0, notifier: Notifier | None = None) -> None:
        self.manager = manager
        # Decides which waits are new and tells the desktop and the notify command.
        self.notifier = notifier
        self.interval = 1.0 / max(0.5, min(fps, 30.0))
        self._visible: frozenset[str] = frozenset()
        self._wake = threading.Event()
        self._stats: dict[str, DiffStat] = {}
        self._stats_at: dict[str, float] = {}
        # The last screen seen of each session: a tick that did not capture one reuses it.
        self._screens: dict[str, str] = {}
        self._last_error = ""
        # The snapshots of the last tick (replaced whole), for the quit dialog.
        self.latest: list[Snapshot] = []

    @property
    def visible(self) -> frozenset[str]:
        """The sessions the UI shows (their screens are captured every tick)."""
        return self._visible

    def set_visible(self, ids: set[str]) -> None:
        # Replaced whole, never mutated: the loop reads it without a lock.
        self._visible = frozenset(ids)

    def wake(self, *, refresh_stats: str | None = None) -> None:
        """Poll now (after an action), optionally recomputing one session's diff size."""
        if refresh_stats is not None:
            self._stats_at.pop(refresh_stats, None)
        self._wake.set()

    def run(self, stop: threading.Event, emit: Emit) -> None:
        """Tick until `stop` is set (set `stop`, then `wake()`, to end it at once)."""
        last_full = 0.0
        while not stop.is_set():
            started = time.monotonic()
            capture: set[str] | None = set(self._visible)
            if started - last_full >= HIDDEN_CAPTURE_EVERY:
                capture = None
                last_full = started
            try:
                for event in self.tick(capture):
                    emit(event)
                self._last_error = ""
                wait = self.interval - (time.monotonic() - started)
            except LoupeError as exc:
                self._report(str(exc), emit)
                wait = RETRY_AFTER
            except Exception as exc:  # noqa: BLE001 - the watcher must outlive any one bad tick
                self._report(f"session monitor error: {type(exc).__name__}: {exc}", emit)
                wait = RETRY_AFTER
            self._wake.wait(max(0.0, wait))
            self._wake.clear()

    def tick(self, capture: set[str] | None) -> list[Event]:
        """One look at every session: its `SessionsUpdated`, then a `SessionWait` for each
        wait that began, then a `Notice` for each notification that failed."""
        snapshots = self.manager.poll(capture)
        delivered = [s.id for s in self.manager.deliver_queued(snapshots)]
        self.manager.stop_idle(snapshots)
        now = time.monotonic()
        live_ids = {s.session.id for s in snapshots}
        screens: dict[str, str] = {}
        for snapshot in snapshots:
            session = snapshot.session
            screen = snapshot.screen
            if screen is None:
                screen = self._screens.get(session.id)
            if screen is None:
                screen = self.manager.last_screen(session)
            screens[session.id] = screen or ""
            if session.id not in self._visible or now - self._stats_at.get(session.id, -1e9) < DIFF_STAT_EVERY:
                continue
            self._stats_at[session.id] = now
            try:
                self._stats[session.id] = self.manager.diff_stat(session)
            except LoupeError:
                self._stats.pop(session.id, None)
        for gone in set(self._stats) - live_ids:
            self._stats.pop(gone, None)
        self._screens = screens
        self.latest = snapshots
        events: list[Event] = [SessionsUpdated(snapshots=snapshots, screens=screens, stats=dict(self._stats),
                                               delivered=delivered)]
        if self.notifier is not None:
            notifier = self.notifier
            events += [SessionWait(wait, bell=notifier.settings.bell, terminal=notifier.terminal_sequence(wait))
                       for wait in notifier.observe(snapshots)]
            events += [Notice(problem, title="Notifications", severity="warning")
                       for problem in notifier.problems()]
        return events

    def _report(self, message: str, emit: Emit) -> None:
        if message != self._last_error:
            self._last_error = message
            emit(SessionsFailed(message))

    def watch_status(self, stop: threading.Event) -> None:
        """Wake the poller when a status report changes (hooks report between ticks)."""
        # Polling covers the first moments; importing watchfiles right at startup would
        # slow the app's first frames for nothing.
        if stop.wait(WATCH_AFTER):
            return
        self.manager.watch_reports(stop, self._wake.set)

"""A background thread that keeps watching every session and reports what it sees.

Each tick (a few per second) it asks the manager for snapshots, capturing the screens of the
sessions the UI shows and, less often, of the others (their state still matters for the
"needs you" count). It delivers queued messages to idle sessions, refreshes diff sizes of
visible sessions every few seconds, asks its `Notifier` which waits are new (telling the
desktop and the notify command), and hands everything to a callback. Status files are
also watched with watchfiles so a hook's report shows at once; the regular ticks are the
fallback when a file event is dropped.

The rate is bounded whatever the agents print: one `list-panes` and one batched
`capture-pane` per tick, however many sessions there are.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tui.errors import LoupeError
from tui.sessions.diff import DiffStat
from tui.sessions.manager import SessionManager
from tui.sessions.model import Snapshot, sessions_dir
from tui.sessions.notify import Notifier, Wait

# Hidden sessions are captured this often (seconds): enough for the 1.5 s debounce.
HIDDEN_CAPTURE_EVERY = 0.5
DIFF_STAT_EVERY = 3.0
# Seconds after start before status files are also watched (polling works from the start).
WATCH_AFTER = 2.0


@dataclass
class MonitorUpdate:
    snapshots: list[Snapshot]
    stats: dict[str, DiffStat] = field(default_factory=dict)
    delivered: list[str] = field(default_factory=list)
    # Waits that began with this update: one bell and one notification each.
    waits: list[Wait] = field(default_factory=list)


class SessionMonitor:
    def __init__(
        self,
        manager: SessionManager,
        on_update: Callable[[MonitorUpdate], None],
        on_error: Callable[[str], None],
        *,
        fps: float = 4.0,
        notifier: Notifier | None = None,
    ) -> None:
        self.manager = manager
        # Decides which waits are new and tells the desktop and the notify command.
        self.notifier = notifier
        self.on_update = on_update
        self.on_error = on_error
        self.interval = 1.0 / max(0.5, min(fps, 30.0))
        self._visible: frozenset[str] = frozenset()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._threads: list[threading.Thread] = []
        self._stats: dict[str, DiffStat] = {}
        self._stats_at: dict[str, float] = {}
        self._last_error = ""

    @property
    def visible(self) -> frozenset[str]:
        """The sessions the UI shows (their screens are captured every tick)."""
        return self._visible

    def set_visible(self, ids: set[str]) -> None:
        # Replaced whole, never mutated: the thread reads it without a lock.
        self._visible = frozenset(ids)

    def wake(self, *, refresh_stats: str | None = None) -> None:
        """Poll now (after an action), optionally recomputing one session's diff size."""
        if refresh_stats is not None:
            self._stats_at.pop(refresh_stats, None)
        self._wake.set()

    def start(self) -> None:
        for target, name in ((self._run, "loupe-sessions-monitor"), (self._watch, "loupe-sessions-watch")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        self._wake.set()
        for thread in self._threads:
            thread.join(timeout=timeout)
        if self.notifier is not None:
            self.notifier.close()

    def _run(self) -> None:
        last_full = 0.0
        while not self._stop.is_set():
            started = time.monotonic()
            capture = set(self._visible)
            if started - last_full >= HIDDEN_CAPTURE_EVERY:
                capture = None  # type: ignore[assignment]
                last_full = started
            try:
                self.tick(capture)
            except LoupeError as exc:
                self._report(str(exc))
                self._stop.wait(2.0)
            except Exception as exc:  # noqa: BLE001 - the watcher must outlive any one bad tick
                self._report(f"session monitor error: {type(exc).__name__}: {exc}")
                self._stop.wait(2.0)
            self._wake.wait(max(0.0, self.interval - (time.monotonic() - started)))
            self._wake.clear()

    def tick(self, capture: set[str] | None) -> MonitorUpdate:
        snapshots = self.manager.poll(capture)
        delivered = [s.id for s in self.manager.deliver_queued(snapshots)]
        now = time.monotonic()
        live_ids = {s.session.id for s in snapshots}
        for snapshot in snapshots:
            sid = snapshot.session.id
            if sid not in self._visible or now - self._stats_at.get(sid, -1e9) < DIFF_STAT_EVERY:
                continue
            self._stats_at[sid] = now
            try:
                self._stats[sid] = self.manager.diff_stat(snapshot.session)
            except LoupeError:
                self._stats.pop(sid, None)
        for gone in set(self._stats) - live_ids:
            self._stats.pop(gone, None)
        waits = []
        if self.notifier is not None:
            waits = self.notifier.observe(snapshots)
            for problem in self.notifier.problems():
                self.on_error(problem)
        update = MonitorUpdate(snapshots=snapshots, stats=dict(self._stats), delivered=delivered, waits=waits)
        self._last_error = ""
        self.on_update(update)
        return update

    def _report(self, message: str) -> None:
        if message != self._last_error:
            self._last_error = message
            self.on_error(message)

    def _watch(self) -> None:
        """Wake the poller when a status file changes (hooks report between ticks)."""
        # Polling covers the first moments; importing watchfiles right at startup would
        # slow the app's first frames for nothing.
        if self._stop.wait(WATCH_AFTER):
            return
        try:
            import watchfiles

            folder = sessions_dir()
            folder.mkdir(parents=True, exist_ok=True)
            for changes in watchfiles.watch(folder, stop_event=self._stop, debounce=50,
                                            rust_timeout=1000, yield_on_timeout=True):
                if any(path.endswith("status.json") for _, path in changes):
                    self._wake.set()
        except (OSError, RuntimeError):
            # Polling still works; watching is only there to be quicker.
            return

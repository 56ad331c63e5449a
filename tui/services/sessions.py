"""The sessions' part of the app's services: one `SessionManager` and its monitor.

The manager is opened by the monitor's loop, off the UI loop and after the first frame
(connecting reads the session store and imports pygit2). Until then `manager` is None and
the grid says sessions are starting; if it cannot open, `SessionsFailed` says why.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from tui.events import Emit, Notice, SessionsFailed
from tui.workspace import Workspace

if TYPE_CHECKING:
    from tui.sessions.manager import SessionManager
    from tui.sessions.model import Session, Snapshot
    from tui.sessions.monitor import SessionMonitor
    from tui.sessions.stop_report import Stopped


class SessionService:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        self.manager: SessionManager | None = None
        self.monitor: SessionMonitor | None = None
        self.problem = ""
        # Set once the manager is open, or failed to open.
        self.opened = threading.Event()

    def _open(self, emit: Emit) -> SessionMonitor | None:
        from tui.sessions.manager import SessionManager
        from tui.sessions.monitor import SessionMonitor
        from tui.sessions.notify import Notifier
        from tui.sessions.wait_ledger import WaitLedger

        # `opened` is set only once `manager` (or `problem`) is there to read: whoever waits on
        # it reads `manager` straight after.
        try:
            manager = SessionManager(self.workspace.root, self.workspace.config)
            for problem in manager.kind_problems:
                emit(Notice(problem, title="Agent config", severity="warning"))
            # Which waits are new, kept in the session store so a second loupe never announces
            # one again; it tells the desktop and the notify command itself.
            notifier = Notifier(manager.config.notifications, WaitLedger(manager.store))
            self.monitor = SessionMonitor(manager, fps=manager.config.sessions.preview_fps, notifier=notifier)
            self.manager = manager
        except Exception as exc:  # noqa: BLE001 - a broken store must not stop the app
            self.problem = f"sessions are unavailable: {exc}"
            emit(SessionsFailed(self.problem))
            return None
        finally:
            self.opened.set()
        return self.monitor

    def run(self, stop: threading.Event, emit: Emit) -> None:
        """Open the manager, then report on every session until `stop` is set."""
        monitor = self._open(emit)
        if monitor is not None:
            try:
                monitor.run(stop, emit)
            finally:
                # A poll that was under way when the app closed may have opened a host's
                # connection again: the loop's end closes them for good. Notifications under
                # way are waited for here, off the UI loop.
                self._close_hosts()
                if monitor.notifier is not None:
                    monitor.notifier.close()

    def watch_status(self, stop: threading.Event, emit: Emit) -> None:
        """Wake the monitor when a hook writes a status file (once the manager is open)."""
        while not self.opened.wait(0.5):
            if stop.is_set():
                return
        if self.monitor is not None:
            self.monitor.watch_status(stop)

    def wake(self, *, refresh_stats: str | None = None) -> None:
        if self.monitor is not None:
            self.monitor.wake(refresh_stats=refresh_stats)

    def live(self) -> list[Snapshot]:
        """Sessions whose agent still runs, as of the monitor's last tick."""
        return [s for s in self.monitor.latest if s.live] if self.monitor is not None else []

    def stop(self, sessions: list[Session]) -> dict[str, Stopped | Exception]:
        """End these sessions' agents (blocking: call off the UI loop). Per session: its exit
        code and the processes it left running, or the error that kept it from stopping."""
        assert self.manager is not None
        try:
            outcomes: dict[str, Stopped | Exception] = dict(self.manager.stop_reporting(sessions))
        except Exception as exc:  # noqa: BLE001 - reported per session
            outcomes = {s.id: exc for s in sessions}
        self.wake()
        return outcomes

    def close(self) -> None:
        """End the monitor's wait at once (its loop ends on its stop event) and close each
        host's shared ssh connection, so no ssh master outlives the app."""
        self.wake()
        self._close_hosts()

    def _close_hosts(self) -> None:
        if self.manager is not None:
            self.manager.close()

"""Everything the app owns for its lifetime, in one textual-free object.

    services = Services(workspace)      # cheap: nothing is opened or imported yet
    services.connect(channel.emit)      # where events go (the app's channel)
    for watcher in services.watchers(): # long-running loops: the app runs each as a
        ...                             # thread worker, once the first screen is shown
    services.close()                    # at exit

`AppBase` does all of that; views reach the object one way, `self.app.services` (their
`app` is `textual.getters.app(AppBase)`), and never open or close what is in it.

Adding a service: put what the app keeps of it in this package (the domain's own loops and
logic stay in their package: `tui.sessions.monitor`, `tui.guard.follow`...), build it in
`__init__` (lazily, if it opens anything), give it `self.emit` if it reports from
background work (events go in `tui.events`), list its loops in `watchers()`, and close it
in `close()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tui.config import Config
from tui.docs.snapshots import ReadSnapshots
from tui.events import Emit, Event, Loop, nowhere
from tui.guard.follow import AuditFollower
from tui.services.review import ReviewService
from tui.services.phases import PhaseService
from tui.services.sessions import SessionService
from tui.tasks.watch import TaskWatcher
from tui.services.threads import ThreadServices
from tui.workspace import Workspace


@dataclass(frozen=True)
class Watcher:
    """A loop that runs for the app's lifetime: `loop(stop, emit)` returns once `stop` is set."""

    name: str
    loop: Loop


class Services:
    def __init__(self, workspace: Workspace, *, audit_log: Path | None = None) -> None:
        self.workspace = workspace
        self._sink: Emit = nowhere
        # Last-read copies of documents: the task list marks changes, documents diff.
        self.snapshots = ReadSnapshots(workspace.data_dir, workspace.root)
        self.threads = ThreadServices(workspace, self.emit)
        self.sessions = SessionService(workspace)
        self.guard = AuditFollower(audit_log)
        self.tasks = TaskWatcher(workspace.tasks_dir, self.snapshots.folder)
        # Review rounds: opened on first use (or by its watcher), off the UI loop.
        self.review = ReviewService(workspace, self.sessions, self.threads, self.emit)
        self.phases = PhaseService(workspace, self.sessions, self.threads, lambda: self._sink)

    @property
    def config(self) -> Config:
        return self.workspace.config

    def connect(self, sink: Emit) -> None:
        """Send events to `sink` from now on (before any watcher starts)."""
        self._sink = sink

    def emit(self, event: Event) -> None:
        """Any thread: hand `event` to the screen."""
        self._sink(event)

    def watchers(self) -> list[Watcher]:
        return [
            Watcher("guard-audit", self.guard.run),
            Watcher("sessions-monitor", self.sessions.run),
            Watcher("sessions-status", self.sessions.watch_status),
            Watcher("tasks-watch", self.tasks.run),
            Watcher("review-watch", self.review.run),
            Watcher("plan-runs", self.phases.run),
        ]

    def close(self) -> None:
        """Stop replies (saved as cancelled), close the stores. The watchers end on their own
        stop events; this only cuts their waits short."""
        self.phases.close()
        self.threads.close()
        self.sessions.close()
        self.review.close()

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
a property that calls `_service` (on first use), give it `self.emit` if it reports from
background work (events go in `tui.events`), list its loops in `watchers()`, and close it
in `close()`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from tui.config import Config
from tui.docs.snapshots import ReadSnapshots
from tui.events import Emit, Event, Loop, nowhere
from tui.workspace import Workspace

# Each service is built on first use: their modules (the review model, the thread store's
# references, the session views' events...) are not imported before the first screen, which
# for `loupe FILE.md` shows only the file (bench/startup.py).
if TYPE_CHECKING:
    from tui.guard.follow import AuditFollower
    from tui.services.phases import PhaseService
    from tui.services.review import ReviewService
    from tui.services.sessions import SessionService
    from tui.services.threads import ThreadServices
    from tui.tasks.watch import TaskWatcher


class _Closable(Protocol):
    def close(self) -> None: ...


_Service = TypeVar("_Service")


@dataclass(frozen=True)
class Watcher:
    """A loop that runs for the app's lifetime: `loop(stop, emit)` returns once `stop` is set."""

    name: str
    loop: Loop


class Services:
    def __init__(self, workspace: Workspace, *, audit_log: Path | None = None) -> None:
        self.workspace = workspace
        self._sink: Emit = nowhere
        self._audit_log = audit_log
        # Last-read copies of documents: the task list marks changes, documents diff.
        self.snapshots = ReadSnapshots(workspace.data_dir, workspace.root)
        # Reentrant: building one service builds those it uses (review: sessions, threads).
        self._lock = threading.RLock()
        self._built: dict[str, object] = {}
        self._closed = False

    def _service(self, name: str, build: Callable[[], _Service]) -> _Service:
        """The service `name`, built on first use from any thread (views ask from workers)."""
        with self._lock:
            found = self._built.get(name)
            if found is None:
                found = self._built[name] = build()
                close = getattr(found, "close", None)
                if self._closed and close is not None:
                    # Asked for while the app shuts down: it opens nothing that stays open.
                    close()
            return found  # type: ignore[return-value]

    @property
    def threads(self) -> ThreadServices:
        from tui.services.threads import ThreadServices

        return self._service("threads", lambda: ThreadServices(self.workspace, self.emit))

    @property
    def sessions(self) -> SessionService:
        from tui.services.sessions import SessionService

        return self._service("sessions", lambda: SessionService(self.workspace))

    @property
    def guard(self) -> AuditFollower:
        from tui.guard.follow import AuditFollower

        return self._service("guard", lambda: AuditFollower(self._audit_log))

    @property
    def tasks(self) -> TaskWatcher:
        from tui.tasks.watch import TaskWatcher

        return self._service("tasks", lambda: TaskWatcher(self.workspace.tasks_dir, self.snapshots.folder))

    @property
    def review(self) -> ReviewService:
        """Review rounds: its store opens on first use (or by its watcher), off the UI loop."""
        from tui.services.review import ReviewService

        return self._service("review", lambda: ReviewService(self.workspace, self.sessions, self.threads, self.emit))

    @property
    def phases(self) -> PhaseService:
        from tui.services.phases import PhaseService

        return self._service("phases", lambda: PhaseService(self.workspace, self.sessions, self.threads,
                                                            lambda: self._sink))

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
        stop events; this only cuts their waits short. A service never built has nothing open."""
        with self._lock:
            self._closed = True
            built = dict(self._built)
        for name in ("phases", "threads", "sessions", "review"):
            service: _Closable | None = built.get(name)  # type: ignore[assignment]
            if service is not None:
                service.close()

"""Follow a file for the document that shows it: reload it off the UI loop when it changes.

An invisible child of the document. Its watch (`tui.docs.follow.FileWatch`) runs as a
thread worker of this widget, so it ends when the document closes; what it notices
arrives as `FileChanged` events on the channel. Loads run in thread workers, one at a time:
requests that arrive while a load runs are coalesced into one more load, so a burst of
writes never queues a burst of reloads; and loads start at most every `MIN_RELOAD_SECONDS`,
so a file written without a pause (an agent streaming a log into it) costs a bounded share
of a core.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

from textual import getters, on
from textual.message import Message
from textual.widget import Widget

from tui.app_base import AppBase
from tui.channel import Received, received, run_loop
from tui.docs.follow import FileWatch
from tui.events import FileChanged
from tui.views.startup import after_startup

Result = TypeVar("Result")
# Each reload repaints the pane and lays out the screen again; watchfiles reports a file that
# is appended to without a pause about 12 times a second, more than a reader can follow.
MIN_RELOAD_SECONDS = 0.15


class FileFollower(Widget, Generic[Result]):
    app = getters.app(AppBase)

    DEFAULT_CSS = "FileFollower { display: none; }"

    class Loaded(Message, bubble=False):
        def __init__(self, result: Any, error: Exception | None) -> None:
            super().__init__()
            self.result = result
            self.error = error

    def __init__(
        self,
        path: Path,
        load: Callable[[str], Result],
        apply: Callable[[Result], None],
        *,
        poll_seconds: float = 1.0,
    ) -> None:
        super().__init__()
        self.path = path
        self._load = load
        self._apply = apply
        self._poll_seconds = poll_seconds
        self._busy = False
        self._again: str | None = None
        self._started = float("-inf")
        self.loads = 0

    def start(self) -> None:
        """Load the file, then follow it (the document calls this once it is mounted)."""
        self.request("open")

    def _watch(self) -> None:
        # Started once the first version is shown, and the app's first screen: the watch (and
        # the import of watchfiles) would otherwise compete with them for the interpreter. A
        # change made in between is caught by the poll that follows.
        self.app.channel.subscribe(self, FileChanged)
        watch = FileWatch(self.path, self._poll_seconds)
        run_loop(self, watch.run, self.app.channel.emit, name=f"follow {self.path.name}", group="follow-watch")
        self.request("poll")

    @on(received(FileChanged))
    def _changed(self, message: Received[FileChanged]) -> None:
        if message.event.path == self.path:
            self.request(message.event.reason)

    def request(self, reason: str) -> None:
        """Load again (for `reason`: "open", "watch", "poll", "edited"...)."""
        if self._busy:
            # A poll never upgrades a pending watch/edit reload (they must reread the file).
            if self._again is None or self._again == "poll":
                self._again = reason
            return
        self._busy = True
        wait = self._started + MIN_RELOAD_SECONDS - time.monotonic()
        if wait > 0:
            # Too soon after the last: load once the interval is over (requests until then are
            # coalesced into it, as during a load).
            self._again = reason
            self.set_timer(wait, self._load_again)
            return
        self._started = time.monotonic()
        self.run_worker(lambda: self._run(reason), thread=True, group="follow-load", exit_on_error=False)

    def _load_again(self) -> None:
        reason, self._again = self._again, None
        self._busy = False
        if reason is not None and self.is_mounted:
            self.request(reason)

    def _run(self, reason: str) -> None:
        error: Exception | None = None
        result: Any = None
        try:
            result = self._load(reason)
        except Exception as exc:  # a bug, not a bad file (those come back as results)
            error = exc
        self.post_message(self.Loaded(result, error))

    @on(Loaded)
    def _done(self, message: Loaded) -> None:
        self._busy = False
        self.loads += 1
        try:
            if message.error is not None:
                self.log.error(f"loading {self.path} failed", message.error)
                self.notify(
                    f"Could not load {self.path.name}: {type(message.error).__name__}: {message.error}",
                    severity="error",
                )
            else:
                self._apply(message.result)
        finally:
            if self.loads == 1 and self.is_mounted:
                # The file is on screen: the app's first screen, when it was opened at start.
                self.call_after_refresh(self.app.startup_shown)
                after_startup(self, self._watch)
            if self._again is not None and self.is_mounted:
                reason, self._again = self._again, None
                self.request(reason)

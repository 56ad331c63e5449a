"""Follow a file on disk: reload it off the UI loop when it changes.

Changes are noticed by watchfiles (fast) and by a slow poll of the file's stat (watch events
can be dropped, and some file systems have none). Requests that arrive while a load runs are
coalesced into one more load, so a burst of writes never queues a burst of reloads; and loads
start at most every `MIN_RELOAD_SECONDS`, so a file written without a pause (an agent
streaming a log into it) costs a bounded share of a core.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Generic, TypeVar

from textual.widget import Widget

Result = TypeVar("Result")
# Each reload repaints the pane and lays out the screen again; watchfiles reports a file that
# is appended to without a pause about 12 times a second, more than a reader can follow.
MIN_RELOAD_SECONDS = 0.15


class FileFollower(Generic[Result]):
    def __init__(
        self,
        owner: Widget,
        path: Path,
        load: Callable[[str], Result],
        apply: Callable[[Result], None],
        *,
        poll_seconds: float = 1.0,
    ) -> None:
        self.owner = owner
        self.path = path
        self._load = load
        self._apply = apply
        self._poll_seconds = poll_seconds
        self._busy = False
        self._again: str | None = None
        self._stamp: tuple[int, int, int] | None = None
        self._started = float("-inf")
        self.loads = 0

    def start(self) -> None:
        self.request("open")
        self.owner.run_worker(self._follow(), group="follow-watch", exclusive=True, exit_on_error=False)

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
            self.owner.set_timer(wait, self._load_again)
            return
        self._started = time.monotonic()
        self.owner.run_worker(
            lambda: self._run(reason), thread=True, group="follow-load", exit_on_error=False
        )

    def _load_again(self) -> None:
        reason, self._again = self._again, None
        self._busy = False
        if reason is not None and self.owner.is_mounted:
            self.request(reason)

    def _run(self, reason: str) -> None:
        error: Exception | None = None
        result: Any = None
        try:
            result = self._load(reason)
        except Exception as exc:  # a bug, not a bad file (those come back as results)
            error = exc
        try:
            self.owner.app.call_from_thread(self._done, result, error)
        except RuntimeError:
            pass  # the app is shutting down

    def _done(self, result: Any, error: Exception | None = None) -> None:
        self._busy = False
        self.loads += 1
        try:
            if error is not None:
                self.owner.log.error(f"loading {self.path} failed", error)
                self.owner.notify(
                    f"Could not load {self.path.name}: {type(error).__name__}: {error}", severity="error"
                )
            else:
                self._apply(result)
        finally:
            if self._again is not None and self.owner.is_mounted:
                reason, self._again = self._again, None
                self.request(reason)

    async def _follow(self) -> None:
        """Watch the file's folder; on each quiet `poll_seconds`, also compare its stat."""
        import asyncio

        from tui.docs.loader import stamp_of

        self._stamp = await asyncio.to_thread(stamp_of, self.path)
        try:
            # Importing watchfiles (and anyio's backend) takes a few hundred ms on a slow disk:
            # in a thread, so the UI loop keeps painting meanwhile.
            await asyncio.to_thread(_import_watcher)
            from watchfiles import awatch

            name = self.path.name
            # The folder, not the file: editors and agents replace files by renaming over them.
            async for changes in awatch(
                self.path.parent,
                recursive=False,
                debounce=100,
                step=40,
                rust_timeout=int(self._poll_seconds * 1000) or 1000,
                yield_on_timeout=True,
            ):
                if any(Path(changed).name == name for _, changed in changes):
                    self.request("watch")
                else:
                    await self._poll()
        except Exception as exc:  # no folder to watch (yet), no inotify...: polling still works
            self.owner.log.warning(f"watching {self.path.parent} failed ({exc}); polling only")
        while self._poll_seconds > 0:
            await asyncio.sleep(self._poll_seconds)
            await self._poll()

    async def _poll(self) -> None:
        import asyncio

        from tui.docs.loader import stamp_of

        stamp = await asyncio.to_thread(stamp_of, self.path)
        if stamp != self._stamp:
            self._stamp = stamp
            self.request("poll")


def _import_watcher() -> None:
    import anyio._backends._asyncio  # noqa: F401  (awatch loads it on first use)
    import watchfiles  # noqa: F401

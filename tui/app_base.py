"""The App that owns the services and the channel: what every view may rely on.

Views type their app as this class (`app = getters.app(AppBase)`), so `self.app.services`
and `self.app.channel` are checked names, not `getattr` guesses. It lives below the views
(`tui.app`, which composes them, imports them; this module imports none of them).

Lifecycle: the services are connected to the channel at construction; their watchers start
as thread workers once the first screen is shown (`startup_shown`: the task list reports it,
and `LoupeApp` has a fallback timer); the app cancels every worker when it exits, which ends
the watchers, and the services are closed when the app unmounts.

Textual calls `on_mount` (and other handlers) of every class in the MRO: subclasses define
their own and never call these through `super()`.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from textual import events, on
from textual.app import App
from textual.content import Content
from textual.notifications import SeverityLevel

from tui.channel import Channel, Received, received, run_loop
from tui.events import Notice
from widgets.key_queue import KeyQueue
from tui.services import Services
from tui.terminal_text import visible

# Thread workers run in the loop's default executor, where the watchers (a few for the
# app, one per open document) hold their threads for good: asyncio's default of
# cpu count + 4 would leave `asyncio.to_thread` none on a small machine. Threads are
# made only when needed, so the ceiling costs nothing.
EXECUTOR_THREADS = 64


class AppBase(App[None]):
    def __init__(self, services: Services, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.services = services
        self.channel = Channel(self)
        services.connect(self.channel.emit)
        # What "now" is for relative times ("5m ago"); snapshot tests freeze it.
        self.clock = clock
        self._started = False
        self._after_startup: list[Callable[[], object]] = []
        self._keys = KeyQueue(self)

    def on_mount(self) -> None:
        self.channel.subscribe(self, Notice)
        self._keys.watch_screens()

    async def on_event(self, event: events.Event) -> None:
        # Keys one after another, each to the focus the ones before it left (widgets.key_queue).
        await self._keys.route(event, super().on_event)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Show a notification as plain text with visible control characters, always.

        Nearly every notification carries data: a file name, an agent's question, a config
        key, a git command line (DESIGN decision 9). As markup, `[/etc/hosts]` would crash
        the app and an escape in it would reach the terminal. Every widget's `notify` passes
        `markup` on (True unless told), so it is not trusted here: loupe's own notifications
        use no markup.
        """
        super().notify(visible(message), title=visible(title), severity=severity, timeout=timeout, markup=False)

    def format_title(self, title: str, sub_title: str) -> Content:
        # The header shows the workspace's path (the sub-title): a folder's name is data.
        # Muted, not dim: dimmed, the sub-title fell under 4.5:1 on the light theme's header.
        title, sub_title = visible(title), visible(sub_title)
        if not sub_title:
            return Content(title)
        return Content.assemble(title, (f" — {sub_title}", "$text-muted"))

    @on(received(Notice))
    def _notice(self, message: Received[Notice]) -> None:
        notice = message.event
        self.notify(notice.text, title=notice.title, severity=notice.severity, timeout=notice.timeout, markup=False)

    def write_to_terminal(self, sequence: str) -> None:
        """Write an escape sequence loupe made itself (a terminal notification) to the
        terminal, as `App.bell` does; never text from outside."""
        if sequence and not self.is_headless and self._driver is not None:
            self._driver.write(sequence)

    def copy_text(self, text: str, what: str = "") -> None:
        """Copy `text` through the terminal (OSC 52) and the system clipboard where present.

        Every "copy" in the app comes here, so a copy behaves the same in every view; `what`
        names it in the confirmation ("Copied 3 lines").
        """
        self.copy_to_clipboard(text)
        lines = text.count("\n") + (0 if text.endswith("\n") else 1) if text else 0
        label = what or (f"{lines} line" + ("" if lines == 1 else "s"))
        self.notify(f"Copied {label}", timeout=2, markup=False)
        self.run_worker(lambda: self._copy_to_system(text), thread=True, group="clipboard", exit_on_error=False)

    def _copy_to_system(self, text: str) -> None:
        from tui.clipboard import ClipboardError, copy_to_system

        try:
            copy_to_system(text)
        except ClipboardError as error:
            self.channel.emit(Notice(str(error), title="Clipboard", severity="warning"))

    @property
    def first_screen_shown(self) -> bool:
        """Whether the first screen is shown (`startup_shown` ran): work it can do without waits."""
        return self._started

    def after_startup(self, callback: Callable[[], object]) -> None:
        """Run `callback` once the first screen is shown (see `tui.views.startup`)."""
        if self._started:
            self.call_later(callback)
        else:
            self._after_startup.append(callback)

    def startup_shown(self) -> None:
        """The first screen, task list included, is shown (or it took too long)."""
        if self._started:
            return
        self._started = True
        self.started()
        self._make_room_for_watchers()
        for watcher in self.services.watchers():
            run_loop(self, watcher.loop, self.channel.emit, name=watcher.name, group="services")
        waiting, self._after_startup = self._after_startup, []
        for callback in waiting:
            self.call_later(callback)

    def started(self) -> None:
        """Hook: the first screen is shown, before the services' watchers start."""

    def _make_room_for_watchers(self) -> None:
        # Here rather than at load: nothing before the first frame needs it (the executor of
        # the first scan, if any, lets its idle thread go once it is dropped).
        from concurrent.futures import ThreadPoolExecutor

        asyncio.get_running_loop().set_default_executor(
            ThreadPoolExecutor(max_workers=EXECUTOR_THREADS, thread_name_prefix="loupe-worker")
        )

"""Keys handled one after another: each reaches the focus that the keys before it left.

Textual's App hands every key to the focused widget the moment it takes it from its queue,
while bindings run only once the key has bubbled back up to the App. Keys typed fast (or
pasted) are all handed out before the first one's binding runs, so the keys after one that
opens an input went to the widget that had the focus: `/hello` typed fast reached the
document, and its `e` opened the editor. Here a key is handed out only once the key before it
has gone all the way up (its binding, if any, has run and moved the focus), and keys typed
while a screen just pushed is mounting wait for it, so they reach the field it focuses.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable

from textual import events
from textual.app import App
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widget import AwaitMount

# A key whose way up was lost (a widget removed with the key in its queue) stops holding the
# ones after it after this long: typing must never stall for good.
STUCK_SECONDS = 1.0

Routed = events.Key | events.Paste


class KeyQueue:
    def __init__(self, app: App[object]) -> None:
        self._app = app
        self._current: Routed | None = None
        self._waiting: deque[Routed] = deque()
        # A waiting key posted again to the App: the next one handed out.
        self._released: Routed | None = None
        self._mounting: Screen[object] | None = None
        self._stuck: asyncio.TimerHandle | None = None

    def watch_screens(self) -> None:
        self._app.screen_change_signal.subscribe(self._app, self._screen_changed)

    async def route(self, event: events.Event, handle: Callable[[events.Event], Awaitable[None]]) -> None:
        """Handle `event` (the App's `on_event`) now with `handle`, or once the keys before it are."""
        if not isinstance(event, (events.Key, events.Paste)) or event.is_forwarded:
            await handle(event)
            return
        if event is self._released:
            self._released = None
        elif self._busy:
            self._waiting.append(event)
            return
        self._current = event
        app = self._app
        target: DOMNode = app.focused or app.screen
        await handle(event)
        if self._current is not event:
            return
        if not event.is_forwarded:
            self._done(event)  # a priority binding took it, or the App kept it
            return
        self._follow(event, target)
        loop = asyncio.get_running_loop()
        self._stuck = loop.call_later(STUCK_SECONDS, self._done, event)

    @property
    def _busy(self) -> bool:
        return self._current is not None or self._mounting is not None or self._released is not None or bool(self._waiting)

    def _follow(self, event: Routed, node: DOMNode) -> None:
        """Step up with the key: `node` has it queued, so once `node` has run what is queued
        now, it has handled the key (and passed it on to its parent if it went on up)."""
        if not node.call_later(self._handled_at, event, node):
            self._done(event)  # closing: the key goes no further

    def _handled_at(self, event: Routed, node: DOMNode) -> None:
        if self._current is not event:
            return
        parent = node.parent
        if node is self._app or parent is None:
            self._done(event)
        else:
            self._follow(event, parent)

    def _done(self, event: Routed) -> None:
        if self._current is not event:
            return
        self._current = None
        if self._stuck is not None:
            self._stuck.cancel()
            self._stuck = None
        self._next()

    def _next(self) -> None:
        if self._current is not None or self._mounting is not None or self._released is not None:
            return
        if self._waiting:
            self._released = self._waiting.popleft()
            self._app.post_message(self._released)

    def _screen_changed(self, screen: Screen[object]) -> None:
        """A screen was pushed: keys wait until it is mounted (and has focused its field)."""
        if screen.is_mounted or self._mounting is not None:
            return
        self._mounting = screen

        async def mounted() -> None:
            try:
                await AwaitMount(self._app, [screen])
            finally:
                self._mounting = None
                self._next()

        self._app.run_worker(mounted(), group="key-queue", exit_on_error=False)

"""Polling helpers: wait for a condition instead of sleeping a fixed time.

Fixed sleeps make tests slow on fast machines and flaky on slow ones; these return as soon as
the condition holds and fail with a description when it never does.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from textual.app import App
from textual.pilot import Pilot
from textual.screen import Screen


async def wait_until(
    pilot: Pilot, predicate: Callable[[], object], description: str, timeout: float = 10.0,
    *, detail: Callable[[], object] | None = None,
) -> None:
    """`detail`, when given, says what the state was when the wait timed out (for a failure
    seen once in CI, where nothing else is left to look at)."""
    deadline = time.monotonic() + timeout
    while True:
        await pilot.pause()
        if predicate():
            return
        if time.monotonic() > deadline:
            state = f"; state: {detail()}" if detail is not None else ""
            raise AssertionError(f"timed out after {timeout}s waiting for: {description}{state}")
        await asyncio.sleep(0.02)


def shows(app: App, screen_type: type[Screen]) -> bool:
    """Whether the app shows a `screen_type` screen with its widgets in place: a pushed screen
    is `app.screen` before it has composed them, and on a busy machine a query made at once
    finds nothing."""
    screen = app.screen
    return isinstance(screen, screen_type) and screen.is_mounted


async def run_command(pilot: Pilot, words: str) -> None:
    """Run a palette command as a user does: ctrl+p, type `words` (they must match exactly
    one command), enter."""
    from textual.command import CommandList, CommandPalette

    app = pilot.app
    await pilot.press("ctrl+p")
    await wait_until(pilot, lambda: shows(app, CommandPalette), "the palette")
    await pilot.press(*words)
    await wait_until(
        pilot, lambda: app.screen.query_one(CommandList).option_count == 1, f"one command matching {words!r}"
    )
    await pilot.press("enter")


def wait_for(predicate: Callable[[], object], description: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for: {description}")
        time.sleep(0.02)


class ManualClock:
    """A clock that moves only when a test sets `now`: backoffs and timers without waiting."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def process_alive(pid: int) -> bool:
    """True while the process exists and is not a zombie waiting to be reaped."""
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state != "Z"


async def type_at_once(pilot: Pilot, *keys: str) -> None:
    """Press `keys` the way a fast typist or a paste does: every key is queued before the app
    handles the first (`Pilot.press` lets the app go idle between keys, which hides keys that
    land before the focus moves).

    Keys are named as for `Pilot.press`: "a", "/", "tab", "enter", "ctrl+n"...
    """
    import unicodedata

    from textual import events
    from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key

    app = pilot.app
    driver = app._driver
    assert driver is not None
    for key in keys:
        if len(key) == 1 and not key.isalnum():
            key = _character_to_key(key)
        original = REPLACED_KEYS.get(key, key)
        try:
            char: str | None = unicodedata.lookup(_get_unicode_name_from_key(original))
        except KeyError:
            char = key if len(key) == 1 else None
        event = events.Key(key, char)
        event.set_sender(app)
        driver.send_message(event)
    await pilot.pause()


async def run_command(pilot: Pilot, words: str) -> None:
    """Run the one palette command that `words` find (ctrl+p, type, enter), as a user does."""
    from textual.command import CommandList, CommandPalette

    app = pilot.app
    await pilot.press("ctrl+p")
    await wait_until(pilot, lambda: shows(app, CommandPalette), "the palette")
    await pilot.press(*words)
    await wait_until(pilot, lambda: app.screen.query_one(CommandList).option_count == 1, f"one command for {words!r}")
    await pilot.press("enter")

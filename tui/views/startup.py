"""Work that waits until the user sees the first screen with its task list.

Opening the thread store, connecting to the session monitor and following the guard's log
import a lot and start threads. Started with the app, they compete with its first frames for
the interpreter: even after a frame is rendered, the thread that writes it to the terminal
waits for its turn, so the user sees the screen later. `AppBase` runs what is queued here once
the task list has been shown (or after a few seconds, whatever happens), when it also starts
the services' watchers.
"""

from __future__ import annotations

from collections.abc import Callable

from textual.widget import Widget

from tui.app_base import AppBase


def after_startup(widget: Widget, callback: Callable[[], object]) -> None:
    """Run `callback` once the app has shown its first screen, if `widget` is still there."""

    def run() -> None:
        if widget.is_attached:
            callback()

    app = widget.app
    if isinstance(app, AppBase):
        app.after_startup(run)
    else:  # another app (tests of one widget): after its first frame
        widget.call_after_refresh(run)

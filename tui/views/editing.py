"""Open a document's file in the user's editor and come back to the same place."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from textual.widget import Widget

from tui.docs.editor import EditorError, editor_command, open_at
from widgets.focus import focus_when_ready


def edit_file(
    owner: Widget, path: Path, configured: str, done: Callable[[], object], line: int | None = None
) -> None:
    """Edit `path` at `line` with the configured editor (or $VISUAL, $EDITOR, vi), then call
    `done`."""
    try:
        argv = open_at(editor_command(configured), path, line)
    except EditorError as exc:
        owner.notify(str(exc), title="Editor", severity="error")
        return
    run_editor(owner, argv, done)


def run_editor(owner: Widget, argv: list[str], done: Callable[[], object]) -> None:
    """Run the editor in the terminal (suspending the app), then call `done`.

    Without a terminal to hand over (headless runs, as in tests) the editor runs without one,
    in a thread; where suspending is impossible for a real user, say so instead.
    """
    from textual.app import SuspendNotSupported

    app = owner.app
    try:
        with app.suspend():
            result = subprocess.run(argv, check=False)
    except SuspendNotSupported:
        if not app.is_headless:
            owner.notify("This terminal cannot hand the screen to an editor; open the file yourself.", severity="error")
            return

        def headless() -> None:
            try:
                completed = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, check=False)
            except OSError as exc:
                owner.notify(f"Cannot run {argv[0]}: {exc.strerror or exc}.", severity="error")
                return
            owner.call_later(_editor_finished, owner, argv, completed.returncode, done)

        owner.run_worker(headless, thread=True, group="editor", exit_on_error=False)
        return
    except OSError as exc:
        owner.notify(
            f"Cannot run {argv[0]}: {exc.strerror or exc}. Set general.editor in config, or $EDITOR.",
            title="Editor",
            severity="error",
        )
        return
    _editor_finished(owner, argv, result.returncode, done)


def _editor_finished(owner: Widget, argv: list[str], code: int, done: Callable[[], object]) -> None:
    if code != 0:
        owner.notify(f"{argv[0]} exited with status {code}.", severity="warning")
    done()
    focus = getattr(owner, "focus_document", None)
    if callable(focus) and not focus():
        focus_when_ready(owner, focus)

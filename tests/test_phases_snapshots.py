"""Snapshot tests of the phases' screens: the run-phase dialog and a task's view.

The fixture workspace of `tests/test_snapshots.py` (fixed file times, the app's clock frozen),
with a repository template for the outline phase: the shipped one names the repository's
folder, which is a new temporary folder on every run.
"""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from tests.helpers import shows, wait_until
from tests.test_snapshots import SIZE, main_screen_app, settle
from tui.app import LoupeApp
from tui.dialogs.run_phase import RunPhaseScreen
from tui.messages import OpenTask, RunPhase
from tui.views.task_view import TaskDocument

OUTLINE = """\
Write the **outline** of task "{task}": the phases of the work, in order, each one small
enough to review. Use what the ticket asks and what the research and design found:

{inputs}

Write it to {output_path}.
"""


def phases_app(tmp_path: Path) -> tuple[LoupeApp, Path]:
    app = main_screen_app(tmp_path, "loupe-dark")
    root = app.workspace.root
    (root / ".loupe" / "phases").mkdir(parents=True)
    (root / ".loupe" / "phases" / "outline.md").write_text(OUTLINE)
    return app, root / ".loupe" / "tasks" / "retry-backoff"


def test_run_phase_dialog(snap_compare, tmp_path: Path) -> None:
    app, folder = phases_app(tmp_path)

    async def open_dialog(pilot: Pilot) -> None:
        await settle(pilot)
        app.screen.post_message(RunPhase(folder))
        await wait_until(pilot, lambda: shows(app, RunPhaseScreen), "the dialog")
        dialog = app.screen
        assert isinstance(dialog, RunPhaseScreen)
        await wait_until(pilot, lambda: dialog.ready is not None, "the outline's prompt", timeout=30)
        # The template's path is in a temporary folder: shown as the repository's own.
        await pilot.pause()

    assert snap_compare(app, terminal_size=(120, 44), run_before=open_dialog)


def test_task_view(snap_compare, tmp_path: Path) -> None:
    app, folder = phases_app(tmp_path)

    async def open_view(pilot: Pilot) -> None:
        await settle(pilot)
        app.screen.post_message(OpenTask(folder, title="task retry-backoff"))
        await wait_until(pilot, lambda: app.screen.query(TaskDocument), "the task view")
        view = app.screen.query_one(TaskDocument)
        await wait_until(pilot, lambda: view.built is not None, "the timeline", timeout=30)
        await pilot.pause()

    assert snap_compare(app, terminal_size=SIZE, run_before=open_view)

"""Snapshot tests of key screens (pytest-textual-snapshot).

Deterministic by construction: fixed terminal size, the small fixture workspace of
`tests/fixtures/tasks.py` with fixed file times, the app's clock frozen at the same instant,
and an empty data folder (so every artifact is "new"). If a change alters one of these screens
on purpose, look at `snapshot_report.html`, then run `pytest tests/test_snapshots.py
--snapshot-update`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.fixtures.tasks import NOW, make_tasks_workspace
from tests.helpers import wait_until
from tui.app import LoupeApp
from tui.workspace import open_workspace
from widgets.task_list import TaskList

SIZE = (120, 36)


def main_screen_app(tmp_path: Path, theme: str) -> LoupeApp:
    root = make_tasks_workspace(tmp_path / "quarry")
    app = LoupeApp(open_workspace(root), remember_theme=False, clock=lambda: NOW)
    app.workspace.config.general.theme = theme
    return app


async def settle(pilot: Pilot) -> None:
    app = pilot.app
    await wait_until(pilot, lambda: len(app.query_one(TaskList).tasks) == 3, "the fixture tasks are listed")
    # The header shows the workspace path, which is a different tmp folder on every run.
    app.sub_title = "~/src/quarry"
    await pilot.pause()


@pytest.mark.parametrize("theme", ["loupe-dark", "loupe-light"])
def test_main_screen(snap_compare, tmp_path: Path, theme: str) -> None:
    assert snap_compare(main_screen_app(tmp_path, theme), terminal_size=SIZE, run_before=settle)


def test_main_screen_filtering(snap_compare, tmp_path: Path) -> None:
    async def filter_design(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press(*"design")
        await pilot.pause()

    assert snap_compare(main_screen_app(tmp_path, "loupe-dark"), terminal_size=SIZE, run_before=filter_design)


def test_new_task_dialog(snap_compare, tmp_path: Path) -> None:
    async def open_dialog(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("ctrl+n")
        await pilot.pause()
        await pilot.press(*"Dark mode")
        await pilot.pause()

    assert snap_compare(main_screen_app(tmp_path, "loupe-dark"), terminal_size=SIZE, run_before=open_dialog)

"""Snapshot tests of key screens (pytest-textual-snapshot).

Deterministic by construction: fixed terminal size, the small fixture workspace of
`tests/fixtures/tasks.py` with fixed file times, the app's clock frozen at the same instant,
and an empty data folder (so every artifact is "new"). If a change alters one of these screens
on purpose, look at `snapshot_report.html`, then run `pytest tests/test_snapshots.py
--snapshot-update`.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.fixtures.tasks import NOW, make_tasks_workspace
from tests.helpers import wait_until
from tui.app import LoupeApp
from tui.views.threads import ThreadsView
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
    await wait_until(pilot, lambda: app.query_one(ThreadsView).loaded, "the threads list is read")
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


SMALL = (80, 24)


def test_new_task_dialog_80x24(snap_compare, tmp_path: Path) -> None:
    """The smallest terminal we design for: the whole dialog, buttons included, shows."""

    async def open_dialog(pilot: Pilot) -> None:
        await settle(pilot)
        await pilot.press("ctrl+n")
        await pilot.pause()

    assert snap_compare(main_screen_app(tmp_path, "loupe-dark"), terminal_size=SMALL, run_before=open_dialog)


@pytest.mark.parametrize("theme", ["loupe-dark", "loupe-light"])
def test_help_screen_80x24(snap_compare, tmp_path: Path, theme: str) -> None:
    async def open_help(pilot: Pilot) -> None:
        await settle(pilot)
        pilot.app.query_one(TaskList).rows.focus()
        await pilot.press("f1")
        await pilot.pause()

    assert snap_compare(main_screen_app(tmp_path, theme), terminal_size=SMALL, run_before=open_help)


DESIGN_DOC = """\
# Retries: design

Failed jobs are retried with **exponential backoff** and *full jitter*; see
[the research](02-research.md) and `quarry/worker.py:67`.

## Options

| Option | Delay | Notes |
|---|---:|---|
| fixed | 5 s | simple, thundering herd |
| backoff | 2^n s | needs a cap |

## Decision

- Use backoff with jitter
  - cap at 10 minutes
- [x] agree on the cap
- [ ] decide where attempts are stored

> [!NOTE]
> Retries never reorder jobs of the same queue.

```python
def delay(attempt: int) -> float:
    return min(600.0, random.uniform(0, 2 ** attempt))  # full jitter
```
"""


def artifact_app(tmp_path: Path, theme: str) -> LoupeApp:
    app = main_screen_app(tmp_path, theme)
    # Not read however long the keys take on a busy machine (reading it would clear its
    # new-mark in the task list): the screen must not depend on wall time.
    app.workspace.config.docs.read_after_seconds = math.inf
    design = tmp_path / "quarry" / ".loupe" / "tasks" / "retry-backoff" / "04-design.md"
    design.write_text(DESIGN_DOC, encoding="utf-8")
    return app


def open_design(*keys: str):  # type: ignore[no-untyped-def]
    async def run(pilot: Pilot) -> None:
        from tui.messages import OpenPath
        from tui.views.artifact import ArtifactDocument

        await settle(pilot)
        app = pilot.app
        path = app.workspace.tasks_dir / "retry-backoff" / "04-design.md"
        app.screen.post_message(OpenPath(path))
        # The first document opened loads the markdown and highlighting libraries: with the
        # machine at load 9 to 15 on 2 cores, opening it took over 10 s now and then.
        await wait_until(pilot, lambda: app.screen.query(ArtifactDocument), "artifact pane", timeout=60)
        document = app.screen.query_one(ArtifactDocument)
        await wait_until(pilot, lambda: document.pane.view.fully_laid_out, "artifact laid out", timeout=60)
        for key in keys:
            await pilot.press(key)
        await pilot.pause()

    return run


@pytest.mark.parametrize("theme", ["loupe-dark", "loupe-light"])
def test_artifact_pane(snap_compare, tmp_path: Path, theme: str) -> None:
    assert snap_compare(artifact_app(tmp_path, theme), terminal_size=SIZE, run_before=open_design())


def test_artifact_pane_contents_and_search(snap_compare, tmp_path: Path) -> None:
    keys = ("slash", *"jitter", "enter", "t")
    assert snap_compare(artifact_app(tmp_path, "loupe-dark"), terminal_size=SIZE, run_before=open_design(*keys))


def test_artifact_pane_with_review_comments(snap_compare, tmp_path: Path) -> None:
    """Comments in the gutter (a draft note, a section comment), the bar listing them, the
    header's count, and a selection of two lines."""
    app = artifact_app(tmp_path, "loupe-dark")
    path = app.workspace.tasks_dir / "retry-backoff" / "04-design.md"
    review = app.services.review
    review.comment_on_lines(path, DESIGN_DOC, 3, 4, "Say which jitter the research recommends")
    review.comment_on_section(path, DESIGN_DOC, 8, "Add the cost of each option")
    assert snap_compare(app, terminal_size=SIZE, run_before=open_design("v", "j"))

"""Changing your mind in an artifact pane: a draft comment edited or deleted (the margin
follows at once), a sent one refused, the whole draft round discarded; and `y` in the
changes view. Real files, the real review store, the real app."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import wait_until
from tests.test_artifact_pane import open_app
from tests.test_review_pane import PLAN, SIZE, make
from tui.docs.snapshots import ReadSnapshots
from widgets.diff_view import DiffLines


async def test_y_copies_the_lines_selected_in_the_changes_view(tmp_path: Path) -> None:
    app, path = make(tmp_path)
    workspace = app.services.workspace
    ReadSnapshots(workspace.data_dir, workspace.root).mark_read(path, PLAN)
    path.write_text(PLAN.replace("Compute the delay from the attempt count.", "Compute the delay, capped."))
    async with app.run_test(size=SIZE) as pilot:
        doc = await open_app(app, pilot)
        await pilot.press("d")
        await wait_until(pilot, lambda: doc.pane.showing_changes, "the changes view")
        lines = doc.pane.query_one(DiffLines)
        await wait_until(pilot, lambda: app.focused is lines, "the changes focused")
        removed = next(i for i, (kind, value) in enumerate(lines._rows)
                       if kind == "line" and getattr(value, "kind", "") == "-")
        lines._cursor_row = removed
        await pilot.press("v", "down", "y")
        await wait_until(pilot, lambda: app.clipboard, "the copy")
        assert app.clipboard == "Compute the delay from the attempt count.\nCompute the delay, capped."

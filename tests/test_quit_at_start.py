"""Quitting as soon as the first screen shows (`loupe DOC.md`, then q at once).

With a file opened at start, the task list, threads, sessions and guard views are mounted
once the document is on screen. A quit in that moment took the screen down under them: the
app crashed on its way out (MountError, exit code 1) instead of quitting."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import wait_until
from tui.app import LoupeApp
from tui.workspace import open_workspace


class QuitsAtOnce(LoupeApp):
    def started(self) -> None:
        super().started()
        self.exit()  # as a q pressed the moment the document shows


async def test_a_quit_the_moment_the_document_shows_quits_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "plan.md"
    path.write_text("# Plan\n\nThe first screen.\n")
    app = QuitsAtOnce(open_workspace(path), remember_theme=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.return_code is not None, "the quit")
    assert app.return_code == 0

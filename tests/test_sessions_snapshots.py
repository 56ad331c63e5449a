"""Snapshots of session tiles (fixed data, no tmux): the grid's look in both themes.

Kept out of tests/test_snapshots.py so it shows only the tiles, not a main screen other
features keep changing."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.containers import Grid

import themes
from widgets.session_tile import SessionTile, TileData

SCREENS = {
    "needs-input": "\x1b[1;32m✔ compiled\x1b[0m 42 files\n\x1b[33mwarning:\x1b[39m unused `x`\n"
                   "Apply this patch to src/parser.rs? [y/n] \n\n\n",
    "working": "".join(f"step {n}: \x1b[35mrunning\x1b[0m cargo test --workspace --all-features\n"
                       for n in range(1, 30)),
    "exited": "Done: 3 files changed\n\x1b[31merror:\x1b[0m 1 test failed\n",
}

TILES = [
    TileData("a1", 0, "claude", "fix parser", "needs-input", elapsed="3m10s", added=42, removed=7,
             screen=SCREENS["needs-input"]),
    TileData("b2", 1, "codex", "build", "working", elapsed="12m04s", added=120, removed=14, queued=1,
             screen=SCREENS["working"]),
    TileData("c3", 2, "loupe", "docs", "exited", exit_code=1, elapsed="1h02m", added=3, removed=0,
             screen=SCREENS["exited"]),
]


class TilesApp(App[None]):
    CSS_PATH = themes.TCSS_PATHS
    CSS = "Grid { grid-size: 3; grid-gutter: 0 1; }"

    def __init__(self, theme: str) -> None:
        super().__init__()
        # The tiles' CSS uses the loupe theme variables, so they must exist before compose.
        for registered in themes.THEMES:
            self.register_theme(registered)
        self.theme = theme

    def compose(self) -> ComposeResult:
        with Grid():
            for data in TILES:
                yield SessionTile(data)

    def on_mount(self) -> None:
        tiles = list(self.query(SessionTile))
        tiles[1].set_marked(True)
        tiles[0].focus()


@pytest.mark.parametrize("theme", ["loupe-dark", "loupe-light"])
def test_session_tiles(snap_compare, theme: str) -> None:
    assert snap_compare(TilesApp(theme), terminal_size=(120, 14))

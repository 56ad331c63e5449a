"""The open tabs file: what is saved comes back; a damaged file is no tabs, never an error."""

from __future__ import annotations

import stat
from pathlib import Path

from tui.docs.open_tabs import OpenTab, OpenTabs, load, save, tabs_file


def test_saved_tabs_come_back_private(tmp_path: Path) -> None:
    state = OpenTabs([OpenTab("artifact", "/w/plan.md", 81), OpenTab("thread", "t1", title="design")], active=1)
    save(tmp_path / "data", state)
    assert load(tmp_path / "data") == state
    assert stat.S_IMODE(tabs_file(tmp_path / "data").stat().st_mode) == 0o600


def test_damaged_files_are_no_tabs(tmp_path: Path) -> None:
    assert load(tmp_path) == OpenTabs()  # none yet
    tabs_file(tmp_path).write_text("{not json")
    assert load(tmp_path) == OpenTabs()
    tabs_file(tmp_path).write_text('{"tabs": [{"kind": "shell", "target": "rm -rf /"}, '
                                   '{"kind": "code", "target": "/w/a.py", "line": "x"}, 7], "active": 9}')
    assert load(tmp_path) == OpenTabs([OpenTab("code", "/w/a.py", None)], None)

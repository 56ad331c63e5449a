"""Snapshot of the guard log. Here rather than in tests/test_snapshots.py so it shows only
the guard's own screen, not a main screen other features keep changing."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from textual.app import App

import themes
from tui.dialogs.guard_log import AuditScreen
from tui.guard.refusal import append

SIZE = (110, 30)

REFUSALS = [
    {
        "time": "2026-01-02T09:15:00Z", "session": "agent-3", "directory": "/work/quarry",
        "command": ["git", "-c", "alias.sync=!git push --no-verify -f origin main", "sync"],
        "refused": ["git", "push", "--no-verify", "-f", "origin", "main"], "remote": None, "refs": [],
        "reason": "--no-verify skips the pre-push check that protects remote history.", "what": "--no-verify",
    },
    {
        "time": "2026-01-02T10:42:07Z", "session": "claude-1", "directory": "/work/quarry",
        "command": ["git", "push", "-f", "origin", "main"], "remote": "origin",
        "refs": [
            {"ref": "refs/heads/main", "change": "non-fast-forward", "old": "9367288b98af1", "new": "02fed03ac02c1"},
            {"ref": "refs/tags/v1", "change": "tag-move", "old": "a", "new": "b"},
        ],
        "reason": "this push would rewrite or delete history on the remote.",
    },
]


class AuditApp(App[None]):
    CSS_PATH = themes.TCSS_PATHS

    def __init__(self, log: Path) -> None:
        super().__init__()
        self.audit_log = log

    def on_mount(self) -> None:
        for theme in themes.THEMES:
            self.register_theme(theme)
        self.theme = "loupe-dark"
        self.push_screen(AuditScreen(self.audit_log))


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_guard_log(snap_compare, tmp_path: Path, utc: None) -> None:  # type: ignore[no-untyped-def]
    log = tmp_path / "audit.jsonl"
    for record in REFUSALS:
        append(str(log), record)

    async def loaded(pilot) -> None:  # type: ignore[no-untyped-def]
        while pilot.app.screen.query_one("DataTable").row_count < len(REFUSALS):
            await pilot.pause(0.05)

    assert snap_compare(AuditApp(log), terminal_size=SIZE, run_before=loaded)

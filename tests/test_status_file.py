from __future__ import annotations

from pathlib import Path

import pytest

from tui.sessions.status_file import ENV_VAR, State, Status, read_status, write_from_env, write_status


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "s" / "status.json"
    write_status(path, Status(State.NEEDS_INPUT, event="Notification", source="claude-hook"))
    status = read_status(path)
    assert status is not None
    assert status.state is State.NEEDS_INPUT
    assert status.event == "Notification"
    assert status.time > 0
    assert [p.name for p in path.parent.iterdir()] == ["status.json"]


def test_unreadable_or_garbage_is_none(tmp_path: Path) -> None:
    assert read_status(tmp_path / "missing.json") is None
    (tmp_path / "bad.json").write_text('{"state": "dancing"}')
    assert read_status(tmp_path / "bad.json") is None


def test_write_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert write_from_env(State.IDLE, source="loupe-agent") is False
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "st.json"))
    assert write_from_env(State.EXITED, source="loupe-agent", exit_code=3) is True
    status = read_status(tmp_path / "st.json")
    assert status is not None and status.state is State.EXITED and status.exit_code == 3

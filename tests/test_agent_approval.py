"""--approval on-request: the terminal question, needs-input while waiting, the answers."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from tui.agent.approval import TerminalApprover
from tui.agent.status import StatusReporter
from tui.agent.transcript import Transcript
from tui.sessions.status_file import ENV_VAR, State, read_status


def approver(answers: str) -> tuple[TerminalApprover, io.StringIO, list[tuple[State, str]]]:
    seen: list[tuple[State, str]] = []
    out = io.StringIO()
    status = StatusReporter(listener=lambda state, event: seen.append((state, event)))
    status.working("start")
    return TerminalApprover(Transcript(out, colour=False), status, io.StringIO(answers)), out, seen


def test_yes_no_and_status_while_waiting() -> None:
    ask, out, seen = approver("y\nn\n")
    assert ask(["pytest", "-q"], ".") is True
    assert ask(["rm", "-rf", "build"], "sub") is False
    assert out.getvalue() == (
        "Run `pytest -q`? [y]es / [n]o / [a]lways: "
        "Run `rm -rf build` in sub? [y]es / [n]o / [a]lways: "
    )
    assert [s for s, _ in seen] == [State.WORKING, State.NEEDS_INPUT, State.WORKING, State.NEEDS_INPUT, State.WORKING]


def test_always_stops_asking_and_junk_asks_again() -> None:
    ask, out, _ = approver("what?\nalways\n")
    assert ask(["make"], ".") is True
    assert ask(["make", "test"], ".") is True
    assert out.getvalue().count("[y]es") == 2  # asked twice for the first command, never again


def test_closed_input_declines() -> None:
    ask, out, _ = approver("")
    assert ask(["make"], ".") is False
    assert "no answer (input closed): declined" in out.getvalue()


def test_status_file_written_on_changes_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "status.json"
    monkeypatch.setenv(ENV_VAR, str(target))
    status = StatusReporter()
    status.working("start")
    first = target.stat().st_mtime_ns
    json_before = target.read_text()
    status.working("tool-call")  # same state: not rewritten
    assert target.read_text() == json_before and target.stat().st_mtime_ns == first
    status.needs_input("approval", detail="run make?")
    assert read_status(target).state == State.NEEDS_INPUT
    assert read_status(target).detail == "run make?"
    status.exited(3, detail="model error")
    record = json.loads(target.read_text())
    assert record["state"] == "exited" and record["exit_code"] == 3 and record["source"] == "loupe-agent"

"""Reading the audit log: tolerant of damage, incremental, and safe against truncation."""

from __future__ import annotations

import json
from pathlib import Path

from tui.guard.audit import read_entries, read_from
from tui.guard.refusal import append

RECORD = {
    "time": "2026-01-02T03:04:05Z",
    "session": "agent-1",
    "directory": "/work/x",
    "command": ["git", "push", "-f"],
    "remote": "origin",
    "refs": [{"ref": "refs/heads/main", "change": "non-fast-forward", "old": "a", "new": "b"}],
    "reason": "this push would rewrite history",
}


def test_round_trip_through_append(tmp_path: Path) -> None:
    log = tmp_path / "deep" / "audit.jsonl"
    append(str(log), RECORD)
    append(str(log), {**RECORD, "session": None})
    first, second = read_entries(log)
    assert first.session == "agent-1" and second.session is None
    assert first.command_line == "git push -f"
    assert first.ref_names == ["refs/heads/main"]
    assert first.to_json()["refs"] == RECORD["refs"]


def test_damaged_lines_are_skipped(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    log.write_text("not json\n[1, 2]\n" + json.dumps(RECORD) + "\n{\"command\": \"git push\"}\n")
    entries = read_entries(log)
    assert [entry.session for entry in entries] == ["agent-1", None]
    assert entries[1].command == ["git push"]


def test_incremental_reads_leave_a_partial_line_for_later(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    line = json.dumps(RECORD) + "\n"
    log.write_text(line + line[:20])
    entries, offset = read_from(log, 0)
    assert len(entries) == 1 and offset == len(line)
    with log.open("a") as handle:
        handle.write(line[20:])
    entries, offset = read_from(log, offset)
    assert len(entries) == 1 and offset == 2 * len(line)
    assert read_from(log, offset) == ([], offset)


def test_a_truncated_log_is_read_from_the_start(tmp_path: Path) -> None:
    log = tmp_path / "audit.jsonl"
    line = json.dumps(RECORD) + "\n"
    log.write_text(line * 3)
    _, offset = read_from(log, 0)
    log.write_text(line)
    entries, new_offset = read_from(log, offset)
    assert len(entries) == 1 and new_offset == len(line)
    assert read_from(tmp_path / "missing.jsonl", 10) == ([], 0)

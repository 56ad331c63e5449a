"""Issue 12, item 11: `loupe session start` is all or nothing, and concurrent starts on one
task each take the next free number.

Real CLI processes: one SIGKILLed at a pause point inside the start
(`tui.sessions.pausepoints`), and a dozen started at once on one task.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.sessions import SessionsHarness
from tests.test_sessions_killed import cli_config, killed_when, loupe  # noqa: F401 - a fixture
from tui.locations import loupe_command
from tui.sessions import pausepoints
from tui.sessions.worktrees import worktrees_dir

pytestmark = pytest.mark.slow


def _branches(sessions: SessionsHarness) -> list[str]:
    listed = sessions.repo.git("branch", "--list", "loupe/*", "--format=%(refname:short)").stdout
    return sorted(listed.split())


def _worktrees(sessions: SessionsHarness) -> list[str]:
    folder = worktrees_dir(sessions.repo.path)
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize("step", ["start:worktree-created", "start:launching"])
def test_a_start_killed_half_way_is_listed_then_removed_whole(
        sessions: SessionsHarness, cli_config: None, tmp_path: Path, step: str) -> None:  # noqa: F811
    marker = tmp_path / "paused"
    env = {**os.environ, pausepoints.STEP_ENV: step, pausepoints.MARKER_ENV: str(marker)}
    with killed_when(marker, sessions.repo.path, "start", "--agent", "shell", "--task", "half", env=env):
        pass
    made = _worktrees(sessions)
    assert made == ["half-1"] and _branches(sessions) == ["loupe/half/1"]

    listed = loupe(sessions.repo.path, "list", "--json", "--no-diff")
    assert listed.returncode == 0, listed.stderr
    records = json.loads(listed.stdout)
    assert [r["branch"] for r in records] == ["loupe/half/1"], records
    assert records[0]["state"] == "exited" and "interrupted" in records[0]["detail"], records

    removed = loupe(sessions.repo.path, "rm", str(records[0]["number"]))
    assert removed.returncode == 0, removed.stderr
    assert _worktrees(sessions) == [] and _branches(sessions) == []


def test_a_dozen_concurrent_starts_on_one_task_all_start_with_distinct_numbers(
        sessions: SessionsHarness, cli_config: None) -> None:  # noqa: F811
    count = 12
    processes = [subprocess.Popen([*loupe_command(), "session", "start", "--agent", "shell",
                                   "--task", "crowd", "--json"],
                                  cwd=sessions.repo.path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                  text=True, start_new_session=True)
                 for _ in range(count)]
    results = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=300)
        results.append((process.returncode, stdout, stderr))
    failed = [r for r in results if r[0] != 0]
    assert not failed, failed
    started = [json.loads(stdout) for _, stdout, _ in results]
    assert sorted(s["number"] for s in started) == list(range(count))
    assert len({s["branch"] for s in started}) == count
    assert sorted(_branches(sessions)) == sorted(f"loupe/crowd/{n}" for n in range(1, count + 1))
    assert len(sessions.manager.sessions()) == count

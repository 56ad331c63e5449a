"""A session start on an SSH host killed while the host makes its worktree: the worktree and
branch made there are still taken back whole (issue 12's all-or-nothing start, on a host).

The far side is paused at a test-only pause point (`tui.sessions.pausepoints`, set in the
environment sshd gives logins) once the worktree exists and before its names travel back;
the local `loupe session start` is then SIGKILLed, as a closed laptop lid or ctrl+c would.
"""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest

from tests.fixtures.git import git
from tests.fixtures.remote_sessions import HOST, RemoteHarness
from tests.test_remote_sessions import loupe, write_user_config
from tests.test_sessions_killed import killed_when
from tui.sessions import pausepoints

pytestmark = pytest.mark.slow


def _far_worktrees(harness: RemoteHarness) -> list[Path]:
    return list((harness.remote_data / "repos").glob("*/worktrees/*"))


def test_a_start_killed_while_the_host_makes_its_worktree_is_removed_whole(
        remote_sessions: RemoteHarness, tmp_path: Path) -> None:
    harness = remote_sessions
    write_user_config(harness)
    marker = tmp_path / "paused"
    server = harness.sshd.server
    server.set_remote_env(**{pausepoints.STEP_ENV: "host-op:worktree-created", pausepoints.MARKER_ENV: str(marker)})
    server.stop()
    server.start()
    try:
        with killed_when(marker, harness.repo.path, "start", "--host", HOST, "--agent", "shell", "--task", "half",
                         env=dict(os.environ)):
            pass
        # The far side's `loupe host-op`, paused where the marker says.
        os.kill(int(marker.read_text()), signal.SIGKILL)
    finally:
        server.set_remote_env(**{pausepoints.STEP_ENV: None, pausepoints.MARKER_ENV: None})
        server.stop()
        server.start()
    assert len(_far_worktrees(harness)) == 1
    assert "loupe/half/1" in git(harness.clone, "branch", "--list", "loupe/*").stdout

    listed = loupe(harness.repo.path, "list", "--json", "--no-diff")
    assert listed.returncode == 0, listed.stderr
    records = json.loads(listed.stdout)
    assert len(records) == 1 and "interrupted" in records[0]["detail"], records

    removed = loupe(harness.repo.path, "rm", str(records[0]["number"]))
    assert removed.returncode == 0, removed.stderr
    assert _far_worktrees(harness) == []
    assert git(harness.clone, "worktree", "list", "--porcelain").stdout.count("worktree ") == 1
    assert git(harness.clone, "branch", "--list", "loupe/*").stdout.strip() == ""

"""What crosses between loupe and `loupe host-op` on a session's host: JSON both ways, built
again into the same values, and errors raised again by name."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.git import RepoWithRemote
from tests.test_sessions_units import _session
from tui.diffs import DiffLine, FileDiff, Hunk
from tui.locations import loupe_command
from tui.sessions import wire
from tui.sessions.diff import SessionDiff
from tui.sessions.errors import LandRefused, SessionError
from tui.sessions.host import Launch
from tui.sessions.land import LandPlan
from tui.sessions.worktrees import Risk


def round_trip(value: object) -> object:
    return wire.from_wire(type(value), json.loads(json.dumps(wire.to_wire(value))))


def test_results_come_back_as_the_same_values(tmp_path: Path) -> None:
    line = DiffLine("+", "new ✓", None, 3)
    diff = SessionDiff(base="b" * 40, commits=2, patch="+new ✓\n", truncated=True, files=(
        FileDiff("a.txt", "modified", (Hunk(1, 2, 1, 3, (line, DiffLine(" ", "same", 1, 1)), "def f():"),),
                 added=1, old_path="old.txt", notes=("mode 100644 → 100755",)),))
    plan = LandPlan(mode="merge", onto="main", onto_tip="1" * 40, tip="2" * 40, commits=(("3" * 40, "fix"),),
                    uncommitted=("x",), conflicts=(), checked_out_in=tmp_path / "checkout", fast_forward=False)
    # Hooks as the starter gives them (lists): an opencode session's plugin hook crosses too.
    launch = Launch(command="sh run.sh", env={"K": "v"}, claude_hook=[], opencode_hook=["loupe", "hook", "ab12"],
                    size=(80, 24))
    for value in (diff, plan, launch, Risk("live", "running"), _session(tmp_path, "ab12cd")):
        assert round_trip(value) == value
    assert round_trip(LandPlan(**{**plan.__dict__, "checked_out_in": None})).checked_out_in is None


def test_a_session_names_the_clone_on_each_side(tmp_path: Path) -> None:
    session = _session(tmp_path / "here", "ab12cd")
    sent = wire.session_to_wire(session, "~/src/app")
    assert sent["repo"] == "~/src/app"
    there = wire.session_from_wire(sent, Path("/home/me/src/app"))
    assert there.repo == Path("/home/me/src/app") and there.worktree == session.worktree


def test_errors_are_raised_again_by_name_and_say_where() -> None:
    with pytest.raises(LandRefused, match="^on box: conflicts in a.txt$"):
        wire.raise_error(wire.error_to_wire(LandRefused("conflicts in a.txt")), "on box")
    with pytest.raises(SessionError, match="on box: odd"):
        wire.raise_error({"error": {"type": "SystemExit", "message": "odd"}}, "on box")
    wire.raise_error({"result": None}, "on box")
    with pytest.raises(wire.WireError, match="not a DiffStat"):
        from tui.sessions.diff import DiffStat

        wire.from_wire(DiffStat, {"files": "many", "added": 1, "removed": 0})


def host_op(cwd: Path, op: str, request: dict[str, object]) -> tuple[int, dict[str, object], str]:
    done = subprocess.run([*loupe_command(), "host-op", op], cwd=cwd, input=json.dumps(request),
                          capture_output=True, text=True, timeout=60, env=os.environ)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    return done.returncode, json.loads(lines[-1]) if lines else {}, done.stderr


def test_host_op_answers_in_json_and_refuses_another_protocol(repo: RepoWithRemote, tmp_path: Path) -> None:
    code, answer, _ = host_op(tmp_path, "resolve-base", {"protocol": wire.PROTOCOL, "repo": str(repo.path),
                                                         "base": "main"})
    assert code == 0
    assert answer["result"] == {"commit": repo.git("rev-parse", "main").stdout.strip(), "branch": "main"}
    code, answer, _ = host_op(tmp_path, "resolve-base", {"protocol": wire.PROTOCOL, "repo": str(tmp_path),
                                                         "base": "main"})
    assert code == 1 and answer["error"]["type"] == "WorktreeError"
    assert "is not a git repository on this host" in answer["error"]["message"]
    code, answer, _ = host_op(tmp_path, "info", {"protocol": wire.PROTOCOL + 1, "repo": str(repo.path)})
    assert code == 1 and "install the same loupe version on both machines" in answer["error"]["message"]
    code, _, said = host_op(tmp_path, "format-disk", {"protocol": wire.PROTOCOL})
    assert code == 2 and "OP is one of info," in said


def test_host_op_is_not_listed_in_help() -> None:
    done = subprocess.run([*loupe_command(), "--help"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and "host-op" not in done.stdout

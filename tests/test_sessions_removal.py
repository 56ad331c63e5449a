"""Removing a session can never lose work unless the user confirms, and never touches
anything but the session's own worktree."""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from tests.fixtures.sessions import SessionsHarness
from tui.sessions.errors import RemovalRefused, WorktreeError
from tui.sessions.status_file import State
from tui.sessions.worktrees import delete_worktree

pytestmark = pytest.mark.slow

QUIET = "touch .started\nexit 0\n"


def _started_and_exited(sessions: SessionsHarness, body: str = QUIET):
    kind = sessions.script_kind("quiet", body)
    session = sessions.start(kind)
    sessions.wait_state(session, State.EXITED)
    (session.worktree / ".started").unlink(missing_ok=True)
    return session


def _assert_refused_then_kept(sessions: SessionsHarness, session, kind: str) -> None:
    risks = sessions.manager.removal_risks(session)
    assert kind in [r.kind for r in risks], risks
    with pytest.raises(RemovalRefused, match="not removing session"):
        sessions.manager.remove(session)
    assert session.worktree.is_dir()
    assert sessions.manager.sessions()[0].id == session.id


def test_nothing_to_lose_removes_and_keeps_branch(sessions: SessionsHarness) -> None:
    session = _started_and_exited(sessions)
    assert sessions.manager.removal_risks(session) == []
    result = sessions.manager.remove(session)
    assert result.saved_ref is None
    assert not session.worktree.exists()
    assert session.branch in sessions.repo.git("branch", "--list", session.branch).stdout
    assert sessions.manager.sessions() == []


def test_uncommitted_changes_refused_unless_confirmed_then_saved(sessions: SessionsHarness) -> None:
    session = _started_and_exited(sessions)
    (session.worktree / "README.md").write_text("edited by the agent\n")
    _assert_refused_then_kept(sessions, session, "uncommitted")
    result = sessions.manager.remove(session, confirm=True)
    assert result.saved_ref == f"refs/loupe/removed/{session.id}"
    saved = sessions.repo.git("show", f"{result.saved_ref}:README.md").stdout
    assert saved == "edited by the agent\n"
    assert not session.worktree.exists()


def test_untracked_files_refused_unless_confirmed_then_saved(sessions: SessionsHarness) -> None:
    session = _started_and_exited(sessions)
    (session.worktree / "notes").mkdir()
    (session.worktree / "notes" / "plan.md").write_text("# plan\n")
    _assert_refused_then_kept(sessions, session, "untracked")
    result = sessions.manager.remove(session, confirm=True)
    assert sessions.repo.git("show", f"{result.saved_ref}:notes/plan.md").stdout == "# plan\n"


def test_commits_on_no_other_branch_refused(sessions: SessionsHarness) -> None:
    session = _started_and_exited(sessions, "echo x > x.txt\ngit add x.txt\ngit commit -q -m x\n")
    risks = sessions.manager.removal_risks(session)
    assert [r.kind for r in risks] == ["unmerged"]
    assert session.branch in risks[0].message
    _assert_refused_then_kept(sessions, session, "unmerged")
    # Once another branch has the commit, nothing would be lost.
    sessions.repo.git("branch", "keep-x", session.branch)
    assert sessions.manager.removal_risks(session) == []


def test_squash_merged_work_is_not_counted_as_unmerged(sessions: SessionsHarness) -> None:
    session = _started_and_exited(sessions, "echo x > x.txt\ngit add x.txt\ngit commit -q -m x\n")
    sessions.repo.git("merge", "--squash", "-q", session.branch)
    sessions.repo.git("commit", "-q", "-m", "squashed")
    assert sessions.manager.removal_risks(session) == []


def test_detached_head_commits_are_flagged(sessions: SessionsHarness) -> None:
    session = _started_and_exited(sessions, "git checkout -q --detach\necho y > y.txt\n"
                                            "git add y.txt\ngit commit -q -m y\n")
    kinds = [r.kind for r in sessions.manager.removal_risks(session)]
    assert kinds == ["detached"]


def test_live_session_refused_unless_confirmed_then_stopped(sessions: SessionsHarness) -> None:
    kind = sessions.script_kind("alive", "echo running\nsleep 300\n")
    session = sessions.start(kind)
    sessions.wait_screen(session, "running")
    _assert_refused_then_kept(sessions, session, "live")
    sessions.manager.remove(session, confirm=True)
    assert not session.worktree.exists()
    assert not sessions.manager.tmux(session.tmux_socket).has_session(session.tmux_session)


def test_never_deletes_a_folder_that_is_not_the_worktree(sessions: SessionsHarness, tmp_path: Path) -> None:
    session = _started_and_exited(sessions)
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "keep.txt").write_text("do not delete\n")
    # A record pointing elsewhere (tampered store, moved data folder) must be refused.
    for target in (precious, sessions.repo.path):
        with pytest.raises(WorktreeError, match="refusing to delete"):
            delete_worktree(dataclasses.replace(session, worktree=target))
    assert (precious / "keep.txt").exists()
    assert (sessions.repo.path / "README.md").exists()
    # A folder in the right place that is a different worktree's is refused as well.
    impostor = session.worktree.parent / "impostor"
    impostor.mkdir()
    (impostor / ".git").write_text(f"gitdir: {sessions.repo.path}/.git/worktrees/other\n")
    with pytest.raises(WorktreeError, match="belongs to"):
        delete_worktree(dataclasses.replace(session, worktree=impostor))
    assert impostor.exists()
    (impostor / ".git").unlink()
    impostor.rmdir()


def test_removed_worktree_folder_already_gone_is_fine(sessions: SessionsHarness) -> None:
    session = _started_and_exited(sessions)
    shutil.rmtree(session.worktree)
    sessions.manager.remove(session)
    assert sessions.repo.git("worktree", "list", "--porcelain").stdout.count("worktree ") == 1

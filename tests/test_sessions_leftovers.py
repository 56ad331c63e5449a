"""What removing a worktree counts as work, and how `--force` saves it: ignored files (unless
disposable), nested repositories with their history, and commits on a detached HEAD."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.git import git
from tests.fixtures.sessions import SessionsHarness
from tui import locations
from tui.sessions import cli
from tui.sessions.errors import RemovalRefused
from tui.sessions.model import Session
from tui.sessions.status_file import State
from tui.sessions.worktrees import save_leftovers

pytestmark = pytest.mark.slow


def _exited(sessions: SessionsHarness, body: str = "exit 0\n") -> Session:
    session = sessions.start(sessions.script_kind("once", body))
    sessions.wait_state(session, State.EXITED)
    return session


def _ignore(sessions: SessionsHarness, patterns: str) -> None:
    sessions.repo.commit_file(".gitignore", patterns, "ignore build output")


def _write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _saved_files(sessions: SessionsHarness, ref: str) -> list[str]:
    return sessions.repo.git("ls-tree", "-r", "--name-only", ref).stdout.split()


def _reachable(sessions: SessionsHarness) -> str:
    """Every object some ref keeps (what `git gc` would keep, reflogs aside)."""
    return sessions.repo.git("rev-list", "--objects", "--all").stdout


def test_ignored_files_are_work_unless_disposable(sessions: SessionsHarness) -> None:
    _ignore(sessions, "build/\nnode_modules/\n__pycache__/\n*.log\n")
    session = _exited(sessions)
    _write(session.worktree, "build/NOTES-IGNORED.md", "findings\n")
    _write(session.worktree, "debug.log", "trace\n")
    _write(session.worktree, "node_modules/pkg/index.js", "module.exports = 1\n")
    _write(session.worktree, "src/__pycache__/m.cpython-311.pyc", "bytecode")
    risks = sessions.manager.removal_risks(session)
    assert [r.kind for r in risks] == ["ignored"]
    assert "build/NOTES-IGNORED.md" in risks[0].message and "debug.log" in risks[0].message
    assert "node_modules" not in risks[0].message and "pycache" not in risks[0].message
    with pytest.raises(RemovalRefused, match="ignored"):
        sessions.manager.remove(session)
    assert (session.worktree / "build/NOTES-IGNORED.md").exists()

    ref = sessions.manager.remove(session, confirm=True).saved_ref
    assert ref is not None
    assert sessions.repo.git("show", f"{ref}:build/NOTES-IGNORED.md").stdout == "findings\n"
    assert sorted(_saved_files(sessions, ref)) == [".gitignore", "README.md", "build/NOTES-IGNORED.md",
                                                   "debug.log"]


def test_disposable_patterns_come_from_config(sessions: SessionsHarness) -> None:
    _ignore(sessions, "build/\ntarget/\n")
    sessions.manager.config.sessions.disposable = ["target/"]
    session = _exited(sessions)
    _write(session.worktree, "target/debug/app", "binary")
    assert sessions.manager.removal_risks(session) == []
    _write(session.worktree, "build/out.txt", "kept\n")
    assert [r.kind for r in sessions.manager.removal_risks(session)] == ["ignored"]
    assert sessions.manager.remove(session, confirm=True).saved_ref is not None


def test_ignored_copies_of_the_main_checkout_are_not_work(sessions: SessionsHarness) -> None:
    _ignore(sessions, ".env\n")
    (sessions.repo.path / ".env").write_text("SECRET=1\n")
    (sessions.repo.path / ".worktreeinclude").write_text(".env\n")
    session = _exited(sessions)
    assert (session.worktree / ".env").read_text() == "SECRET=1\n"
    assert sessions.manager.removal_risks(session) == []
    # Changed by the agent, it is the agent's work.
    (session.worktree / ".env").write_text("SECRET=2\n")
    risks = sessions.manager.removal_risks(session)
    assert [r.kind for r in risks] == ["ignored"] and ".env" in risks[0].message


def test_dry_run_lists_ignored_files(sessions: SessionsHarness, capsys: pytest.CaptureFixture[str]) -> None:
    config = locations.user_config_file()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'[sessions]\ntmux_socket = "{sessions.socket}"\n')
    _ignore(sessions, "build/\n")
    session = _exited(sessions)
    _write(session.worktree, "build/NOTES-IGNORED.md", "findings\n")
    assert cli.main(["--repo", str(sessions.repo.path), "rm", session.id, "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "nothing would be lost" not in out and "build/NOTES-IGNORED.md" in out
    assert cli.main(["--repo", str(sessions.repo.path), "rm", session.id]) == 1
    assert session.worktree.exists()


def _nested_repo(path: Path, files: dict[str, str], *, commit: bool) -> str | None:
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", "trunk")
    for name, text in files.items():
        _write(path, name, text)
    if not commit:
        return None
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", "nested work")
    return git(path, "rev-parse", "HEAD").stdout.strip()


def test_nested_repositories_are_saved_with_their_history(sessions: SessionsHarness) -> None:
    session = _exited(sessions)
    head = _nested_repo(session.worktree / "sub", {"lib.txt": "nested history\n"}, commit=True)
    _write(session.worktree, "sub/wip.txt", "nested, not committed\n")
    _nested_repo(session.worktree / "fresh", {"draft.txt": "no commit yet\n"}, commit=False)
    risks = sessions.manager.removal_risks(session)
    assert [r.kind for r in risks] == ["nested"]
    assert "sub" in risks[0].message and "fresh" in risks[0].message

    ref = sessions.manager.remove(session, confirm=True).saved_ref
    assert ref is not None
    entries = {line.split("\t")[1]: line.split()[:3]
               for line in sessions.repo.git("ls-tree", ref).stdout.splitlines()}
    assert entries["sub"][:2] == ["160000", "commit"]
    saved_sub = entries["sub"][2]
    show = sessions.repo.git
    assert show("show", f"{saved_sub}:wip.txt").stdout == "nested, not committed\n"
    assert show("show", f"{saved_sub}:lib.txt").stdout == "nested history\n"
    assert show("merge-base", "--is-ancestor", head, saved_sub, check=False).returncode == 0
    saved_fresh = entries["fresh"][2]
    assert show("show", f"{saved_fresh}:draft.txt").stdout == "no commit yet\n"
    reachable = _reachable(sessions)
    assert saved_sub in reachable and head in reachable and saved_fresh in reachable


def test_detached_head_commits_are_saved(sessions: SessionsHarness) -> None:
    session = _exited(sessions, "git checkout -q --detach\necho y > y.txt\n"
                                "git add y.txt\ngit commit -q -m 'on no branch'\n")
    detached = git(session.worktree, "rev-parse", "HEAD").stdout.strip()
    assert [r.kind for r in sessions.manager.removal_risks(session)] == ["detached"]
    ref = sessions.manager.remove(session, confirm=True).saved_ref
    assert ref is not None
    assert sessions.repo.git("merge-base", "--is-ancestor", detached, ref, check=False).returncode == 0
    assert detached in _reachable(sessions)


def test_a_second_save_never_overwrites_the_first(sessions: SessionsHarness) -> None:
    session = _exited(sessions)
    (session.worktree / "plan.md").write_text("first draft\n")
    ref = save_leftovers(session)
    assert ref is not None
    first = sessions.repo.git("rev-parse", ref).stdout.strip()
    (session.worktree / "plan.md").write_text("second draft\n")
    assert save_leftovers(session) == ref
    assert sessions.repo.git("show", f"{ref}:plan.md").stdout == "second draft\n"
    assert sessions.repo.git("rev-parse", f"{ref}^2").stdout.strip() == first
    # Saving what is already saved makes no new commit.
    second = sessions.repo.git("rev-parse", ref).stdout.strip()
    assert save_leftovers(session) == ref
    assert sessions.repo.git("rev-parse", ref).stdout.strip() == second

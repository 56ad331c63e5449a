"""The guard holds in a real session whichever way the agent reaches git (issue 11).

Codex runs every command with `bash -lc`, and Debian's /etc/profile resets PATH, so the
agent's `git` there is /usr/bin/git, not the guard's shim. The session's worktree has its own
pre-push protection in worktree-scoped git config, so every path meets the same check.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.fixtures.git import git
from tests.fixtures.guard import PROFILE_PATH, login_home
from tests.fixtures.sessions import SessionsHarness
from tui.guard.audit import read_entries
from tui.guard.findgit import find_real_git
from tui.locations import data_dir

pytestmark = pytest.mark.slow


def test_every_way_to_git_meets_the_guard(
    sessions: SessionsHarness, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(login_home(tmp_path)))
    real_git = find_real_git()
    report = tmp_path / "report.txt"
    before = sessions.repo.remote_refs()
    kind = sessions.script_kind("forcer", f"""\
        git checkout -q --orphan rewritten
        git commit -q --allow-empty -m "history rewritten"
        r={report}
        {real_git} push -q -f origin HEAD:main; echo "absolute $?" >> $r
        env -i {real_git} push -q -f origin HEAD:main; echo "env-i $?" >> $r
        bash -lc 'echo "login-git $(command -v git)"; git push -q -f origin HEAD:main' >> $r; echo "login $?" >> $r
        env -u BASH_ENV bash -lc 'echo "bare-login-git $(command -v git)"; git push -q -f origin HEAD:main' >> $r
        echo "bare-login $?" >> $r
        git push -q -f origin HEAD:main; echo "shim $?" >> $r
        echo finished
        read x
    """)
    session = sessions.start(kind)
    sessions.wait_screen(session, "finished", timeout=60)
    lines = dict(line.split(" ", 1) for line in report.read_text().splitlines())
    assert sessions.repo.remote_refs() == before, lines
    for path in ("absolute", "env-i", "login", "bare-login", "shim"):
        assert lines[path] == "1", (path, lines)
    # The shim survives the login profile through BASH_ENV; without it, git is the real one.
    assert "guard-" in lines["login-git"] and lines["login-git"].endswith("/bin/git"), lines
    assert lines["bare-login-git"] == shutil.which("git", path=PROFILE_PATH), lines
    refusals = [entry for entry in read_entries() if entry.refs]
    assert len(refusals) == 5, refusals
    assert {entry.session for entry in refusals} == {session.id}
    assert {entry.ref_names[0] for entry in refusals} == {"refs/heads/main"}


def test_removing_a_session_leaves_only_the_extension_behind(sessions: SessionsHarness) -> None:
    import pygit2

    def repository_config() -> list[str]:
        return sessions.repo.git("config", "--file", ".git/config", "--list").stdout.splitlines()

    before = repository_config()
    kind = sessions.script_kind("waiter", "echo waiting\nread x\n")
    first = sessions.start(kind)
    hooks = git(first.worktree, "config", "core.hooksPath").stdout.strip()
    assert hooks.startswith(str(data_dir() / "guard")) and hooks.endswith("/hooks")
    assert git(first.worktree, "config", "loupe.session").stdout.strip() == first.id
    second = sessions.start(kind, task="second")
    assert git(second.worktree, "config", "loupe.session").stdout.strip() == second.id
    for session in (first, second):
        sessions.manager.remove(session, confirm=True)
    assert repository_config() == [*before, "extensions.worktreeconfig=true"]
    assert not (sessions.repo.path / ".git" / "worktrees").exists() or not any(
        (sessions.repo.path / ".git" / "worktrees").iterdir()
    )
    assert not (sessions.repo.path / ".git" / "config.worktree").exists()
    assert sessions.repo.git("config", "--get", "core.hooksPath", check=False).returncode == 1
    assert pygit2.Repository(str(sessions.repo.path)).status() == {}
    assert sessions.repo.git("status", "--porcelain").stdout == ""

"""The guard's layers: a protected worktree refuses a force push whichever git runs it.

Each case runs a real git in a real linked worktree whose own config points at the guard's
hooks (`protect_worktree`), pushing to a real bare remote: through the PATH shim, by
absolute path, from `bash -lc` whose profile resets PATH (as Debian's /etc/profile does),
and under `env -i`. A refusal leaves the remote's refs byte-identical and names the session
in the audit log; fast-forwards land by every path.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fixtures.git import RepoWithRemote, git
from tests.fixtures.guard import GuardInstall, login_home
from tui.guard.findgit import find_real_git
from tui.guard.install import hooks_folder
from tui.guard.login_shells import startup_env
from tui.guard.worktree_config import GuardWorktreeError, protect_worktree

SESSION = "layers-7"
REAL_GIT = str(find_real_git())


def worktree_of(repo: RepoWithRemote, name: str = "session-wt") -> Path:
    path = repo.path.parent / name
    repo.git("worktree", "add", "-q", "-b", f"loupe/{name}/1", str(path))
    return path


@pytest.fixture
def protected(repo: RepoWithRemote, guard_install: GuardInstall) -> Path:
    path = worktree_of(repo)
    protect_worktree(path, hooks_folder(guard_install.bin), SESSION)
    return path


Runner = Callable[[Path, str], subprocess.CompletedProcess[str]]


def runners(guard: GuardInstall, home: Path) -> dict[str, Runner]:
    """Every way an agent's command reaches git; each runs `git <args>` in a folder."""
    session_shell = {**startup_env(guard.bin, os.environ), "HOME": str(home)}

    def run(argv: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=60)

    return {
        "path-shim": lambda cwd, args: run(["/bin/sh", "-c", f"git {args}"], cwd, guard.env()),
        "absolute-path": lambda cwd, args: run(["/bin/sh", "-c", f"{REAL_GIT} {args}"], cwd, guard.env(guarded=False)),
        "bash-login-shell": lambda cwd, args: run(["bash", "-lc", f"git {args}"], cwd, guard.env(session_shell)),
        "bash-login-shell-no-bash-env": lambda cwd, args: run(
            ["bash", "-lc", f"git {args}"], cwd, guard.env({"HOME": str(home)})
        ),
        "env-i": lambda cwd, args: run(["/bin/sh", "-c", f"env -i {REAL_GIT} {args}"], cwd, guard.env()),
    }


PATHS = ["path-shim", "absolute-path", "bash-login-shell", "bash-login-shell-no-bash-env", "env-i"]


@pytest.mark.parametrize("path", PATHS)
def test_force_push_is_refused_by_every_path(
    path: str, repo: RepoWithRemote, protected: Path, guard_install: GuardInstall, tmp_path: Path
) -> None:
    git(protected, "checkout", "-q", "--orphan", "rewritten")
    git(protected, "commit", "-q", "--allow-empty", "-m", "history rewritten")
    before = repo.remote_refs()
    audited = len(guard_install.audit_lines())
    pushed = runners(guard_install, login_home(tmp_path))[path](protected, "push -f origin HEAD:main")
    assert pushed.returncode == 1, pushed.stderr
    assert repo.remote_refs() == before
    assert "loupe guard: refused" in pushed.stderr
    assert "refs/heads/main: non-fast-forward" in pushed.stderr
    assert "git fetch origin && git rebase" in pushed.stderr
    lines = guard_install.audit_lines()[audited:]
    assert len(lines) == 1, lines  # one check, even when the shim and the config both name it
    record = json.loads(lines[0])
    assert record["session"] == SESSION  # from the worktree's config: no LOUPE_SESSION here
    assert record["directory"] == str(protected)
    assert [ref["ref"] for ref in record["refs"]] == ["refs/heads/main"]


@pytest.mark.parametrize("path", PATHS)
def test_fast_forward_lands_by_every_path(
    path: str, repo: RepoWithRemote, protected: Path, guard_install: GuardInstall, tmp_path: Path
) -> None:
    (protected / "work.txt").write_text(f"{path}\n")
    git(protected, "add", "work.txt")
    git(protected, "commit", "-q", "-m", "agent work")
    head = git(protected, "rev-parse", "HEAD").stdout.strip()
    audited = len(guard_install.audit_lines())
    pushed = runners(guard_install, login_home(tmp_path))[path](protected, "push -q origin HEAD:main")
    assert pushed.returncode == 0, pushed.stderr
    assert repo.remote_refs() == f"refs/heads/main {head}\n"
    assert len(guard_install.audit_lines()) == audited


def test_no_verify_stays_refused_by_the_shim(repo: RepoWithRemote, protected: Path, guard_install: GuardInstall) -> None:
    # Hooks cannot see --no-verify (it skips them), so only the shim refuses it; by absolute
    # path it goes through (README, "The git guard").
    git(protected, "checkout", "-q", "--orphan", "rewritten")
    git(protected, "commit", "-q", "--allow-empty", "-m", "history rewritten")
    before = repo.remote_refs()
    refused = guard_install.sh("git push --no-verify -f origin HEAD:main", protected)
    assert refused.returncode == 1 and "--no-verify skips the pre-push check" in refused.stderr
    assert repo.remote_refs() == before
    record = json.loads(guard_install.audit_lines()[-1])
    assert (record["what"], record["session"]) == ("--no-verify", SESSION)


def test_the_main_checkout_and_the_users_own_worktrees_are_untouched(
    repo: RepoWithRemote, protected: Path, tmp_path: Path
) -> None:
    ran = tmp_path / "main-pre-push-ran"
    hook = repo.path / ".git" / "hooks" / "pre-push"
    hook.write_text(f"#!/bin/sh\ntouch {ran}\n")
    hook.chmod(0o755)
    own = worktree_of(repo, "users-own")
    for checkout in (repo.path, own):
        assert git(checkout, "config", "--get", "core.hooksPath", check=False).returncode == 1
        assert git(checkout, "config", "--get", "loupe.session", check=False).returncode == 1
    # The user's own force push is the user's business: it lands, and their hook ran.
    git(repo.path, "commit", "-q", "--amend", "-m", "rewritten by the user")
    before = repo.remote_refs()
    pushed = subprocess.run([REAL_GIT, "push", "-q", "-f", "origin", "main"], cwd=repo.path, capture_output=True, text=True)
    assert pushed.returncode == 0, pushed.stderr
    assert repo.remote_refs() != before
    assert ran.exists()


def test_the_repositorys_own_hooks_run_from_a_protected_worktree(
    repo: RepoWithRemote, protected: Path, tmp_path: Path
) -> None:
    hooks = repo.path / ".git" / "hooks"
    for name in ("pre-commit", "pre-push"):
        (hooks / name).write_text(f'#!/bin/sh\necho "$*" > {tmp_path / name}\ncat >> {tmp_path / name}\n')
        (hooks / name).chmod(0o755)
    git(protected, "commit", "-q", "--allow-empty", "-m", "work")
    assert (tmp_path / "pre-commit").exists()
    git(protected, "push", "-q", "origin", "HEAD:refs/heads/feature")
    assert (tmp_path / "pre-push").read_text().startswith(f"origin {repo.remote}\n")
    # A relative core.hooksPath in the shared config (husky) is the one chained, and may say no.
    husky = protected / ".husky"
    husky.mkdir()
    (husky / "pre-push").write_text("#!/bin/sh\necho husky says no >&2\nexit 1\n")
    (husky / "pre-push").chmod(0o755)
    repo.git("config", "core.hooksPath", ".husky")
    git(protected, "commit", "-q", "--allow-empty", "-m", "more work")
    refused = git(protected, "push", "origin", "HEAD:refs/heads/feature", check=False)
    assert refused.returncode == 1
    assert "husky says no" in refused.stderr and "loupe guard" not in refused.stderr


def test_the_main_checkout_cannot_be_protected(repo: RepoWithRemote, guard_install: GuardInstall) -> None:
    with pytest.raises(GuardWorktreeError, match="main checkout"):
        protect_worktree(repo.path, hooks_folder(guard_install.bin), SESSION)
    with pytest.raises(GuardWorktreeError, match="not a git guard's hooks folder"):
        protect_worktree(worktree_of(repo), repo.path / ".git" / "hooks", SESSION)
    assert git(repo.path, "config", "--get", "core.hooksPath", check=False).returncode == 1


def test_pygit2_opens_the_repository_and_worktree_at_either_format_version(
    repo: RepoWithRemote, protected: Path, guard_install: GuardInstall
) -> None:
    import pygit2

    hooks = str(hooks_folder(guard_install.bin))
    for version in ("0", "1"):
        repo.git("config", "core.repositoryformatversion", version)
        main = pygit2.Repository(str(repo.path))
        linked = pygit2.Repository(str(protected))
        assert not main.is_bare and Path(main.workdir) == repo.path
        assert Path(linked.workdir) == protected
        assert "core.hooksPath" not in main.config
        assert linked.config["core.hooksPath"] == hooks
        assert linked.config["loupe.session"] == SESSION
        assert main.status() == {} and str(linked.head.target) == git(protected, "rev-parse", "HEAD").stdout.strip()


def test_a_bare_repository_with_worktrees_keeps_working(tmp_path: Path, guard_install: GuardInstall) -> None:
    # core.bare = true applies to every worktree once the extension is on, so it moves to the
    # main checkout's own config.worktree first (git-worktree(1), CONFIGURATION FILE).
    bare = tmp_path / "project.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    git(tmp_path, "clone", "-q", str(bare), "seed")
    git(tmp_path / "seed", "commit", "-q", "--allow-empty", "-m", "first")
    git(tmp_path / "seed", "push", "-q", "origin", "main")
    git(bare, "worktree", "add", "-q", "-b", "session", str(tmp_path / "wt"), "main")
    protect_worktree(tmp_path / "wt", hooks_folder(guard_install.bin), SESSION)
    assert git(bare, "rev-parse", "--is-bare-repository").stdout.strip() == "true"
    assert git(tmp_path / "wt", "rev-parse", "--is-bare-repository").stdout.strip() == "false"
    assert git(tmp_path / "wt", "status", "--short").returncode == 0
    assert git(tmp_path / "wt", "config", "core.hooksPath").stdout.strip() == str(hooks_folder(guard_install.bin))


def test_a_main_checkout_placed_by_core_worktree_keeps_its_place(tmp_path: Path, guard_install: GuardInstall) -> None:
    git_dir, checkout = tmp_path / "meta.git", tmp_path / "checkout"
    checkout.mkdir()
    git(tmp_path, "--git-dir", str(git_dir), "--work-tree", str(checkout), "init", "-q", "-b", "main")
    assert git(tmp_path, "--git-dir", str(git_dir), "config", "core.worktree").stdout.strip() == str(checkout)
    main = ["--git-dir", str(git_dir)]
    git(checkout, *main, "commit", "-q", "--allow-empty", "-m", "first")
    git(checkout, *main, "worktree", "add", "-q", "-b", "session", str(tmp_path / "wt"))
    protect_worktree(tmp_path / "wt", hooks_folder(guard_install.bin), SESSION)
    assert git(tmp_path, *main, "rev-parse", "--show-toplevel").stdout.strip() == str(checkout)
    assert git(tmp_path / "wt", "rev-parse", "--show-toplevel").stdout.strip() == str(tmp_path / "wt")

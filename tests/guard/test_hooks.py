"""The repository's own hooks keep working behind the guard, and can still say no."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.git import RepoWithRemote
from tests.fixtures.guard import GuardInstall
from tui.guard.prepush import Ancestry, Update, find_problems

RECORDING_HOOK = """#!/bin/sh
# Records how it was called: arguments, then the ref list git gave it on stdin.
{ echo "args: $*"; cat; } > "{marker}"
exit {status}
"""


def write_hook(folder: Path, name: str, marker: Path, status: int = 0) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    hook = folder / name
    hook.write_text(RECORDING_HOOK.replace("{marker}", str(marker)).replace("{status}", str(status)))
    hook.chmod(0o755)


def test_repo_pre_push_runs_with_the_same_arguments_and_input(
    repo: RepoWithRemote, guard_install: GuardInstall, tmp_path: Path
) -> None:
    repo.commit_file("a.txt", "a\n")
    write_hook(repo.path / ".git" / "hooks", "pre-push", tmp_path / "unguarded")
    repo.git("push", "--dry-run", "origin", "main", "HEAD:refs/heads/copy")
    write_hook(repo.path / ".git" / "hooks", "pre-push", tmp_path / "guarded")
    pushed = guard_install.sh("git push origin main HEAD:refs/heads/copy", repo.path)
    assert pushed.returncode == 0, pushed.stderr
    guarded = (tmp_path / "guarded").read_text()
    assert guarded == (tmp_path / "unguarded").read_text()
    assert guarded.startswith("args: origin ")
    assert "refs/heads/copy" in guarded


def test_repo_pre_push_can_still_reject(repo: RepoWithRemote, guard_install: GuardInstall, tmp_path: Path) -> None:
    repo.commit_file("a.txt", "a\n")
    write_hook(repo.path / ".git" / "hooks", "pre-push", tmp_path / "marker", status=1)
    before = repo.remote_refs()
    pushed = guard_install.sh("git push origin main", repo.path)
    assert pushed.returncode != 0
    assert (tmp_path / "marker").exists()
    assert "loupe guard" not in pushed.stderr  # the repo's hook said no, not the guard
    assert repo.remote_refs() == before


def test_hooks_path_from_repo_config_is_the_one_chained(
    repo: RepoWithRemote, guard_install: GuardInstall, tmp_path: Path
) -> None:
    repo.commit_file("a.txt", "a\n")
    write_hook(repo.path / "githooks", "pre-push", tmp_path / "marker")
    repo.git("config", "core.hooksPath", "githooks")  # relative, as husky and friends set it
    pushed = guard_install.sh("git push origin main", repo.path)
    assert pushed.returncode == 0, pushed.stderr
    assert (tmp_path / "marker").exists()


def test_dry_run_still_runs_the_repo_pre_push(repo: RepoWithRemote, guard_install: GuardInstall, tmp_path: Path) -> None:
    write_hook(repo.path / ".git" / "hooks", "pre-push", tmp_path / "marker")
    pushed = guard_install.sh("git push --dry-run origin main:refs/heads/x", repo.path)
    assert pushed.returncode == 0, pushed.stderr
    assert (tmp_path / "marker").exists()


def test_other_hooks_are_forwarded_under_the_guard(
    repo: RepoWithRemote, guard_install: GuardInstall, tmp_path: Path
) -> None:
    # A shell alias runs its git with the guard's hooks folder as core.hooksPath.
    write_hook(repo.path / ".git" / "hooks", "pre-commit", tmp_path / "ran")
    made = guard_install.sh("git -c alias.ci='!git commit -q --allow-empty -m x' ci", repo.path)
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "ran").exists()
    write_hook(repo.path / ".git" / "hooks", "pre-commit", tmp_path / "ran", status=1)
    head = repo.git("rev-parse", "HEAD").stdout
    refused = guard_install.sh("git -c alias.ci='!git commit -q --allow-empty -m y' ci", repo.path)
    assert refused.returncode != 0
    assert repo.git("rev-parse", "HEAD").stdout == head


def test_a_long_ref_list_reaches_the_repo_hook_whole(
    repo: RepoWithRemote, guard_install: GuardInstall, tmp_path: Path
) -> None:
    # More than a pipe's 64 KiB of ref lines.
    head = repo.git("rev-parse", "HEAD").stdout.strip()
    lines = "".join(f"create refs/tags/t{n:05d} {head}\n" for n in range(1500))
    subprocess.run(["git", "update-ref", "--stdin"], input=lines, text=True, cwd=repo.path, check=True)
    write_hook(repo.path / ".git" / "hooks", "pre-push", tmp_path / "marker")
    pushed = guard_install.sh("git push -q origin 'refs/tags/*'", repo.path)
    assert pushed.returncode == 0, pushed.stderr
    received = (tmp_path / "marker").read_text().splitlines()
    assert len(received) == 1 + 1500


def test_refusal_is_audited_with_session_directory_and_refs(
    repo: RepoWithRemote, guard_install: GuardInstall
) -> None:
    repo.git("commit", "-q", "--amend", "-m", "rewritten")
    before = len(guard_install.audit_lines())
    refused = guard_install.sh("git push -f origin main", repo.path, env={"LOUPE_SESSION": "agent-7"})
    assert refused.returncode == 1
    assert "refs/heads/main: non-fast-forward" in refused.stderr
    assert "Agents may not rewrite or delete remote history" in refused.stderr
    assert "git fetch origin && git rebase" in refused.stderr
    assert "will not get past it" in refused.stderr
    lines = guard_install.audit_lines()
    assert len(lines) == before + 1
    record = json.loads(lines[-1])
    assert record["session"] == "agent-7"
    assert record["directory"] == str(repo.path)
    assert record["command"] == ["git", "push", "-f", "origin", "main"]
    assert record["remote"] == "origin"
    assert [ref["ref"] for ref in record["refs"]] == ["refs/heads/main"]
    assert record["refs"][0]["change"] == "non-fast-forward"
    assert record["time"].endswith("Z")


def test_nested_refusal_names_the_command_the_agent_typed(repo: RepoWithRemote, guard_install: GuardInstall) -> None:
    repo.git("commit", "-q", "--amend", "-m", "rewritten")
    refused = guard_install.sh("git -c alias.sync='!git push --no-verify -f origin main' sync", repo.path)
    assert refused.returncode != 0
    assert "refused `git push --no-verify -f origin main` (run by `git -c" in refused.stderr
    record = json.loads(guard_install.audit_lines()[-1])
    assert record["command"][-1] == "sync"
    assert record["refused"] == ["git", "push", "--no-verify", "-f", "origin", "main"]
    assert record["what"] == "--no-verify"


@pytest.mark.parametrize("lite", [True, False], ids=["pygit2-core", "pygit2-package"])
def test_ancestry_check_both_ways_of_loading_pygit2(repo: RepoWithRemote, lite: bool) -> None:
    first = repo.git("rev-parse", "HEAD").stdout.strip()
    second = repo.commit_file("b.txt", "b\n")
    repo.git("reset", "-q", "--hard", first)
    third = repo.commit_file("c.txt", "c\n")
    checker = Ancestry(str(repo.path), lite=lite)
    assert checker.problem(first, second) is None
    assert checker.problem(second, third) == "non-fast-forward"
    assert checker.problem("1" * 40, third) == "unknown-remote-commit"
    tree = repo.git("rev-parse", "HEAD^{tree}").stdout.strip()
    assert checker.problem(tree, third) == "not-a-commit"


def test_find_problems_kinds(repo: RepoWithRemote) -> None:
    head = repo.git("rev-parse", "HEAD").stdout.strip()
    zero = "0" * 40
    updates = [
        Update("refs/heads/main", head, "refs/heads/new", zero),  # creation: fine
        Update("(delete)", zero, "refs/heads/gone", head),
        Update("refs/tags/v1", head, "refs/tags/v1", "1" * 40),
        Update("refs/heads/main", head, "refs/heads/main", head),  # unchanged
    ]
    problems = find_problems(updates, str(repo.path))
    assert [(p.ref, p.change) for p in problems] == [("refs/heads/gone", "delete"), ("refs/tags/v1", "tag-move")]


def test_hooks_of_another_repository_run_from_a_nested_command(
    repo: RepoWithRemote, guard_install: GuardInstall, tmp_path: Path
) -> None:
    # The nested commit runs in another repository, so the forwarder cannot use what the
    # guard worked out for this one and must ask git.
    other = tmp_path / "other"
    subprocess.run(["git", "init", "-q", str(other)], check=True)
    write_hook(other / ".git" / "hooks", "pre-commit", tmp_path / "other-ran")
    made = guard_install.sh(f"git -c alias.ci='!git -C {other} commit -q --allow-empty -m x' ci", repo.path)
    assert made.returncode == 0, made.stderr
    assert (tmp_path / "other-ran").exists()


def test_a_repo_pointing_core_hookspath_at_the_guard_does_not_loop(
    repo: RepoWithRemote, guard_install: GuardInstall
) -> None:
    repo.git("config", "core.hooksPath", str(guard_install.root / "hooks"))
    made = guard_install.sh("git -c alias.ci='!git commit -q --allow-empty -m x' ci && git push origin main", repo.path)
    assert made.returncode == 0, made.stderr
    repo.git("commit", "-q", "--amend", "--allow-empty", "-m", "rewritten")
    refused = guard_install.sh("git push -f origin main", repo.path)
    assert refused.returncode == 1 and "loupe guard: refused" in refused.stderr

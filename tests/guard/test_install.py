"""Installing the guard, and finding the real git without ever finding the shim."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.git import RepoWithRemote
from tests.fixtures.guard import GuardInstall
from tui.guard.findgit import GitNotFoundError, find_real_git, is_guard_file
from tui.guard.install import install

REAL_GIT = Path(shutil.which("git") or "/usr/bin/git").resolve()


def test_install_returns_a_bin_folder_with_an_executable_git(tmp_path: Path) -> None:
    folder = install(tmp_path / "guard")
    shim = folder / "git"
    assert folder.name == "bin"
    assert os.access(shim, os.X_OK)
    assert is_guard_file(str(shim))
    # The shim hands local commands to the real git.
    result = subprocess.run([str(shim), "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.startswith("git version")


def test_install_is_idempotent_and_keeps_the_first_copy(tmp_path: Path) -> None:
    first = install(tmp_path / "guard")
    marker = first.parent / "bin" / "git"
    before = marker.stat().st_mtime_ns
    second = install(tmp_path / "guard")
    assert second == first
    assert marker.stat().st_mtime_ns == before
    assert [p.name for p in (tmp_path / "guard").iterdir()] == [first.parent.name]


def test_default_audit_log_is_in_the_data_folder(tmp_path: Path, loupe_dirs: dict[str, Path]) -> None:
    root = install(tmp_path / "guard").parent
    installed = (root / "lib" / "loupe_guard" / "installed.py").read_text()
    assert repr(str(loupe_dirs["data"] / "guard" / "audit.jsonl")) in installed


def test_install_from_a_guarded_path_still_finds_the_real_git(tmp_path: Path, guard_install: GuardInstall) -> None:
    path = f"{guard_install.bin}{os.pathsep}{os.environ['PATH']}"
    root = install(tmp_path / "other", path_env=path).parent
    assert f"real_git={str(REAL_GIT)!r}" in (root / "lib" / "loupe_guard" / "installed.py").read_text()


def test_find_real_git_skips_shim_symlink_copy_and_duplicates(tmp_path: Path, guard_install: GuardInstall) -> None:
    shim = guard_install.bin / "git"
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "git").symlink_to(shim)
    copied = tmp_path / "copied"
    copied.mkdir()
    shutil.copy2(shim, copied / "git")
    entries = [str(guard_install.bin), str(linked), str(copied), str(guard_install.bin), "", ".", str(REAL_GIT.parent)]
    assert find_real_git(os.pathsep.join(entries)) == REAL_GIT


def test_find_real_git_fails_clearly_when_only_shims_are_on_path(guard_install: GuardInstall) -> None:
    with pytest.raises(GitNotFoundError, match="no git found on PATH"):
        find_real_git(str(guard_install.bin))


def test_shim_does_not_recurse_when_path_is_full_of_guards(
    tmp_path: Path, guard_install: GuardInstall, repo: RepoWithRemote
) -> None:
    # The installed shim calls git by absolute path, so even a PATH of nothing but guards
    # (and a guard's exec/ folder that git itself puts first) cannot make it call itself.
    linked = tmp_path / "linked"
    linked.mkdir()
    (linked / "git").symlink_to(guard_install.bin / "git")
    env = {"PATH": f"{guard_install.bin}:{linked}:{guard_install.root / 'exec'}:/bin"}
    result = subprocess.run(
        [str(guard_install.bin / "git"), "-c", "alias.st=!git status --short", "st"],
        cwd=repo.path, env={**os.environ, **env}, capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 0, result.stderr
    pushed = subprocess.run(
        [str(linked / "git"), "push", "origin", "HEAD:refs/heads/from-link"],
        cwd=repo.path, env={**os.environ, **env}, capture_output=True, text=True, timeout=30,
    )
    assert pushed.returncode == 0, pushed.stderr
    assert "refs/heads/from-link" in repo.remote_refs()


def test_abandoned_builds_are_cleaned_but_finished_installs_kept(tmp_path: Path) -> None:
    first = install(tmp_path / "guard").parent
    old_build = tmp_path / "guard" / ".building-crashed"
    old_build.mkdir()
    os.utime(old_build, (0, 0))
    fresh_build = tmp_path / "guard" / ".building-running"
    fresh_build.mkdir()
    older_version = tmp_path / "guard" / "guard-0123456789abcdef"
    older_version.mkdir()
    shutil.rmtree(first)  # forces a rebuild, which is when cleaning happens
    install(tmp_path / "guard")
    assert not old_build.exists()
    assert fresh_build.exists() and older_version.exists()


def test_scripts_run_under_dash_when_installed_else_bin_sh(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tui.guard import install as install_module

    fake_dash = tmp_path / "dash"
    fake_dash.symlink_to("/bin/sh")
    monkeypatch.setattr(install_module, "SHELLS", (str(tmp_path / "missing-dash"), str(fake_dash)))
    folder = install(tmp_path / "with-dash")
    scripts = [folder / "git", folder.parent / "hooks" / "pre-push", folder.parent / "hooks" / "post-commit",
               folder.parent / "exec" / "git-push"]
    assert {path.read_text().splitlines()[0] for path in scripts} == {f"#!{fake_dash}"}
    result = subprocess.run([str(folder / "git"), "--version"], capture_output=True, text=True, check=True)
    assert result.stdout.startswith("git version")

    monkeypatch.setattr(install_module, "SHELLS", (str(tmp_path / "missing-dash"),))
    folder = install(tmp_path / "without")
    assert (folder / "git").read_text().startswith("#!/bin/sh\n")

"""The guard's own checks, for what the catalogue does not reach."""

from __future__ import annotations

import json

from tests.fixtures.git import RepoWithRemote
from tests.fixtures.guard import GuardInstall


def test_an_option_from_a_newer_git_cannot_hide_no_verify(repo: RepoWithRemote, guard_install: GuardInstall) -> None:
    # git 2.46 has `--attr-source <tree>`; read both ways, --no-verify is still seen.
    refused = guard_install.sh("git --attr-source HEAD push --no-verify origin main", repo.path)
    assert refused.returncode == 1
    assert "--no-verify skips the pre-push check" in refused.stderr


def test_a_config_the_guard_cannot_read_is_refused_with_a_way_out(
    repo: RepoWithRemote, guard_install: GuardInstall
) -> None:
    with (repo.path / ".git" / "config").open("a") as config:
        config.write("[broken\n")
    refused = guard_install.sh("git push origin main", repo.path)
    assert refused.returncode == 1
    assert "could not read this repository's git config" in refused.stderr
    assert json.loads(guard_install.audit_lines()[-1])["what"] == "unreadable config"


def test_mirror_config_only_counts_for_the_remote_pushed_to(repo: RepoWithRemote, guard_install: GuardInstall) -> None:
    repo.git("remote", "add", "backup", str(repo.remote))
    repo.git("config", "remote.backup.mirror", "true")
    repo.commit_file("a.txt", "a\n")
    pushed = guard_install.sh("git push origin main", repo.path)
    assert pushed.returncode == 0, pushed.stderr
    refused = guard_install.sh("git push backup", repo.path)
    assert refused.returncode == 1 and "configured as a mirror" in refused.stderr
    # The default remote follows git's rules: remote.pushDefault names it here.
    repo.git("config", "remote.pushDefault", "backup")
    refused = guard_install.sh("git push", repo.path)
    assert refused.returncode == 1 and "remote 'backup' is configured as a mirror" in refused.stderr


def test_exec_path_override_is_refused(repo: RepoWithRemote, guard_install: GuardInstall) -> None:
    refused = guard_install.sh("git --exec-path=/usr/lib/git-core status", repo.path)
    assert refused.returncode == 1
    assert "--exec-path=/usr/lib/git-core would let nested git commands skip the guard" in refused.stderr


def test_local_commands_pass_through_untouched(repo: RepoWithRemote, guard_install: GuardInstall) -> None:
    result = guard_install.sh("git status --short && git log -1 --format=%s && git --exec-path", repo.path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "initial commit"
    assert lines[1] == str(guard_install.root / "exec")  # nested git finds the guard first

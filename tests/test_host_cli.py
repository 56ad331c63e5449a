"""`loupe host add|list|check` as a user runs them, against a real sshd on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import tomllib
from pathlib import Path

import pytest

from tests.fixtures.git import RepoWithRemote
from tests.fixtures.sshd import Sshd
from tui import locations
from tui.locations import loupe_command


def loupe(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*loupe_command(), "host", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env={**os.environ, **(env or {})})


def add(cwd: Path, *args: str) -> None:
    done = loupe(cwd, "add", *args)
    assert done.returncode == 0, done.stderr


def test_add_writes_the_user_config_and_list_shows_it(tmp_path: Path) -> None:
    add(tmp_path, "box", "loupe-test-host", "--repo", "~/src/app")
    add(tmp_path, "other", "me@other.example.com")
    table = tomllib.loads(locations.user_config_file().read_text())["hosts"]
    assert table == {"box": {"ssh": "loupe-test-host", "repo": "~/src/app"}, "other": {"ssh": "me@other.example.com"}}
    listed = loupe(tmp_path, "list", "--json")
    assert [(h["name"], h["ssh"], h["repo"], h["tmux_socket"]) for h in json.loads(listed.stdout)] == [
        ("box", "loupe-test-host", "~/src/app", "loupe"), ("other", "me@other.example.com", "", "loupe")]
    text = loupe(tmp_path, "list").stdout
    assert "box    loupe-test-host  repo ~/src/app  tmux -L loupe" in text
    assert "other  me@other.example.com  repo (no repo set)" in text
    again = loupe(tmp_path, "add", "box", "elsewhere")
    assert again.returncode == 1 and "already in" in again.stderr
    bad = loupe(tmp_path, "add", "x", "-oProxyCommand=touch pwned")
    assert bad.returncode == 2 and "leading '-'" in bad.stderr


def test_add_is_refused_inside_an_agent_session(tmp_path: Path) -> None:
    done = loupe(tmp_path, "add", "box", "loupe-test-host", env={"LOUPE_SESSION": "abc"})
    assert done.returncode == 1 and "not inside an agent session" in done.stderr
    assert not locations.user_config_file().exists()


@pytest.mark.slow
def test_check_passes_on_a_ready_host(sshd: Sshd, repo: RepoWithRemote, tmp_path: Path) -> None:
    add(tmp_path, "box", sshd.alias, "--repo", str(repo.path))
    done = loupe(tmp_path, "check", "box", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is True
    checks = {check["name"]: check for check in report["checks"]}
    assert list(checks) == ["ssh", "shell", "tmux", "git", "repo", "loupe", "guard"]
    assert all(check["ok"] is True for check in checks.values()), checks
    assert checks["repo"]["detail"] == f"a git repository at {repo.path}"
    assert checks["tmux"]["detail"].startswith("tmux ")
    assert "verdicts right" in checks["guard"]["detail"]
    assert sshd.server.logins() == 1  # every check but the login went in one round trip
    assert sshd.server.sessions_started() == 1
    assert sshd.ssh_processes() == []


def test_check_names_what_is_missing_and_how_to_fix_it(sshd: Sshd, tmp_path: Path) -> None:
    add(tmp_path, "box", sshd.alias, "--repo", str(tmp_path / "no-such-clone"))
    with locations.user_config_file().open("a") as config:
        config.write('loupe = "/nowhere/loupe"\n')
    done = loupe(tmp_path, "check", "box")
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert lines[0] == "loupe host check box (loupe-test-host)"
    assert any(line.startswith("  ✓ ssh    logged in to loupe-test-host") for line in lines)
    assert "  ✓ shell  the login shell quotes as POSIX sh does" in lines
    assert any(line.startswith(f"  ✗ repo   {tmp_path / 'no-such-clone'}: fatal: cannot change to") for line in lines)
    assert "  ✗ loupe  not found on the PATH of non-interactive ssh commands" in lines
    assert "  – guard  not checked: loupe does not run there" in lines
    assert any(line.endswith("or set [hosts.box] loupe to its full path") for line in lines)
    assert lines[-1] == "7 checks: 4 passed, 2 failed, 1 not checked"
    assert sshd.ssh_processes() == []


def test_check_on_a_host_that_is_down_says_what_to_look_at(sshd: Sshd, tmp_path: Path) -> None:
    add(tmp_path, "box", sshd.alias)
    sshd.server.stop()
    done = loupe(tmp_path, "check", "box", "--json")
    assert done.returncode == 1
    checks = json.loads(done.stdout)["checks"]
    assert checks[0]["ok"] is False and "Connection refused" in checks[0]["detail"]
    assert checks[0]["hint"] == "nothing listens for ssh there: is sshd running, and is the port right?"
    assert [check["ok"] for check in checks[1:]] == [None] * 6


def test_check_on_a_host_that_refuses_the_key_says_how_to_install_it(sshd: Sshd, tmp_path: Path) -> None:
    stranger = tmp_path / "stranger_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)], check=True)
    config = sshd.config_file.read_text()
    sshd.config_file.write_text(config + _stranger_block(config, sshd.alias, stranger))
    add(tmp_path, "box", "stranger")
    done = loupe(tmp_path, "check", "box")
    assert done.returncode == 1
    assert "Permission denied" in done.stdout
    assert "fix: the host refused your key: install it there (ssh-copy-id stranger)" in done.stdout


def _stranger_block(config: str, alias: str, key: Path) -> str:
    """The alias's block again as `stranger`, with a key the server does not know."""
    block = config.split(f"Host {alias}\n", 1)[1]
    lines = [line for line in block.splitlines() if not line.strip().startswith("IdentityFile")]
    return "\nHost stranger\n" + "\n".join(lines) + f"\n  IdentityFile {key}\n"


def test_check_of_an_unknown_host_is_a_usage_error(tmp_path: Path) -> None:
    done = loupe(tmp_path, "check", "nope")
    assert done.returncode == 2
    assert "no host named 'nope' is configured" in done.stderr

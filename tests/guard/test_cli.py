"""`loupe guard install | check | audit`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.git import RepoWithRemote


def loupe(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui", *args], capture_output=True, text=True, timeout=300, env=env
    )


def test_install_prints_the_folder_to_put_on_path(tmp_path: Path, repo: RepoWithRemote) -> None:
    result = loupe("guard", "install", str(tmp_path / "g"), "--json")
    assert result.returncode == 0, result.stderr
    folder = Path(json.loads(result.stdout)["path"])
    assert (folder / "git").is_file()
    repo.git("commit", "-q", "--amend", "-m", "rewritten")
    env = {**os.environ, "PATH": f"{folder}:{os.environ['PATH']}", "LOUPE_SESSION": "s-1"}
    pushed = subprocess.run(["git", "push", "-f", "origin", "main"], cwd=repo.path, env=env, capture_output=True, text=True)
    assert pushed.returncode == 1
    audit = loupe("guard", "audit", "--json")
    assert audit.returncode == 0
    [entry] = [json.loads(line) for line in audit.stdout.splitlines()]
    assert entry["session"] == "s-1"
    assert entry["refs"][0]["ref"] == "refs/heads/main"
    text = loupe("guard", "audit", "--session", "s-1")
    assert "git push -f origin main" in text.stdout
    assert "refs/heads/main" in text.stdout
    assert loupe("guard", "audit", "--session", "other").stdout.startswith("No refusals recorded for session 'other'")


def test_audit_without_a_log_says_so() -> None:
    result = loupe("guard", "audit")
    assert result.returncode == 0
    assert result.stdout.startswith("No refusals recorded")


def test_bad_usage_is_one_line_and_exit_2(tmp_path: Path) -> None:
    result = loupe("guard", "frobnicate")
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("loupe: guard: ")
    (tmp_path / "file").write_text("")
    result = loupe("guard", "install", str(tmp_path / "file"))
    assert result.returncode == 1
    assert result.stderr.startswith("loupe: ") and "is a file" in result.stderr


def test_agent_doc_explains_what_to_do_instead() -> None:
    result = loupe("--agent")
    assert "## `loupe guard`" in result.stdout
    assert "do not try other flags" in result.stdout


@pytest.mark.slow
def test_check_gets_every_verdict_right() -> None:
    result = loupe("guard", "check", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["right"] == report["total"] >= 20
    assert {row["expected"] for row in report["checks"]} == {"blocked", "allowed"}

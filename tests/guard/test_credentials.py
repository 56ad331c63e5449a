"""A token inside a push URL never shows in the guard's refusal or its audit log."""

from __future__ import annotations

import json

from tests.fixtures.git import RepoWithRemote
from tests.fixtures.guard import GuardInstall
from tui.guard.audit import read_entries
from tui.guard.credentials import hide_url_credentials

TOKEN = "ghp_" + "a1b2c3d4" * 5
URL = f"https://x-access-token:{TOKEN}@github.invalid/o/r.git"


def test_a_refused_command_with_a_token_url_is_told_and_logged_without_it(
    repo: RepoWithRemote, guard_install: GuardInstall
) -> None:
    refused = guard_install.sh(f"git push --no-verify {URL} main", repo.path)
    assert refused.returncode == 1 and "--no-verify" in refused.stderr
    assert TOKEN not in refused.stderr
    assert "https://***@github.invalid/o/r.git" in refused.stderr
    line = guard_install.audit_lines()[-1]
    assert TOKEN not in line
    assert json.loads(line)["command"][-2] == "https://***@github.invalid/o/r.git"


def test_a_rewrite_refused_by_the_pre_push_check_is_logged_without_the_token(
    repo: RepoWithRemote, guard_install: GuardInstall
) -> None:
    # The URL the agent typed leads to the local remote, so the push reaches the pre-push check.
    repo.git("config", f"url.{repo.remote}.insteadOf", URL)
    repo.commit_file("a.txt", "a\n")
    repo.git("push", "-q", "origin", "main")
    repo.git("reset", "-q", "--hard", "HEAD~1")
    repo.commit_file("b.txt", "b\n")
    refused = guard_install.sh(f"git push --force {URL} main", repo.path)
    assert refused.returncode == 1 and "non-fast-forward" in refused.stderr
    assert TOKEN not in refused.stderr
    record = json.loads(guard_install.audit_lines()[-1])
    assert TOKEN not in json.dumps(record)
    assert record["refs"] and record["remote"].startswith("https://***@github.invalid")


def test_only_the_credentials_are_hidden() -> None:
    assert hide_url_credentials(f"push {URL} and ssh://git@host/r.git") == (
        "push https://***@github.invalid/o/r.git and ssh://git@host/r.git"
    )
    assert hide_url_credentials("mail me@example.com, see https://example.com/a@b") == (
        "mail me@example.com, see https://example.com/a@b"
    )


def test_an_older_audit_line_with_a_token_is_read_without_it(tmp_path) -> None:
    log = tmp_path / "audit.jsonl"
    log.write_text(json.dumps({"command": ["git", "push", URL], "refused": ["git", "push", URL],
                               "remote": URL, "reason": f"pushing to {URL}"}) + "\n")
    [entry] = read_entries(log)
    assert TOKEN not in repr(entry) and TOKEN not in entry.command_line
    assert entry.remote == "https://***@github.invalid/o/r.git"

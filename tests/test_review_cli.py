"""`loupe review ...` as people and agents run it: real processes, a real repository, and for
the agent's side a real session in tmux that reads its round and resolves the items."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.git import RepoWithRemote
from tests.fixtures.sessions import SessionsHarness
from tests.helpers import wait_for
from tui import locations
from tui.locations import loupe_command
from tui.sessions.status_file import State

DESIGN = """\
# Design

## Q1: Where does the retry live?

In the worker.

## Open questions

1. Should retries be per task?
"""


def loupe(cwd: Path, *args: str, env: dict[str, str] | None = None,
          stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*loupe_command(), "review", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env={**os.environ, **(env or {})}, input=stdin)


@pytest.fixture
def design(repo: RepoWithRemote) -> Path:
    path = repo.path / "docs" / "design.md"
    path.parent.mkdir()
    path.write_text(DESIGN)
    return path


def test_comment_answer_list_and_copy_from_a_shell(repo: RepoWithRemote, design: Path) -> None:
    questions = loupe(repo.path, "questions", "docs/design.md", "--json")
    assert questions.returncode == 0, questions.stderr
    assert [(q["number"], q["line"], q["text"]) for q in json.loads(questions.stdout)] == [
        (1, 3, "Q1: Where does the retry live?"), (2, 9, "Should retries be per task?")]
    made = loupe(repo.path, "comment", "docs/design.md", "--line", "5", "Why", "not", "the", "backend?")
    assert made.returncode == 0, made.stderr
    assert "added to draft round 1 at docs/design.md:5" in made.stdout
    answered = loupe(repo.path / "docs", "answer", "design.md", "--question", "2", "-", stdin="Yes, per task.\n")
    assert answered.returncode == 0, answered.stderr
    listed = loupe(repo.path, "list")
    assert listed.stdout.splitlines() == [
        "round 1 · draft · docs/design.md · 2 open",
        "  [1] open      docs/design.md:5  Why not the backend?",
        "  [2] open      docs/design.md:9  answer to: Should retries be per task?",
    ]
    copied = loupe(repo.path, "submit", "docs/design.md", "--verdict", "request-changes", "--copy")
    assert copied.returncode == 0, copied.stderr
    assert copied.stdout.startswith("# Review round 1 of `docs/design.md`\n\nVerdict: **changes requested**")
    assert "### Should retries be per task? (`docs/design.md:9`)\n\n[2] Yes, per task." in copied.stdout
    shown = loupe(repo.path, "show", "1", "--json")
    record = json.loads(shown.stdout)
    assert record["state"] == "delivered" and record["destination"] == "copy"
    assert record["message"] == copied.stdout
    assert [c["status"] for c in record["comments"]] == ["open", "open"]


def test_an_agent_rewrite_shows_as_addressed_and_resolve_records_who(repo: RepoWithRemote, design: Path) -> None:
    loupe(repo.path, "comment", "docs/design.md", "--line", "5", "Say why")
    loupe(repo.path, "submit", "docs/design.md", "--verdict", "comment", "--copy")
    design.write_text(DESIGN.replace("In the worker.", "In the worker, because it has the exception."))
    listed = json.loads(loupe(repo.path, "list", "--json").stdout)
    assert [c["status"] for c in listed[0]["comments"]] == ["addressed"]
    resolved = loupe(repo.path, "resolve", "1", "--note", "explained", env={"LOUPE_SESSION": "f00d42"})
    assert resolved.returncode == 0, resolved.stderr
    assert resolved.stdout.strip() == "resolved [1] (round 1, docs/design.md:5)"
    comment = json.loads(loupe(repo.path, "list", "--all", "--json").stdout)[0]["comments"][0]
    assert comment["status"] == "resolved"
    assert comment["resolution"]["by"] == "f00d42" and comment["resolution"]["note"] == "explained"
    assert json.loads(loupe(repo.path, "list", "--open", "--json").stdout) == []


def test_mistakes_exit_non_zero_with_one_line(repo: RepoWithRemote, design: Path) -> None:
    cases = [
        (("comment", "docs/design.md", "--line", "x", "note"), 2, "--line takes N or N-M"),
        (("comment", "docs/design.md", "--line", "99", "note"), 1, "outside the document"),
        (("comment", "docs/missing.md", "--line", "1", "note"), 1, "no such file"),
        (("answer", "docs/design.md", "--question", "7", "a"), 1, "there is no question 7"),
        (("show", "41"), 1, "no review round 41"),
        (("resolve", "41"), 1, "no review comment 41"),
        (("submit", "docs/design.md", "--verdict", "request-changes", "--copy"), 1, "no draft round"),
        (("submit", "docs/design.md", "--verdict", "maybe", "--copy"), 1, "unknown verdict 'maybe'"),
        (("frobnicate",), 2, "invalid choice"),
    ]
    for args, code, message in cases:
        done = loupe(repo.path, *args)
        assert (done.returncode, done.stdout) == (code, ""), (args, done.stderr)
        assert done.stderr.startswith("loupe: ") and message in done.stderr, (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_help_and_agent_usage_document_the_commands(tmp_path: Path) -> None:
    helped = subprocess.run([*loupe_command(), "review", "--help"], capture_output=True, text=True, check=True)
    for command in ("list", "show", "resolve", "comment", "answer", "submit", "retry"):
        assert command in helped.stdout
    usage = subprocess.run([*loupe_command(), "--agent"], capture_output=True, text=True, check=True).stdout
    assert "## loupe review" in usage and "loupe review resolve ID" in usage


# Receives a round, then does what an agent is asked to: resolves every item it lists.
AGENT = """\
echo ready
while IFS= read -r line; do
    printf '%s\\n' "$line" >> received.txt
    case "$line" in *"prints this round again"*)
        ids=$({loupe} review list --open --json | grep -o '"id": [0-9]*' | grep -o '[0-9]*' | sort -u)
        for id in $ids; do {loupe} review resolve "$id" --note "done in $LOUPE_SESSION"; done
        {loupe} review list --open > open-after.txt
        touch .resolved;;
    esac
done
"""


@pytest.mark.slow
def test_an_agent_in_a_session_lists_its_round_and_resolves_it(sessions: SessionsHarness, design: Path) -> None:
    command = shlex.join(loupe_command())
    kind = sessions.script_kind("resolver", AGENT.replace("{loupe}", command))
    config = locations.user_config_file()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'[sessions]\ntmux_socket = "{sessions.socket}"\n\n'
                      f'[agents.resolver]\ncommand = "{sessions.manager.kinds[kind].command}"\n')
    session = sessions.start(kind, task="design", task_dir=design.parent)
    sessions.wait_state(session, State.IDLE)
    repo = sessions.repo.path
    assert loupe(repo, "comment", "docs/design.md", "--line", "5", "Say why").returncode == 0
    sent = loupe(repo, "submit", "docs/design.md", "--verdict", "request-changes")
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.strip() == f"round 1 sent to session {session.number} ({session.id})"
    wait_for(lambda: (session.worktree / ".resolved").exists(), "the agent to resolve its items", timeout=60)
    assert (session.worktree / "open-after.txt").read_text().strip() == "no review rounds sent to this session with open comments"
    comment = json.loads(loupe(repo, "list", "--json").stdout)[0]["comments"][0]
    assert comment["resolution"]["by"] == session.id
    assert comment["resolution"]["note"] == f"done in {session.id}"

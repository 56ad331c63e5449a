"""`loupe session ...` as a user (or an agent) runs it: a real process, real tmux, real git."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.sessions import SessionsHarness
from tests.helpers import wait_for
from tests.pty_app import run_on_terminal
from tui import locations
from tui.locations import loupe_command

pytestmark = pytest.mark.slow

AGENT = """\
echo "agent up in $PWD"
printf 'Apply? [y/n] '
read answer
echo "$answer from $LOUPE_SESSION" > answer.txt
git add answer.txt
git commit -q -m "record the answer"
echo finished
read more
"""


def loupe(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*loupe_command(), "session", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


@pytest.fixture
def cli_repo(sessions: SessionsHarness) -> Path:
    script = sessions.scripts / "cli-agent.sh"
    script.write_text(AGENT)
    config = locations.user_config_file()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        f'[sessions]\ntmux_socket = "{sessions.socket}"\ndefault_agent = "script"\n\n'
        f'[agents.script]\ncommand = "sh {script}"\nprompt_patterns = ["^Apply\\\\? \\\\[y/n\\\\]\\\\s*$"]\n'
    )
    return sessions.repo.path


def listing(cwd: Path) -> list[dict]:
    result = loupe(cwd, "list", "--json")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_cli_full_cycle(cli_repo: Path, sessions: SessionsHarness) -> None:
    started = [loupe(cli_repo, "start", "--task", f"cli {n}", "--json") for n in range(2)]
    for result in started:
        assert result.returncode == 0, result.stderr
    info = [json.loads(r.stdout) for r in started]
    assert [i["number"] for i in info] == [0, 1]
    assert info[0]["branch"] == "loupe/cli-0/1"

    wait_for(lambda: [s["state"] for s in listing(cli_repo)] == ["needs-input", "needs-input"],
             "both sessions to ask their question")
    human = loupe(cli_repo, "list")
    assert "NEEDS YOU" in human.stdout and "cli 0" in human.stdout

    # From inside a worktree, the CLI still means the main repository's sessions.
    worktree = Path(info[1]["worktree"])
    sent = loupe(worktree, "send", "0,1", "yes", "please")
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout.count("sent") == 2
    wait_for(lambda: all((Path(i["worktree"]) / "answer.txt").exists() for i in info), "answers")
    wait_for(lambda: [s["state"] for s in listing(cli_repo)] == ["idle", "idle"], "both idle")

    stat = loupe(cli_repo, "diff", "0", "--stat")
    assert stat.stdout.strip().split("\t") == ["1", "0", "answer.txt"]
    patch = loupe(cli_repo, "diff", info[0]["id"])
    assert f"+yes please from {info[0]['id']}" in patch.stdout

    dry = loupe(cli_repo, "land", "0", "--dry-run")
    assert dry.returncode == 0 and "Merge 1 commit from loupe/cli-0/1 into main" in dry.stdout
    landed = loupe(cli_repo, "land", "0", "--json")
    assert landed.returncode == 0, landed.stderr
    assert sessions.repo.git("show", "main:answer.txt").stdout == f"yes please from {info[0]['id']}\n"

    screen = loupe(cli_repo, "screen", "1")
    assert "finished" in screen.stdout

    refused = loupe(cli_repo, "rm", "1")
    assert refused.returncode == 1
    assert "still running" in refused.stderr and "--force" in refused.stderr
    assert Path(info[1]["worktree"]).exists()

    stopped = loupe(cli_repo, "stop", "all", "--json")
    assert stopped.returncode == 0, stopped.stderr
    assert [s["state"] for s in listing(cli_repo)] == ["exited", "exited"]

    # Session 0 landed (merged): nothing to lose. Session 1's commit is only on its branch.
    assert loupe(cli_repo, "rm", "0").returncode == 0
    still = loupe(cli_repo, "rm", "1")
    assert still.returncode == 1 and "only on loupe/cli-1/1" in still.stderr
    forced = loupe(cli_repo, "rm", "1", "--force", "--json")
    assert forced.returncode == 0, forced.stderr
    assert json.loads(forced.stdout)["1"]["removed"] is True
    assert listing(cli_repo) == []
    assert "loupe/cli-1/1" in sessions.repo.git("branch", "--list").stdout


def test_cli_errors_and_usage(cli_repo: Path, tmp_path: Path) -> None:
    missing = loupe(cli_repo, "send", "7", "hi")
    assert missing.returncode == 1
    assert missing.stderr.startswith("loupe: '7' matches no session")
    usage = loupe(cli_repo, "frobnicate")
    assert usage.returncode == 2 and usage.stderr.startswith("loupe: ")
    unknown = loupe(cli_repo, "start", "--agent", "nobody", "--task", "x")
    assert unknown.returncode == 1 and "unknown agent kind 'nobody'" in unknown.stderr
    outside = loupe(tmp_path, "start", "--task", "x")
    assert outside.returncode == 1 and "not a git repository" in outside.stderr
    kinds = loupe(cli_repo, "kinds", "--json")
    assert {"claude", "codex", "opencode", "aider", "loupe", "shell", "script"} <= set(json.loads(kinds.stdout))
    empty = loupe(cli_repo, "list")
    assert empty.returncode == 0 and "no sessions" in empty.stdout


def test_agent_doc_mentions_sessions() -> None:
    result = subprocess.run([*loupe_command(), "--agent"], capture_output=True, text=True, timeout=60)
    assert "## loupe session" in result.stdout and "## loupe hook" in result.stdout


def test_a_reader_that_leaves_early_and_a_hostile_task_name(cli_repo: Path) -> None:
    # `loupe session start ... | head -1`, with head already gone: the session starts, and
    # nothing but the command's own errors reaches stderr.
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        started = subprocess.run([*loupe_command(), "session", "start", "--task", "piped\x1b]0;owned\x07"],
                                 cwd=cli_repo, stdout=write_end, stderr=subprocess.PIPE, text=True,
                                 timeout=120)
    finally:
        os.close(write_end)
    assert (started.returncode, started.stderr) == (0, "")
    assert [s["task"] for s in listing(cli_repo)] == ["piped\x1b]0;owned\x07"]
    # On a terminal the task's controls are shown, not obeyed.
    shown, code = run_on_terminal(["session", "--repo", str(cli_repo), "list", "--no-diff"])
    assert code == 0 and "piped␛]0;owned␇" in shown and "\x1b" not in shown
    assert loupe(cli_repo, "stop", "all").returncode == 0


def test_send_json_reports_where_the_text_went(cli_repo: Path, sessions: SessionsHarness) -> None:
    started = loupe(cli_repo, "start", "--task", "send json", "--json")
    assert started.returncode == 0, started.stderr
    wait_for(lambda: any(s["state"] == "needs-input" for s in listing(cli_repo)), "agent asks")
    sent = loupe(cli_repo, "send", "0", "y", "--json")
    assert sent.returncode == 0, sent.stderr
    assert json.loads(sent.stdout)["delivered"] == [0]

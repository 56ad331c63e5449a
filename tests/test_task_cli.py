"""`loupe task ...` as a user or an agent runs it: a real process, real tmux, real git (issue 14)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.phases import QUESTIONS, RESEARCHER, TICKET
from tests.fixtures.sessions import SessionsHarness
from tests.helpers import wait_for
from tui import locations
from tui.locations import loupe_command

pytestmark = pytest.mark.slow


def loupe(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*loupe_command(), *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, input=stdin)


@pytest.fixture
def repo(sessions: SessionsHarness) -> Path:
    script = sessions.scripts / "researcher.sh"
    script.write_text(RESEARCHER)
    config = locations.user_config_file()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        f'[sessions]\ntmux_socket = "{sessions.socket}"\ndefault_agent = "waiter"\n\n'
        f'[agents.researcher]\ncommand = "sh {script} {{prompt}}"\n\n'
        '[agents.waiter]\ncommand = "sh -c \'echo waiting; read answer\'"\n\n'
        '[agents.ghost]\ncommand = "no-such-agent-xyz {prompt}"\n\n'
        '[phases.research]\nagent = "researcher"\n'
    )
    return sessions.repo.path


def write(repo: Path, name: str, text: str) -> Path:
    path = repo / ".loupe" / "tasks" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def as_json(result: subprocess.CompletedProcess[str]):  # noqa: ANN201 - whatever the command printed
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_task_run_research_json_then_its_artifact_in_the_timeline_and_a_second_writer(repo: Path) -> None:
    created = as_json(loupe(repo, "task", "new", "Stats command", "--text", "The SECRET-PLAN dashboard.", "--json"))
    assert created["slug"] == "stats-command"
    folder = Path(created["path"])
    (folder / "01-research-questions.md").write_text(QUESTIONS)
    listed = as_json(loupe(repo, "task", "list", "--json"))
    assert [(t["slug"], t["next_phase"]) for t in listed] == [("stats-command", "research")]

    # From inside the task folder, the task is the one you are in.
    started = as_json(loupe(folder, "task", "run", "research", "--json"))
    assert {key: started[key] for key in ("task", "phase", "agent", "in_place", "inputs", "output", "dry_run")} == {
        "task": "stats-command", "phase": "research", "agent": "researcher", "in_place": True,
        "inputs": ["01-research-questions.md"], "output": "02-research.md", "dry_run": False}
    assert started["output_path"] == str(folder / "02-research.md")
    prompt = started["prompt"]
    assert QUESTIONS.strip() in prompt
    assert "SECRET-PLAN" not in prompt and "ticket.md" not in prompt and str(folder) not in prompt
    session = started["session"]
    assert session["in_place"] and session["branch"] == "" and Path(session["worktree"]) == folder.resolve()

    artifact = folder / "02-research.md"
    wait_for(lambda: artifact.is_file() and "Where are the counts computed?" in artifact.read_text(),
             "the research artifact", timeout=30)
    (listed_session,) = as_json(loupe(repo, "session", "list", "--json"))
    assert {key: listed_session[key] for key in ("id", "phase", "output", "in_place")} == {
        "id": session["id"], "phase": "research", "output": "02-research.md", "in_place": True}
    shown = as_json(loupe(repo, "task", "show", "stats-command", "--json"))
    assert shown["next_phase"] == "design"
    events = {event["title"]: event for event in shown["timeline"] if event["kind"] == "artifact"}
    assert [w["session_id"] for w in events["02-research.md"]["writers"]] == [session["id"]]
    (run,) = [e for e in shown["timeline"] if e["kind"] == "session"]
    assert (run["phase"], run["session_id"], run["detail"]) == ("research", session["id"], prompt)

    again = loupe(repo, "task", "run", "research", "--task", "stats", "--json")
    assert again.returncode == 1 and again.stdout == ""
    assert f"session {session['number']} (researcher, research) is already writing 02-research.md" in again.stderr
    assert "--anyway" in again.stderr
    anyway = as_json(loupe(repo, "task", "run", "research", "--task", "stats", "--anyway", "--agent", "waiter", "--json"))
    assert "already writing 02-research.md" in anyway["warnings"][0]
    shown = as_json(loupe(repo, "task", "show", "stats", "--json"))
    assert [e["contested"] for e in shown["timeline"] if e["title"] == "02-research.md"] == [True]


def test_bad_input_is_refused_with_what_to_do(repo: Path, sessions: SessionsHarness) -> None:
    write(repo, "stats/ticket.md", TICKET)
    missing = loupe(repo, "task", "run", "research", "--task", "stats")
    assert missing.returncode == 1
    assert "01-research-questions.md" in missing.stderr and "loupe task run questions" in missing.stderr

    write(repo, "stats/01-research-questions.md", QUESTIONS)
    ghost = loupe(repo, "task", "run", "research", "--task", "stats", "--agent", "ghost")
    assert ghost.returncode == 1
    assert "research phase runs agent 'ghost'" in ghost.stderr and "'no-such-agent-xyz' is not installed" in ghost.stderr
    unknown = loupe(repo, "task", "run", "research", "--task", "stats", "--agent", "clod")
    assert unknown.returncode == 1 and "--agent names agent kind 'clod'" in unknown.stderr
    assert sessions.manager.sessions() == []

    template = repo / ".loupe" / "phases" / "research.md"
    template.parent.mkdir(parents=True)
    template.write_text("Answer:\n{inputs}\nin {questoins} please\n")
    typo = loupe(repo, "task", "run", "research", "--task", "stats", "--dry-run")
    assert typo.returncode == 1 and f"{template}:3: unknown placeholder {{questoins}}" in typo.stderr
    template.write_text("Answer these, exactly:\n{inputs}\n")
    dry = loupe(repo, "task", "run", "research", "--task", "stats", "--dry-run")
    assert dry.returncode == 0 and dry.stdout.startswith("Answer these, exactly:\n<file name=")
    edited = loupe(repo, "task", "run", "research", "--task", "stats", "--prompt-file", "-", "--dry-run", "--json",
                   stdin="my own prompt\n")
    assert as_json(edited)["prompt"] == "my own prompt\n"

    assert loupe(repo, "task", "run", "reserch", "--task", "stats").stderr.startswith("loupe: no phase named 'reserch'")
    assert loupe(repo, "task", "run", "research", "--task", "nope").returncode == 1

    write(repo, "stats/04-outline.md", "# Outline\n")
    write(repo, "stats/05-plan.md", "# Plan\n\nDo it all at once.\n")
    whole = loupe(repo, "task", "run", "implement", "--task", "stats")
    assert whole.returncode == 1 and "no '## Phase N' headings" in whole.stderr and "--whole-plan" in whole.stderr
    dry = loupe(repo, "task", "run", "implement", "--task", "stats", "--whole-plan", "--dry-run")
    assert dry.returncode == 0 and "Do it all at once." in dry.stdout
    started = as_json(loupe(repo, "task", "run", "implement", "--task", "stats", "--whole-plan", "--json"))
    assert started["plan_run"]["whole"] and [p["status"] for p in started["plan_run"]["phases"]] == ["running"]
    (session,) = sessions.manager.sessions()
    assert session.phase == "implement" and not session.in_place and "Do it all at once." in session.prompt


def test_loupe_agent_documents_the_artifact_conventions_and_loupe_task(tmp_path: Path) -> None:
    doc = loupe(tmp_path, "--agent")
    assert doc.returncode == 0
    for needle in ("## loupe task", "01-research-questions.md", "phase: research", "## Phase N: title",
                   "never opens\n  it", "loupe task run PHASE", "--dry-run"):
        assert needle in doc.stdout

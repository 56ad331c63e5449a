"""Phases as real sessions: in the task folder or a worktree, contested artifacts, the task's
timeline, and a plan implemented phase by phase (real tmux, real git, scripted agents)."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fixtures.phases import QUESTIONS, RESEARCHER, TICKET
from tests.fixtures.sessions import SessionsHarness, make_manager
from tests.helpers import wait_for
from tui.config import Config, PhaseConfig
from tui.phases import runs
from tui.phases.contested import contested
from tui.phases.errors import Contested
from tui.phases.launch import start_phase
from tui.phases.lookup import find_task
from tui.phases.prompt import prepare
from tui.phases.recipes import load_recipes
from tui.phases.runner import PlanRunner
from tui.phases.timeline import Kind, timeline
from tui.sessions.agents import AgentKind
from tui.sessions.errors import LandRefused
from tui.sessions.status_file import State
from tui.sessions.store import SessionStore
from tui.tasks.model import Task

pytestmark = pytest.mark.slow

TASKS = Path(".loupe/tasks")
WAITER = "echo waiting\nread answer\n"
# Works (printing) until a `release` file appears in its worktree, commits, then idles.
PHASE_AGENT = """\
i=0
while [ ! -f release ]; do i=$((i+1)); echo "working $i"; sleep 0.1; done
echo "work of $LOUPE_SESSION" > "work-$LOUPE_SESSION.txt"
git add "work-$LOUPE_SESSION.txt" && git commit -q -m "phase work"
echo "phase finished"
read answer
"""
PLAN = """---
phase: plan
---
# Plan

## Phase 1: A clock

Write the clock.

## Phase 2: Retry policy

Write the retry policy.
"""


def kind(sessions: SessionsHarness, name: str, body: str) -> str:
    """An agent kind that gets its prompt as its first argument (nothing is typed in)."""
    script = sessions.scripts / f"{name}.sh"
    script.write_text(textwrap.dedent(body))
    sessions.manager.kinds[name] = AgentKind(name, f"sh {script} {{prompt}}")
    return name


def make_task(sessions: SessionsHarness, files: dict[str, str], slug: str = "stats") -> Task:
    folder = sessions.repo.path / TASKS / slug
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    return find_task(folder.parent, slug)


def start_research(sessions: SessionsHarness, task: Task, agent: str, **kwargs):
    prepared = prepare(task, load_recipes(Config())["research"], repo_root=sessions.manager.root)
    return start_phase(sessions.manager, prepared, agent=agent, **kwargs).session


def test_a_documents_phase_runs_in_the_task_folder_and_removal_keeps_the_checkout(
    sessions: SessionsHarness,
) -> None:
    repo = sessions.repo
    task = make_task(sessions, {"ticket.md": TICKET, "01-research-questions.md": QUESTIONS})
    repo.git("add", ".")
    repo.git("commit", "-q", "-m", "task")
    (repo.path / "README.md").write_text("the user's own edit\n")
    head = repo.git("rev-parse", "HEAD").stdout
    session = start_research(sessions, task, kind(sessions, "researcher", RESEARCHER))
    assert session.in_place and session.worktree == task.path.resolve() and session.branch == ""
    assert (session.phase, session.output) == ("research", "02-research.md")
    artifact = task.path / "02-research.md"
    wait_for(lambda: artifact.is_file() and "Where are the counts computed?" in artifact.read_text(),
             "the research artifact, written from the prompt", timeout=30)
    written = artifact.read_text()
    assert "SECRET-PLAN" not in written and "ticket.md" not in written
    sessions.wait_screen(session, "research written")

    # Its diff is the task folder's, not the user's edits elsewhere in the checkout.
    assert [f.path for f in sessions.manager.diff(session).files] == [".loupe/tasks/stats/02-research.md"]
    with pytest.raises(LandRefused, match="already there"):
        sessions.manager.plan_land(session)
    rescanned = find_task(task.path.parent, "stats")
    events = timeline(rescanned, sessions=sessions.manager.sessions(),
                      snapshots={s.session.id: s for s in sessions.manager.poll()})
    (mine,) = [e for e in events if e.kind is Kind.SESSION]
    assert (mine.phase, mine.session_id, mine.detail) == ("research", session.id, session.prompt)
    (research,) = [e for e in events if e.kind is Kind.ARTIFACT and e.title == "02-research.md"]
    assert [(w.session_id, w.reason) for w in research.writers] == [(session.id, "it was started to write it")]
    (ticket,) = [e for e in events if e.title == "ticket.md"]
    assert ticket.writers == ()

    assert [r.kind for r in sessions.manager.removal_risks(session)] == ["live"]
    result = sessions.manager.remove(session, confirm=True)
    assert result.saved_ref is None
    assert artifact.read_text() == written and (task.path / "ticket.md").read_text() == TICKET
    assert (repo.path / "README.md").read_text() == "the user's own edit\n"
    assert repo.git("rev-parse", "HEAD").stdout == head
    assert repo.git("status", "--porcelain").stdout.split("\n")[:2] == [" M README.md", "?? .loupe/tasks/stats/02-research.md"]
    assert repo.git("for-each-ref", "refs/loupe").stdout == ""


def test_a_second_writer_of_an_artifact_is_refused_unless_anyway(sessions: SessionsHarness) -> None:
    task = make_task(sessions, {"01-research-questions.md": QUESTIONS})
    waiter = kind(sessions, "waiter", WAITER)
    first = start_research(sessions, task, waiter)
    with pytest.raises(Contested) as caught:
        start_research(sessions, task, waiter)
    assert f"session {first.number} (waiter, research) is already writing 02-research.md" in str(caught.value)
    assert len(sessions.manager.sessions()) == 1
    assert contested(task.path, sessions.manager.poll(set())) == {}
    second = start_research(sessions, task, waiter, anyway=True)
    found = contested(task.path, sessions.manager.poll(set()))
    assert {name: [s.id for s in writers] for name, writers in found.items()} == {
        "02-research.md": [first.id, second.id]}
    sessions.manager.stop(first)
    assert contested(task.path, sessions.manager.poll(set())) == {}


def plan_runner(sessions: SessionsHarness, *, checks: str | None = None) -> tuple[PlanRunner, Task]:
    agent = kind(sessions, "phase-agent", PHASE_AGENT)
    config = Config()
    config.phases["implement"] = PhaseConfig(agent=agent, checks=checks)
    task = make_task(sessions, {"04-outline.md": "# Outline\n\nTHE-OUTLINE\n", "05-plan.md": PLAN})
    return PlanRunner(sessions.manager, load_recipes(config)), task


def step_until(runner: PlanRunner, slug: str, reached: Callable[[runs.PlanRun], object], what: str) -> None:
    """Step the run (as the app's monitor does) until `reached` holds; starting a session on
    a busy machine takes a while."""
    def stepped() -> object:
        runner.step(slug)
        return reached(runner.load(slug))
    wait_for(stepped, what, timeout=60)


def session_of(sessions: SessionsHarness, phase: runs.PhaseProgress):
    return sessions.manager.get(phase.session)


def test_the_plan_runner_starts_phase_two_only_after_phase_one_is_idle(sessions: SessionsHarness) -> None:
    runner, task = plan_runner(sessions)
    run, events = runner.begin(task)
    assert [p.status for p in run.phases] == ["running", "pending"] and "Phase 1: A clock" in events[0]
    first = session_of(sessions, run.phases[0])
    assert "THE-OUTLINE" in first.prompt and "Write the clock." in first.prompt
    assert "Retry policy" not in first.prompt and first.phase == "implement" and not first.in_place

    # Working: seen at work after its first moments, and still no phase 2.
    step_until(runner, task.slug, lambda run: run.phases[0].seen_working, "phase 1 seen at work")
    assert sessions.snapshot(first).state is State.WORKING
    assert runner.step(task.slug) == [] and len(sessions.manager.sessions()) == 1

    (first.worktree / "release").touch()
    step_until(runner, task.slug, lambda run: run.phases[1].session, "phase 2 to start once phase 1 is idle")
    run = runner.load(task.slug)
    assert [p.status for p in run.phases] == ["done", "running"]
    assert sessions.snapshot(first).state is State.IDLE
    second = session_of(sessions, run.phases[1])
    assert "Write the retry policy." in second.prompt and "Write the clock." not in second.prompt
    # Phase 2 builds on phase 1's commit; its diff is its own work only.
    assert (second.worktree / f"work-{first.id}.txt").is_file()
    assert second.base_branch == first.base_branch == "main"

    # A restarted loupe (a new manager and runner on the same stores) carries on.
    restarted = make_manager(sessions.repo.path, sessions.socket, SessionStore())
    restarted.kinds.update(sessions.manager.kinds)
    again = PlanRunner(restarted, runner.recipes)
    (second.worktree / "release").touch()
    step_until(again, task.slug, lambda run: run.finished, "the run to finish")
    assert [f.path for f in sessions.manager.diff(second).files] == ["release", f"work-{second.id}.txt"]
    assert "2/2 plan phases done" in again.load(task.slug).summary()


def test_failing_checks_stop_the_run_until_go(sessions: SessionsHarness) -> None:
    runner, task = plan_runner(sessions, checks='echo "checking in $PWD"; test -f checks-ok')
    run, _ = runner.begin(task, auto=True)
    first = session_of(sessions, run.phases[0])
    step_until(runner, task.slug, lambda run: run.phases[0].seen_working, "phase 1 at work")
    (first.worktree / "release").touch()
    step_until(runner, task.slug, lambda run: run.phases[0].status == runs.CHECKS_FAILED,
               "phase 1's checks to fail")
    phase = runner.load(task.slug).phases[0]
    assert phase.checks_exit == 1 and f"checking in {first.worktree}" in Path(phase.checks_log).read_text()
    assert runner.step(task.slug) == [] and len(sessions.manager.sessions()) == 1
    events = runner.go(task.slug)
    assert events[0] == "Phase 1: A clock: marked done by you" and "Phase 2" in events[1]
    assert [p.status for p in runner.load(task.slug).phases] == ["done", "running"]

"""`loupe task run PHASE`: a task's phase as an agent session, or its plan phase by phase."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.errors import UsageError
from tui import cli_output as out
from tui.phases.cli_common import Context, print_json
from tui.phases.errors import Contested, PhaseError, PlanError
from tui.phases.launch import agent_for, contest_warning, start_phase
from tui.phases.plan import plan_phases
from tui.phases.prompt import PreparedPhase, prepare, read_input
from tui.phases.recipes import Recipe, get_recipe, next_phase
from tui.phases.runner import PlanRunner
from tui.phases.runs import STOPPED, PlanRun

if TYPE_CHECKING:
    from tui.tasks.model import Task


def add_run_parser(commands: Any) -> None:
    run = commands.add_parser("run", help="start a task's phase as an agent session")
    run.add_argument("phase", help="questions, research, design, outline, plan, implement, one of "
                                   "your [phases.*], or next")
    run.add_argument("--task", help="task folder name (default: the task folder you are in)")
    run.add_argument("--agent", help="agent kind (default: the phase's, else [sessions] default_agent)")
    run.add_argument("--prompt-file", type=Path, help="send this prompt instead (e.g. the one "
                     "--dry-run printed, edited); - reads it from stdin")
    run.add_argument("--anyway", action="store_true",
                     help="start even when a live session already writes the same artifact")
    run.add_argument("--dry-run", action="store_true", help="print the exact prompt; start nothing")
    run.add_argument("--json", action="store_true")
    plan = run.add_argument_group("implementing a plan")
    plan.add_argument("--plan-phase", type=int, metavar="N", help="run only the plan's phase N")
    plan.add_argument("--whole-plan", action="store_true", help="run the whole plan as one phase")
    plan.add_argument("--manual", action="store_true",
                      help="start each next phase only on --go (not when the last one is done)")
    plan.add_argument("--go", action="store_true", help="start the next plan phase now")
    plan.add_argument("--again", action="store_true", help="run the current plan phase again")
    plan.add_argument("--follow", action="store_true",
                      help="stay, moving the run on, until it is done or stops (ctrl-c leaves it running)")
    plan.add_argument("--poll", type=float, default=2.0, help="with --follow: seconds between looks")


def run(ctx: Context, args: argparse.Namespace) -> int:
    task = ctx.task(args.task)
    name = args.phase
    if name == "next":
        name = next_phase(task, ctx.recipes)
        if name is None:
            raise PhaseError(f"task {task.slug} has an artifact for every phase; run one again by name")
    recipe = get_recipe(ctx.recipes, name)
    if args.plan_phase is not None and not recipe.plan:
        raise UsageError(f"--plan-phase goes with a phase that follows a plan (implement), not {name}")
    if recipe.plan and args.plan_phase is None:
        return _run_plan(ctx, args, task, recipe)
    if args.go or args.again or args.follow or args.manual:
        raise UsageError("--go, --again, --follow and --manual are for running a plan phase by phase")
    section = None
    if args.plan_phase is not None:
        found = plan_phases(read_input(task, recipe.plan))
        section = next((p for p in found if p.number == args.plan_phase), None)
        if section is None:
            numbers = ", ".join(str(p.number) for p in found) or "none"
            raise PlanError(f"{task.path / recipe.plan} has no '## Phase {args.plan_phase}'; its phases: {numbers}")
    prepared = prepare(task, recipe, repo_root=ctx.root, plan_phase=section)
    prompt = _prompt_from_file(args.prompt_file)
    if args.dry_run:
        return _print_dry_run(ctx, args, prepared, prompt)
    try:
        started = start_phase(ctx.manager, prepared, agent=args.agent, prompt=prompt, anyway=args.anyway)
    except Contested as exc:
        out.error(f"loupe: {exc} (--anyway)")
        return 1
    session = started.session
    for warning in started.warnings:
        out.error(f"loupe: warning: {warning}")
    if args.json:
        print_json({**_record(prepared, started.prompt, session.agent), "warnings": started.warnings,
                    "dry_run": False, "session": {
                        "number": session.number, "id": session.id, "worktree": str(session.worktree),
                        "branch": session.branch, "in_place": session.in_place,
                        "attach": f"loupe session attach {session.number}"}})
        return 0
    where = (f"in the task folder {session.worktree} (no worktree)" if session.in_place
             else f"in worktree {session.worktree} on {session.branch}")
    out.line(f"started session {session.number} ({session.id}): {session.agent}, {name} phase of {task.slug}")
    out.line(f"  {where}")
    if recipe.output:
        out.line(f"  writes {recipe.output}")
    out.line(f"  attach: loupe session attach {session.number}")
    return 0


def _record(prepared: PreparedPhase, prompt: str, agent: str) -> dict[str, Any]:
    section = prepared.plan_phase
    return {
        "task": prepared.task.slug, "task_dir": str(prepared.task.path), "phase": prepared.recipe.name,
        "agent": agent, "in_place": prepared.in_place, "inputs": list(prepared.inputs),
        "output": prepared.recipe.output or None,
        "output_path": str(prepared.output_path) if prepared.output_path else None,
        "plan_phase": {"number": section.number, "title": section.title} if section else None,
        "template": str(prepared.template.path), "prompt": prompt,
    }


def _print_dry_run(ctx: Context, args: argparse.Namespace, prepared: PreparedPhase, prompt: str | None) -> int:
    text = prepared.prompt if prompt is None else prompt
    agent = agent_for(ctx.manager, prepared, args.agent)
    warning = contest_warning(ctx.manager, prepared)
    if args.json:
        print_json({**_record(prepared, text, agent), "warnings": [warning] if warning else [],
                    "dry_run": True, "session": None})
        return 0
    if warning:
        out.error(f"loupe: warning: {warning}")
    # Piped: the exact prompt, byte for byte. On a terminal: its control characters shown.
    out.write(text)
    return 0


def _prompt_from_file(path: Path | None) -> str | None:
    if path is None:
        return None
    try:
        text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the prompt file {path}: {exc}") from exc
    if not text.strip():
        raise UsageError(f"the prompt file {path} is empty; say what the agent should do")
    return text


def _run_plan(ctx: Context, args: argparse.Namespace, task: Task, recipe: Recipe) -> int:
    runner = PlanRunner(ctx.manager, ctx.recipes)
    if args.prompt_file is not None:
        raise UsageError("--prompt-file goes with --plan-phase N: each plan phase has a prompt of its own")
    if args.go:
        events = runner.go(task.slug, anyway=args.anyway)
    elif args.again:
        events = runner.again(task.slug, anyway=args.anyway)
    elif args.dry_run:
        found = [] if args.whole_plan else runner.phases_of(task, recipe.name)
        if not found and not args.whole_plan:
            raise PlanError(f"{task.path / recipe.plan} has no '## Phase N' headings; run it as one "
                            "phase with --whole-plan")
        prepared = prepare(task, recipe, repo_root=ctx.root, plan_phase=found[0] if found else None)
        return _print_dry_run(ctx, args, prepared, None)
    else:
        _, events = runner.begin(task, recipe=recipe.name, auto=not args.manual, whole=args.whole_plan,
                                 agent=args.agent, anyway=args.anyway)
    _say(args, events)
    if args.follow:
        _follow(runner, task.slug, args)
    current = runner.load(task.slug)
    if args.json:
        print_json({"task": task.slug, "phase": recipe.name, "events": events,
                    "plan_run": current.to_dict() if current else None})
    elif current is not None:
        out.line(current.summary())
    return 1 if _stopped(current) else 0


def _say(args: argparse.Namespace, events: list[str]) -> None:
    if not args.json:
        for event in events:
            out.line(event)


def _follow(runner: PlanRunner, task_slug: str, args: argparse.Namespace) -> None:
    try:
        while True:
            run = runner.load(task_slug)
            if run is None or run.finished or _stopped(run):
                return
            time.sleep(args.poll)
            _say(args, runner.step(task_slug))
    except KeyboardInterrupt:
        out.error("loupe: stopped following; the sessions and the run go on")


def _stopped(run: PlanRun | None) -> bool:
    return run is not None and run.current is not None and run.current.status in STOPPED

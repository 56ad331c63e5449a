"""`loupe task ...`: tasks and their phases from a shell, for people and for agents.

`list`, `show` and `new` are here; `run` (a phase as a session, a plan phase by phase) is in
`tui.phases.run_cli`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING

from tui.errors import LoupeError, UsageError
from tui import cli_output as out
from tui.phases.cli_common import Context, print_json

if TYPE_CHECKING:
    from tui.tasks.model import Task

SUMMARY = "list, show and create tasks; run a task's next phase as an agent session"

AGENT_DOC = """\
## loupe task

A task is a folder under the tasks folder (`.loupe/tasks/` unless `general.tasks_dir` says
otherwise); its markdown files are its artifacts, read by the developer in loupe:

- `ticket.md`: what is asked. Optional front matter at the very top: `title`, `status`, `phase`.
- One numbered artifact per phase, in order: `01-research-questions.md`, `02-research.md`,
  `03-design-discussion.md`, `04-outline.md`, `05-plan.md` (the number comes first, then
  words that name the phase). Start each with front matter naming its phase:
  `---` / `phase: research` / `---`.
- Phases: **questions** (from the ticket: what to find out about the code) → **research**
  (answers the questions from the code alone: it is not given the ticket, and never opens
  it, so that it stays objective) → **design** (options and recommendations; ends with `## Open questions` for
  the developer) → **outline** (the structure, approved by the developer) → **plan**
  (`## Phase N: title` sections, each small enough for one context window) → **implement**
  (one session per plan phase, in a worktree, each given the outline and its phase only).
- Each phase runs in a fresh session whose prompt carries the files it reads. Write only
  the artifact your prompt names; the others are the developer's record.

- `loupe task list [--json]`: tasks with their phase, status and next phase.
- `loupe task show TASK [--json]`: artifacts (who wrote them), sessions, threads, plan progress.
- `loupe task new TITLE [--text TEXT] [--json]`: a new task folder with its `ticket.md`.
- `loupe task run PHASE [--task TASK] [--agent KIND] [--dry-run] [--json]`: start PHASE
  (`next`: the task's next one) as a session; `--dry-run` prints the exact prompt. It is
  refused (exit 1) when an input is missing, or when a live session already writes the same
  artifact (`--anyway` starts it all the same). `implement` runs the plan's phases one after
  another (`--manual`: wait for `--go` between them; `--plan-phase N`: only that one;
  `--whole-plan`: a plan without `## Phase N` headings as one phase).
"""

class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="loupe task", description=SUMMARY)
    parser.add_argument("--repo", type=Path, default=None, help="repository (default: the current one)")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    listing = commands.add_parser("list", help="tasks with their phase, status and next phase")
    listing.add_argument("--json", action="store_true")

    show = commands.add_parser("show", help="a task's artifacts, sessions, threads and plan progress")
    show.add_argument("task", nargs="?", help="task folder name (default: the task folder you are in)")
    show.add_argument("--json", action="store_true")

    new = commands.add_parser("new", help="create a task: a folder with its ticket.md")
    new.add_argument("title")
    new.add_argument("--text", default="", help="the ticket's text")
    new.add_argument("--json", action="store_true")

    from tui.phases.run_cli import add_run_parser

    add_run_parser(commands)
    return parser


def main(argv: list[str]) -> int:
    try:
        args = build_parser().parse_args(argv)
        return _dispatch(args)
    except UsageError as exc:
        out.error(f"loupe: {exc}")
        return 2


def _dispatch(args: argparse.Namespace) -> int:
    from tui import config as config_module
    from tui.phases.lookup import tasks_dir
    from tui.phases.recipes import load_recipes
    from tui.sessions.worktrees import main_repo_root

    start = (args.repo or Path.cwd()).resolve()
    root = main_repo_root(start) or start
    loaded = config_module.load(root)
    problems = [str(p) for p in loaded.problems]
    recipes = load_recipes(loaded.config, problems)
    for problem in problems:
        out.error(f"loupe: config: {problem}")
    ctx = Context(root, loaded.config, tasks_dir(root, loaded.config), recipes)
    if args.command == "run":
        from tui.phases.run_cli import run

        return run(ctx, args)
    return int(globals()[f"_cmd_{args.command}"](ctx, args))


def _cmd_list(ctx: Context, args: argparse.Namespace) -> int:
    from tui.phases.recipes import next_phase
    from tui.phases.timeline import sessions_of
    from tui.tasks.discovery import TaskScanner

    tasks = TaskScanner(ctx.tasks_dir).scan().tasks
    snapshots = _snapshots(ctx)
    records = []
    for task in tasks:
        mine = {s.id for s in sessions_of(task, [s.session for s in snapshots])}
        records.append({
            "slug": task.slug, "title": task.title, "phase": task.phase, "status": task.status,
            "next_phase": next_phase(task, ctx.recipes), "path": str(task.path),
            "updated": task.updated, "artifacts": [a.name for a in task.artifacts],
            "live_sessions": sum(1 for s in snapshots if s.live and s.session.id in mine),
        })
    if args.json:
        print_json(records)
        return 0
    if not records:
        out.line(f"no tasks in {ctx.tasks_dir}; create one with: loupe task new TITLE")
        return 0
    for record in records:
        status = f" · {record['status']}" if record["status"] else ""
        live = f" · {record['live_sessions']} live session(s)" if record["live_sessions"] else ""
        out.line(f"{record['slug']}  {record['title']}")
        out.line(f"    {record['phase'] or 'empty'}{status} · next: {record['next_phase'] or 'none'}{live}")
    return 0


def _snapshots(ctx: Context) -> list:
    try:
        return ctx.manager.poll(set())
    except LoupeError as exc:
        out.error(f"loupe: warning: sessions not shown: {exc}")
        return []


def _cmd_show(ctx: Context, args: argparse.Namespace) -> int:
    from tui.phases.recipes import next_phase
    from tui.phases.runs import RunStore
    from tui.phases.timeline import timeline, worktree_changes

    task = ctx.task(args.task)
    snapshots = {s.session.id: s for s in _snapshots(ctx)}
    sessions = ctx.manager.sessions(include_removed=True)
    run = RunStore(ctx.root).load(task.slug)
    events = timeline(task, sessions=sessions, snapshots=snapshots, threads=_threads(), run=run,
                      diff_paths=worktree_changes(ctx.manager))
    if args.json:
        print_json({"slug": task.slug, "title": task.title, "path": str(task.path), "phase": task.phase,
                    "status": task.status, "next_phase": next_phase(task, ctx.recipes),
                    "plan_run": run.to_dict() if run else None,
                    "timeline": [event.to_dict() for event in events]})
        return 0
    out.line(f"{task.title}  ({task.slug}, {task.path})")
    out.line(f"phase: {task.phase or 'empty'} · next: {next_phase(task, ctx.recipes) or 'none'}")
    if run is not None:
        out.line(f"plan: {run.summary()}")
        for phase in run.phases:
            out.line(f"  {phase.label}: {phase.status}" + (f" ({phase.detail})" if phase.detail else ""))
    for event in events:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(event.at))
        state = f" [{event.state}]" if event.state else ""
        mark = " (contested)" if event.contested else ""
        out.line(f"{when}  {event.kind:<8} {event.title}{state}{mark}")
        for writer in event.writers:
            out.line(f"{'':>27}by session {writer.number}: {writer.reason}")
    return 0


def _threads() -> list:
    from tui.threads.store import ThreadStore, default_path

    if not default_path().exists():
        return []
    try:
        with ThreadStore() as store:
            return store.list_threads(include_archived=True)
    except LoupeError as exc:
        out.error(f"loupe: warning: threads not shown: {exc}")
        return []


def _cmd_new(ctx: Context, args: argparse.Namespace) -> int:
    from tui.tasks.create import create_task

    folder = create_task(ctx.tasks_dir, args.title, args.text)
    if args.json:
        print_json({"slug": folder.name, "path": str(folder), "ticket": str(folder / "ticket.md")})
    else:
        out.line(f"created task {folder.name}: {folder / 'ticket.md'}")
    return 0

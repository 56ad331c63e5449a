"""`loupe session ...`: every session operation from a shell, for people and for agents."""

from __future__ import annotations

import argparse
import os
import shlex
from pathlib import Path
from typing import Any

from tui import cli_output as out
from tui.errors import LoupeError, UsageError
from tui.sessions import exec_cli
from tui.sessions.cli_send import await_delivery, undelivered_reason
from tui.sessions.cli_send import cmd_send as _cmd_send  # noqa: F401 - found by name in main
from tui.sessions.model import LOCAL_HOST, Snapshot, format_elapsed
from tui.sessions.status_file import State
from tui.sessions.stop_report import stop_lines

SUMMARY = "start, list, message, stop, review, land and remove agent sessions"

AGENT_DOC = """\
## loupe session

Agent sessions run in tmux (`tmux -L loupe`), each in its own git worktree on a branch
`loupe/<task>/<n>`. Address sessions by number (`0`), several (`0,2`), `all`, or id.

- `loupe session start --agent KIND --task NAME [--base REF] [--fetch] [--host NAME] [--no-wait] PROMPT`:
  start one; KIND is claude, codex, opencode, aider, loupe, shell or one from `[agents.*]`
  config; `--host` runs it on a `[hosts.NAME]` machine over SSH (see `loupe host list`). An
  agent that is typed its prompt (aider, shell) gets it once its input prompt shows; start
  waits for that unless `--no-wait`.
- `loupe session list [--json]`: number, id, agent, state (starting, working, needs-input,
  idle, exited, stopped when loupe ended it, killed when its tmux window vanished;
  unreachable when its host cannot be reached), elapsed time, diff size, task, host, and queued or not-delivered texts.
- `loupe session send 0,2 TEXT [--when-idle [--no-wait]]`: type TEXT + Enter into sessions;
  `--when-idle` holds it until the session is idle and ready for it instead of
  interrupting it, then waits until it arrived (exit 1 if it was not delivered).
- `loupe session stop 0`: end the agent and every process it started (SIGTERM and SIGHUP,
  SIGKILL after 5 s); it then reads "stopped". Processes that left its terminal (setsid,
  daemons) are not ended: stop lists them (pid and command) for you to end.
- `loupe session diff 0 [--stat] [--json]`: changes against the base, committed and not.
- `loupe session land 0 [--cherry-pick] [--onto BRANCH] [--dry-run]`: merge the session's
  commits onto its base branch; a conflict changes nothing (exit 1).
- `loupe session rm 0 [--force] [--dry-run]`: delete the worktree (the branch is kept);
  refused (exit 1) while the session runs or has uncommitted, untracked, ignored (not
  disposable) or unmerged work, a nested repository or detached commits, unless `--force`,
  which first saves all of it to `refs/loupe/removed/<id>`.
- `loupe session exec 0,2|all [--host NAME] [--json] -- CMD...`: run CMD in each session's
  worktree (not typed into the agent), `{n}` in CMD replaced by the session's number; the
  outputs are printed labelled per session; the exit status is the worst of them (255 where
  it could not run).
- `loupe session screen 0`, `loupe session attach 0`, `loupe session kinds`.

Inside a session, `$LOUPE_SESSION`, `$PORT` (first of 10 ports reserved for it) and
`$LOUPE_STATUS_FILE` are set.
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="loupe session", description=SUMMARY)
    parser.add_argument("--repo", type=Path, default=None, help="repository (default: the current one)")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    start = commands.add_parser("start", help="start a session in a new worktree")
    start.add_argument("prompt", nargs="*", help="what to ask the agent")
    start.add_argument("--agent", help="agent kind (default: [sessions] default_agent)")
    start.add_argument("--task", default="", help="task name; names the branch loupe/<task>/<n>")
    start.add_argument("--task-dir", type=Path, help="the task's folder, passed to the agent")
    start.add_argument("--base", help="branch or commit to start from (default: HEAD)")
    start.add_argument("--fetch", action="store_true", default=None, help="git fetch first")
    start.add_argument("--host", default=LOCAL_HOST, help="run it on this [hosts.NAME] over SSH (default: here)")
    start.add_argument("--no-wait", action="store_true",
                       help="return at once, even when the prompt is still to be typed in")
    start.add_argument("--timeout", type=float, default=120.0,
                       help="seconds to wait for an agent that is typed its prompt to take it")
    start.add_argument("--json", action="store_true")

    listing = commands.add_parser("list", help="list sessions with their state")
    listing.add_argument("--json", action="store_true")
    listing.add_argument("--no-diff", action="store_true", help="skip diff sizes (faster)")

    send = commands.add_parser("send", help="type text (and Enter) into sessions")
    send.add_argument("targets", help="0, 0,2, all, or an id")
    send.add_argument("text", nargs="+")
    send.add_argument("--when-idle", action="store_true", help="hold the text until the session is idle")
    send.add_argument("--no-wait", action="store_true", help="with --when-idle: queue and return")
    send.add_argument("--timeout", type=float, default=600.0, help="seconds to wait for idle")
    send.add_argument("--json", action="store_true")

    stop = commands.add_parser("stop", help="end sessions' agents and all their processes")
    stop.add_argument("targets")
    stop.add_argument("--json", action="store_true")

    diff = commands.add_parser("diff", help="show a session's changes against its base")
    diff.add_argument("target")
    diff.add_argument("--stat", action="store_true", help="lines added and removed per file")
    diff.add_argument("--json", action="store_true")

    land = commands.add_parser("land", help="merge a session's commits onto its base branch")
    land.add_argument("target")
    land.add_argument("--cherry-pick", action="store_true", help="copy the commits instead of merging")
    land.add_argument("--onto", help="branch to land onto (default: the session's base branch)")
    land.add_argument("--dry-run", action="store_true", help="say what would happen, change nothing")
    land.add_argument("--json", action="store_true")

    remove = commands.add_parser("rm", help="remove sessions' worktrees (branches are kept)")
    remove.add_argument("targets")
    remove.add_argument("--force", action="store_true", help="remove anyway; the work is saved to a ref first")
    remove.add_argument("--dry-run", action="store_true", help="list what would be lost")
    remove.add_argument("--json", action="store_true")

    screen = commands.add_parser("screen", help="print a session's current screen")
    screen.add_argument("target")
    screen.add_argument("--color", action="store_true", help="keep the ANSI colours")

    attach = commands.add_parser("attach", help="attach this terminal to a session (tmux)")
    attach.add_argument("target")

    exec_cli.add_parser(commands)

    kinds = commands.add_parser("kinds", help="list agent kinds")
    kinds.add_argument("--json", action="store_true")
    return parser


def main(argv: list[str]) -> int:
    try:
        args = exec_cli.parse(build_parser(), argv)
    except UsageError as exc:
        out.error(f"loupe: {exc}")
        return 2
    from tui.sessions.manager import SessionManager

    manager = SessionManager(args.repo or Path.cwd())
    for problem in manager.kind_problems:
        out.error(f"loupe: config: {problem}")
    handler = globals()[f"_cmd_{args.command}"]
    try:
        return handler(manager, args)
    except UsageError as exc:
        out.error(f"loupe: {exc}")
        return 2
    finally:
        # Ends the shared ssh connection of every host this command used.
        manager.close()


def _print_json(value: Any) -> None:
    out.print_json(value)


def _snapshot_record(manager, snapshot: Snapshot, stat: Any | None) -> dict[str, Any]:
    session = snapshot.session
    record: dict[str, Any] = {
        "number": session.number,
        "id": session.id,
        "agent": session.agent,
        "task": session.task,
        "state": snapshot.state.value,
        "exit_code": snapshot.exit_code,
        "stopped": snapshot.stopped,
        "killed": snapshot.killed,
        "detail": snapshot.detail,
        "host": session.host,
        "elapsed": round(snapshot.elapsed(), 1),
        "branch": session.branch,
        "base_branch": session.base_branch,
        "worktree": str(session.worktree),
        "port_base": session.port_base,
        "queued": snapshot.queued,
        "undelivered": [{"text": q.text, "reason": q.failure}
                        for q in manager.store.undelivered(session.id)] if snapshot.undelivered else [],
        "phase": session.phase or None,
        "output": session.output or None,
        "in_place": session.in_place,
        "tmux": _attach_line(manager, session),
    }
    if stat is not None:
        record.update(files=stat.files, added=stat.added, removed=stat.removed)
    return record


def _attach_line(manager, session) -> str:
    try:
        return shlex.join(manager.attach_argv(session))
    except LoupeError as exc:
        return f"(cannot attach: {exc})"


def _state_label(snapshot: Snapshot) -> str:
    if snapshot.state is State.NEEDS_INPUT:
        return "NEEDS YOU"
    if snapshot.stopped:
        return "stopped"
    if snapshot.killed:
        return "killed"
    if snapshot.state is State.EXITED:
        return "exited" if snapshot.exit_code is None else f"exited {snapshot.exit_code}"
    return snapshot.state.value


def _cmd_start(manager, args) -> int:
    result = manager.start(
        task=args.task, prompt=" ".join(args.prompt), agent=args.agent, base=args.base,
        fetch=args.fetch, task_dir=args.task_dir.resolve() if args.task_dir else None, host=args.host,
    )
    session = result.session
    for warning in result.warnings:
        out.error(f"loupe: warning: {warning}")
    # The agent is typed its prompt once it shows its input prompt: wait for that here, so
    # the prompt arrives even when no loupe app runs.
    if result.queue_id is None:
        prompt = "argument" if args.prompt else "none"
    elif args.no_wait:
        prompt = "pending"
    else:
        prompt = await_delivery(manager, {result.queue_id: session}, args.timeout)[result.queue_id]
    if args.json:
        _print_json({"number": session.number, "id": session.id, "host": session.host, "branch": session.branch,
                     "worktree": str(session.worktree), "port_base": session.port_base,
                     "copied": result.copied, "warnings": result.warnings, "prompt": prompt})
    else:
        where = "" if session.host == LOCAL_HOST else f" on host {session.host}"
        out.line(f"started session {session.number} ({session.id}){where}: {session.agent} on {session.branch}")
        out.line(f"  worktree {session.worktree}")
        out.line(f"  ports {session.port_base}-{session.port_base + 9}; "
                 f"attach: loupe session attach {session.number}")
        if prompt == "pending":
            out.line("  prompt queued: it is typed in once the agent shows its input prompt (while loupe runs)")
    if prompt in ("undelivered", "dropped"):
        out.error(f"loupe: the prompt was not delivered: {undelivered_reason(manager, session, result.queue_id)}")
        return 1
    return 0


def _cmd_list(manager, args) -> int:
    snapshots = manager.poll()
    stats: dict[str, Any] = {}
    if not args.no_diff:
        for snapshot in snapshots:
            try:
                stats[snapshot.session.id] = manager.diff_stat(snapshot.session)
            except Exception:  # noqa: BLE001 - a broken worktree must not hide the list
                stats[snapshot.session.id] = None
    if args.json:
        _print_json([_snapshot_record(manager, s, stats.get(s.session.id)) for s in snapshots])
        return 0
    if not snapshots:
        out.line("no sessions; start one with: loupe session start --agent shell --task NAME")
        return 0
    out.line(f"{'#':>2}  {'id':<6}  {'agent':<8}  {'state':<11}  {'elapsed':>8}  {'diff':<12}  task")
    for snapshot in snapshots:
        stat = stats.get(snapshot.session.id)
        size = f"+{stat.added} -{stat.removed}" if stat else ""
        session = snapshot.session
        queued = f"  ({snapshot.queued} queued)" if snapshot.queued else ""
        if snapshot.undelivered:
            queued += f"  ({snapshot.undelivered} not delivered)"
        where = "" if session.host == LOCAL_HOST else f"  @{session.host}"
        out.line(f"{session.number:>2}  {session.id:<6}  {session.agent:<8}  {_state_label(snapshot):<11}  "
                 f"{format_elapsed(snapshot.elapsed()):>8}  {size:<12}  {session.task}{where}{queued}")
    return 0


def _cmd_stop(manager, args) -> int:
    chosen = manager.select(args.targets)
    outcomes = manager.stop_reporting(chosen)
    for outcome in outcomes.values():
        if isinstance(outcome, Exception):
            raise outcome
    if args.json:
        _print_json({str(s.number): {"exit_code": outcomes[s.id].exit_code,
                                     "left_running": [{"pid": p.pid, "command": p.command}
                                                      for p in outcomes[s.id].left_running]}
                     for s in chosen})
    else:
        for session in chosen:
            stopped = outcomes[session.id]
            for line in stop_lines(session.number, stopped.exit_code, stopped.left_running):
                out.line(line)
    return 0


def _cmd_diff(manager, args) -> int:
    (session,) = _one(manager, args.target)
    result = manager.diff(session)
    if args.json:
        _print_json({
            "base": result.base, "commits": result.commits, "truncated": result.truncated,
            "files": [{"path": f.path, "old_path": f.old_path, "status": f.status,
                       "added": f.added, "removed": f.removed}
                      for f in result.files],
            "added": result.stat.added, "removed": result.stat.removed,
            "patch": result.patch,
        })
    elif args.stat:
        for f in result.files:
            binary = f.status == "binary"
            out.line(f"{'-' if binary else f.added}\t{'-' if binary else f.removed}\t{f.path}")
    else:
        out.write(result.patch)
    return 0


def _one(manager, target: str) -> list:
    chosen = manager.select(target)
    if len(chosen) != 1:
        raise UsageError(f"'{target}' names {len(chosen)} sessions; give exactly one")
    return chosen


def _cmd_land(manager, args) -> int:
    (session,) = _one(manager, args.target)
    mode = "cherry-pick" if args.cherry_pick else "merge"
    if args.dry_run:
        plan = manager.plan_land(session, mode, args.onto)
        if args.json:
            _print_json({"mode": plan.mode, "onto": plan.onto, "commits": [c for c, _ in plan.commits],
                         "conflicts": list(plan.conflicts), "uncommitted": list(plan.uncommitted),
                         "interrupted": plan.interrupted, "description": plan.describe(session)})
        else:
            out.line("\n".join(plan.describe(session)))
        return 1 if plan.conflicts else 0
    result = manager.land(session, mode, args.onto)
    if args.json:
        _print_json({"onto": result.plan.onto, "new_tip": result.new_tip, "landed": result.landed,
                     "recovered": result.recovered})
    else:
        if result.recovered:
            out.line(result.recovered)
        out.line(f"landed {len(result.landed)} commit(s) from {session.branch} onto {result.plan.onto} "
                 f"(now {result.new_tip[:10]})")
        if result.plan.uncommitted:
            out.line(f"not landed: {len(result.plan.uncommitted)} uncommitted file(s) in the session")
    return 0


def _cmd_rm(manager, args) -> int:
    chosen = manager.select(args.targets)
    report: dict[str, Any] = {}
    failed = False
    for session in chosen:
        risks = manager.removal_risks(session)
        if args.dry_run:
            report[str(session.number)] = {"risks": [r.message for r in risks], "removed": False}
            if not args.json:
                out.line(f"session {session.number}: " + ("; ".join(r.message for r in risks)
                                                         or "nothing would be lost"))
            continue
        if risks and not args.force:
            failed = True
            report[str(session.number)] = {"risks": [r.message for r in risks], "removed": False}
            out.error(f"loupe: not removing session {session.number}: "
                      + "; ".join(r.message for r in risks) + ". Use --force to remove anyway "
                      f"(the work is saved to refs/loupe/removed/{session.id} first)")
            continue
        result = manager.remove(session, confirm=True)
        report[str(session.number)] = {"risks": [r.message for r in risks], "removed": True,
                                       "saved_ref": result.saved_ref, "branch": session.branch}
        if not args.json:
            saved = f"; leftovers saved to {result.saved_ref}" if result.saved_ref else ""
            out.line(f"session {session.number}: removed its worktree; branch {session.branch} kept{saved}")
    if args.json:
        _print_json(report)
    return 1 if failed else 0


def _cmd_screen(manager, args) -> int:
    (session,) = _one(manager, args.target)
    # With --color, tmux writes the colours as SGR sequences of its own.
    out.write(manager.capture(session, ansi=args.color), keep_colour=args.color)
    return 0


def _cmd_attach(manager, args) -> int:
    (session,) = _one(manager, args.target)
    attach = manager.attach_command(session)
    # What it ran over a host's shared connection ends now; attach makes its own (execve
    # skips the `finally` that would).
    manager.close()
    out.finish()
    os.execve(attach.argv[0], attach.argv, attach.env)
    return 0  # pragma: no cover - execve does not return


def _cmd_exec(manager, args) -> int:
    return exec_cli.main(manager, args)


def _cmd_kinds(manager, args) -> int:
    kinds = manager.kinds
    if args.json:
        _print_json({name: {"command": k.command, "status": k.status, "description": k.description,
                            "prompt": "argument" if k.takes_prompt_argument else "typed",
                            "ready_pattern": k.ready_pattern, "prompt_patterns": list(k.prompt_patterns),
                            "prompt_lines": k.prompt_lines, "busy_pattern": k.busy_pattern}
                     for name, k in kinds.items()})
    else:
        for name, kind in kinds.items():
            out.line(f"{name:<10} {kind.status:<7} {kind.command}")
    return 0

"""`loupe session exec TARGETS [--host NAME] [--json] [--timeout S] -- CMD...`."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from tui import cli_output as out
from tui.errors import UsageError
from tui.sessions.model import Session
from tui.sessions.run_everywhere import ExecResult, run_everywhere, worst

if TYPE_CHECKING:
    from tui.sessions.manager import SessionManager

HELP = "run a command in sessions' worktrees ({n}: each one's number), outputs labelled"


def add_parser(commands: Any) -> None:
    """The `exec` subcommand; its command comes after `--` (see `split`)."""
    run = commands.add_parser(
        "exec", help=HELP, description=HELP + ". The command goes after --; the exit status is the "
        "worst of them (255 where it could not run: host unreachable, worktree gone).")
    run.add_argument("targets", help="0, 0,2, all, or an id")
    run.add_argument("--host", help="only the sessions on this host (local, or a [hosts.NAME])")
    run.add_argument("--timeout", type=float, default=600.0, help="seconds each may take (default 600)")
    run.add_argument("--json", action="store_true")


def split(argv: list[str]) -> tuple[list[str], list[str] | None]:
    """The arguments before the first `--`, and the command after it (None without one)."""
    if "--" not in argv:
        return argv, None
    cut = argv.index("--")
    return argv[:cut], argv[cut + 1:]


def parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """`loupe session`'s arguments; for `exec`, the command after `--` is `args.argv`, as it is."""
    head, command = split(argv)
    if command is not None:
        try:
            args = parser.parse_args(head)
        except UsageError:
            args = None  # a `--` of another subcommand (send 0 -- -text)
        if args is not None and args.command == "exec":
            args.argv = command
            return args
    return parser.parse_args(argv)


def chosen(manager: SessionManager, targets: str, host: str | None) -> list[Session]:
    sessions = manager.select(targets)
    if host is None:
        return sessions
    manager.host(host)  # an unknown name says which hosts there are
    if targets.strip() != "all":
        elsewhere = [s for s in sessions if s.host != host]
        if elsewhere:
            raise UsageError(f"session {elsewhere[0].number} runs on {elsewhere[0].host}, not on {host}")
    picked = [s for s in sessions if s.host == host]
    if not picked:
        raise UsageError(f"no session runs on {host}")
    return picked


def main(manager: SessionManager, args: argparse.Namespace) -> int:
    command = getattr(args, "argv", None)
    if not command:
        raise UsageError("no command given: put it after --, e.g. loupe session exec all -- git status")
    results = run_everywhere(manager, chosen(manager, args.targets, args.host), command, timeout=args.timeout)
    if args.json:
        out.print_json([result.to_json() for result in results])
    else:
        for result in results:
            _show(result)
    return worst(results)


def _show(result: ExecResult) -> None:
    out.line(result.label)
    for text in (result.stdout, result.stderr):
        if text:
            out.write(text if text.endswith("\n") else text + "\n")
    if result.error:
        out.line(f"could not run: {result.error}")
    elif result.exit_code:
        out.line(f"exit {result.exit_code}")

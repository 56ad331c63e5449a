"""The `loupe` command.

`loupe [PATH]` opens the app; `loupe <subcommand> ...` runs a scriptable subcommand. Each
subcommand lives in its own module, which exposes:

- `SUMMARY: str`, one line for `--help`;
- `AGENT_DOC: str`, markdown for `--agent`;
- `main(argv: list[str]) -> int`.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from pathlib import Path
from types import ModuleType

from tui import __version__, cli_output
from tui.errors import LoupeError

# name -> module implementing it. Imported only when used, so `loupe` starts fast.
SUBCOMMANDS: dict[str, str] = {
    "agent": "tui.agent.cli",
    "guard": "tui.guard.cli",
    "session": "tui.sessions.cli",
    "task": "tui.task_cli",
    "hook": "tui.sessions.hook_cli",
    "thread": "tui.threads.cli",
    "redact": "tui.redact_cli",
    "trust": "tui.trust_cli",
    "host": "tui.remote.cli",
    "review": "tui.review.cli",
}
# Run by loupe itself, not people: dispatched like the others, never listed.
HIDDEN_SUBCOMMANDS: dict[str, str] = {
    "host-op": "tui.sessions.host_op_cli",
}

DESCRIPTION = """\
Review what AI coding agents write, and supervise several of them at once.

  loupe [PATH]        open the repository at PATH (default: the current folder)
  loupe FILE.md       open with FILE.md shown in a pane
  loupe --demo        open a demo workspace (created on first run)
"""

AGENT_DOC = """\
# loupe: usage for coding agents

loupe is a terminal app in which a developer reviews what coding agents write and supervises
several agents at once. You are probably running inside one of its sessions.

- Exit codes: 0 on success, 1 when an operation failed or was refused, 2 for bad usage.
- Errors are one line on stderr, starting with `loupe:`.
- Commands that print data accept `--json` for machine-readable output.
- Never run `loupe` without a subcommand from an agent: it opens an interactive screen.
"""


def _load(name: str) -> ModuleType:
    return importlib.import_module(SUBCOMMANDS.get(name) or HIDDEN_SUBCOMMANDS[name])


class _Parser(argparse.ArgumentParser):
    """Lists the subcommands in `--help` only: their modules are imported just for that."""

    def format_help(self) -> str:
        if self.epilog is None and SUBCOMMANDS:
            self.epilog = subcommands_epilog()
        return super().format_help()


def subcommands_epilog() -> str:
    lines = ["subcommands (run `loupe <subcommand> --help`):"]
    for name in SUBCOMMANDS:
        summary = getattr(_load(name), "SUMMARY", "")
        lines.append(f"  {name:<10} {summary}")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="loupe",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("path", nargs="?", type=Path, help="a repository, folder or markdown file")
    parser.add_argument("--demo", action="store_true", help="open the demo workspace")
    parser.add_argument("--version", action="version", version=f"loupe {__version__}")
    parser.add_argument(
        "--agent", action="store_true", help="print markdown usage written for coding agents"
    )
    return parser


def agent_doc() -> str:
    parts = [AGENT_DOC]
    for name in SUBCOMMANDS:
        doc = getattr(_load(name), "AGENT_DOC", "")
        if doc:
            parts.append(doc.strip() + "\n")
    return "\n".join(parts)


def error(message: str, code: int = 1) -> int:
    cli_output.error(f"loupe: {message}")
    return code


def main(argv: list[str] | None = None) -> int:
    try:
        return _main(argv)
    finally:
        # Here rather than at interpreter exit: a reader that left (`| head -1`) is then no
        # traceback, and `--help` (which exits through SystemExit) is covered too.
        cli_output.finish()


def _main(argv: list[str] | None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and (args_list[0] in SUBCOMMANDS or args_list[0] in HIDDEN_SUBCOMMANDS):
        try:
            return _load(args_list[0]).main(args_list[1:])
        except LoupeError as exc:
            return error(str(exc))
        except KeyboardInterrupt:
            return 130
    args = build_parser().parse_args(args_list)
    if args.agent:
        sys.stdout.write(agent_doc())
        return 0
    return _run_app(args.path, demo=args.demo)


def _subcommand_hint(path: Path | None) -> str:
    """For a path that is not there but reads like a mistyped subcommand (`loupe sesion`)."""
    import difflib

    if path is None or len(path.parts) != 1 or path.suffix:
        return ""
    close = difflib.get_close_matches(str(path), SUBCOMMANDS, n=1)
    return f"; did you mean `loupe {close[0]}`?" if close else "; subcommands: `loupe --help`"


def _run_app(path: Path | None, *, demo: bool) -> int:
    from tui.workspace import WorkspaceError, open_workspace

    try:
        if demo:
            from tui.demo import ensure_demo_workspace

            workspace = open_workspace(ensure_demo_workspace(), is_demo=True)
        else:
            workspace = open_workspace(path)
    except WorkspaceError as exc:
        return error(str(exc) + _subcommand_hint(path), 2)
    except LoupeError as exc:
        return error(str(exc))
    for problem in workspace.config_problems:
        cli_output.error(f"loupe: config: {problem}")

    # Startup allocates a few hundred thousand long-lived objects (modules, classes, styles),
    # which set off collections that find almost nothing to free: ~45 ms before the first
    # frame, a full one included. The app freezes what startup made and turns collection back on once
    # its first screen is shown (`LoupeApp.startup_shown`).
    gc.disable()
    from tui.app import LoupeApp

    app = LoupeApp(workspace)
    app.run()
    # An unhandled exception ends the app through Textual's crash path: the traceback goes to
    # stderr once the screen is restored and return_code is 1. Exit 0 would tell a script
    # (or a user's `&& next`) that all went well.
    return app.return_code or 0

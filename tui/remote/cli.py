"""`loupe host add|list|check`: the machines sessions can run on over SSH."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import asdict
from pathlib import Path

from tui.errors import LoupeError, UsageError
from tui.remote.hosts import HostConfig

SUMMARY = "hosts that run sessions over SSH: add one, list them, check one is ready"

AGENT_DOC = """\
## loupe host

Hosts are other machines that run sessions over SSH (`[hosts.NAME]` in the config).

- `loupe host list [--json]`: name, ssh target, repository there, tmux socket.
- `loupe host check NAME [--json]`: one line per check (ssh login, login shell, tmux, git,
  repository, loupe, git guard) with ✓, ✗ or – (not checked) and what to do; exit 1 if
  any failed.
- `loupe host add NAME SSH_TARGET [--repo PATH]`: the human's decision; never run it
  yourself (it refuses inside a session).
"""

MARKS = {True: "✓", False: "✗", None: "–"}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="loupe host", description=SUMMARY)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    add = commands.add_parser("add", help="add [hosts.NAME] to your user config")
    add.add_argument("name", help="a short name for the host (letters, digits, - and _)")
    add.add_argument("target", metavar="SSH_TARGET", help="user@host, host, or an alias of your ssh_config")
    add.add_argument("--repo", default="", help="the repository's clone on the host (e.g. ~/src/app)")
    add.add_argument("--json", action="store_true")
    listing = commands.add_parser("list", help="list configured hosts")
    listing.add_argument("--json", action="store_true")
    check = commands.add_parser("check", help="check that sessions can run on a host")
    check.add_argument("name")
    check.add_argument("--json", action="store_true")
    return parser


def main(argv: list[str]) -> int:
    try:
        args = build_parser().parse_args(argv)
        return {"add": _add, "list": _list, "check": _check}[args.command](args)
    except UsageError as exc:
        print(f"loupe: host: {exc}", file=sys.stderr)
        return 2


def _add(args: argparse.Namespace) -> int:
    from tui.remote.hosts import add_to_user_config

    if os.environ.get("LOUPE_SESSION"):
        raise LoupeError("adding a host lets loupe ssh there as you: run `loupe host add` in your own "
                         "terminal, not inside an agent session (LOUPE_SESSION is set)")
    path = add_to_user_config(args.name, args.target, repo=args.repo)
    if args.json:
        print(json.dumps({"name": args.name, "ssh": args.target, "repo": args.repo, "file": str(path)}))
    else:
        print(f"added [hosts.{args.name}] to {path}; see that it works with `loupe host check {args.name}`")
    return 0


def _hosts() -> dict[str, HostConfig]:
    from tui import config
    from tui.workspace import find_repo_root

    loaded = config.load(find_repo_root(Path.cwd()))
    for problem in loaded.problems:
        print(f"loupe: config: {problem}", file=sys.stderr)
    return dict(loaded.config.hosts)


def _list(args: argparse.Namespace) -> int:
    hosts = _hosts()
    if args.json:
        print(json.dumps([{"name": name, **asdict(host)} for name, host in hosts.items()], indent=2))
        return 0
    if not hosts:
        print("No hosts configured. Add one with `loupe host add NAME USER@HOST --repo PATH`.")
        return 0
    width = max(len(name) for name in hosts)
    for name, host in hosts.items():
        repo = host.repo or "(no repo set)"
        print(f"{name:<{width}}  {host.ssh}  repo {repo}  tmux -L {host.tmux_socket}")
    return 0


def _check(args: argparse.Namespace) -> int:
    from tui.remote.checks import Check, check_host

    hosts = _hosts()
    host = hosts.get(args.name)
    if host is None:
        known = ", ".join(sorted(hosts)) or "none; add one with `loupe host add`"
        raise UsageError(f"no host named '{args.name}' is configured (configured: {known})")

    def show(check: Check) -> None:
        print(f"  {MARKS[check.ok]} {check.name:<6} {check.detail}", flush=True)
        if check.ok is not True and check.hint:
            print(f"           fix: {check.hint}", flush=True)

    if not args.json:
        print(f"loupe host check {args.name} ({host.ssh})", flush=True)
    checks = check_host(args.name, host, shown=(lambda check: None) if args.json else show)
    failed = sum(check.ok is False for check in checks)
    if args.json:
        print(json.dumps({"host": args.name, "ssh": host.ssh, "ok": failed == 0,
                          "checks": [check.to_json() for check in checks]}, indent=2, ensure_ascii=False))
    else:
        passed = sum(check.ok is True for check in checks)
        print(f"{len(checks)} checks: {passed} passed, {failed} failed, {len(checks) - passed - failed} not checked")
    return 1 if failed else 0

"""`loupe guard`: install the git guard, check it works here, and list what it refused."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import NoReturn

from tui.errors import UsageError

SUMMARY = "the git guard: install it, self-test it, list the pushes it refused"

AGENT_DOC = """\
## `loupe guard`: the git guard

In a loupe session, `git` on your PATH is loupe's guard. It passes every command through to
git except those that would rewrite or delete history on a remote, which it refuses (exit 1,
with the reason on stderr, and a line in the audit log the human sees). The session's
worktree runs the same check for any git, by absolute path or from a login shell too.
Refused:

- force pushes of any spelling (`-f`, `--force`, `--force-with-lease`, `+refspec`, `-uf`, ...)
  that would discard commits on the remote, including when the remote has commits you have
  not fetched;
- deleting remote branches or tags (`--delete`, `-d`, `:ref`, `--prune`), moving remote tags;
- `--mirror`, `--no-verify`, `git send-pack`, a custom `--receive-pack`, and the same things
  set through config (`-c`, `--config-env`, `GIT_CONFIG_*`), aliases, or nested git
  (`rebase --exec`, `submodule foreach`, `bisect run`, `filter-branch`).

Allowed: ordinary pushes, new branches and tags, fast-forwards (even with `-f`), `--dry-run`
(except with `--mirror` or `--no-verify`), fetch, pull, clone, and everything local (commit,
rebase, reset, `branch -D`).

When a push is refused, do not try other flags: they are checked the same way. Instead fetch
and integrate (`git fetch origin && git rebase origin/<branch>`, or merge), then push without
force; or push to a new branch (`git push origin HEAD:refs/heads/<new-branch>`); or ask the
human.

- `loupe guard audit [--json] [--session ID] [--limit N]`: the refusals, newest last.
- `loupe guard check [--json]`: self-test against a scratch remote; exit 0 only if every
  verdict is right.
- `loupe guard install DIR [--json]`: write the guard into DIR; prints the folder to put first
  on PATH.
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, as every loupe error
        self.exit(2, f"loupe: guard: {message} (see `loupe guard --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="loupe guard", description=SUMMARY)
    commands = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    install = commands.add_parser("install", help="write the guard into DIR; print the folder for PATH")
    install.add_argument("dir", type=Path, metavar="DIR")
    install.add_argument("--json", action="store_true", help="print JSON")
    check = commands.add_parser("check", help="self-test against a scratch bare remote")
    check.add_argument("--json", action="store_true", help="print JSON")
    audit = commands.add_parser("audit", help="list the pushes the guard refused")
    audit.add_argument("--json", action="store_true", help="print JSON lines")
    audit.add_argument("--session", help="only this session's refusals")
    audit.add_argument("--limit", type=int, default=0, help="only the last N")
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.action == "install":
        return _install(args.dir, as_json=args.json)
    if args.action == "check":
        return _check(as_json=args.json)
    return _audit(args.session, args.limit, as_json=args.json)


def _install(folder: Path, *, as_json: bool) -> int:
    from tui.guard.install import install

    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder} is a file; give a folder to install the guard into")
    path = install(folder)
    if as_json:
        print(json.dumps({"path": str(path)}))
    else:
        print(path)
        print(f'put it first on PATH: export PATH="{path}:$PATH"', file=sys.stderr)
    return 0


def _check(*, as_json: bool) -> int:
    from tui.guard.selftest import CheckResult, run_checks

    def show(result: CheckResult) -> None:
        verdict = "blocked" if result.check.blocked else "allowed"
        status = "ok  " if result.ok else "WRONG"
        print(f"  {status} {verdict:<8} {result.check.command}", flush=True)
        if not result.ok:
            expected = "refused with the remote unchanged" if result.check.blocked else "landed"
            print(f"         expected it to be {expected}; git said: {result.detail or '(nothing)'}")

    if not as_json:
        print("loupe guard check: a scratch guard against a scratch bare remote")
    results = run_checks(None if as_json else show)
    right = sum(result.ok for result in results)
    if as_json:
        rows = [
            {
                "command": result.check.command,
                "expected": "blocked" if result.check.blocked else "allowed",
                "refused": result.refused,
                "remote_changed": result.remote_changed,
                "ok": result.ok,
                "detail": result.detail,
            }
            for result in results
        ]
        print(json.dumps({"right": right, "total": len(results), "checks": rows}, indent=2))
    else:
        print(f"{right} of {len(results)} verdicts right.")
    return 0 if right == len(results) else 1


def _audit(session: str | None, limit: int, *, as_json: bool) -> int:
    from tui.guard.audit import default_path, read_entries

    entries = read_entries()
    if session:
        entries = [entry for entry in entries if entry.session == session]
    if limit > 0:
        entries = entries[-limit:]
    if as_json:
        for entry in entries:
            print(json.dumps(entry.to_json(), ensure_ascii=False))
        return 0
    if not entries:
        whose = f" for session '{session}'" if session else ""
        print(f"No refusals recorded{whose} (log: {default_path()}).")
        return 0
    for entry in entries:
        refs = ", ".join(entry.ref_names) or "-"
        print(f"{entry.time}  {entry.session or '-'}  {entry.command_line}")
        print(f"    refs: {refs}\n    reason: {entry.reason}\n    in: {entry.directory}")
    return 0

"""`loupe review ...`: review rounds from a shell; how agents see and close what you asked."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from tui import cli_output as out
from tui.errors import UsageError

SUMMARY = "review rounds: comment on documents, answer their questions, send, list and resolve"

AGENT_DOC = """\
## loupe review

The developer reviews the documents you write (plans, design docs) and your diff in rounds:
comments on lines or sections, answers to open questions, and a verdict (approved, changes
requested, comments). A round reaches you as one markdown message; each item has an ID in
brackets, e.g. `[31]`.

- `loupe review list [--open] [--all] [--json]`: the rounds sent to you (inside a session;
  `--all`: every round of the repository), each comment with its status: `open`,
  `addressed` (the text it is on changed since the round was sent), `orphaned` (that text is
  gone) or `resolved`. `--open`: only comments not resolved yet. `--round ID`, `--path P`
  narrow it.
- `loupe review show ROUND [--json]`: the round's message again, then each item's status.
- `loupe review resolve ID [ID...] [--note TEXT]`: mark items handled once you have acted on
  them; say what you did in the note (the developer sees it next to the comment).

Resolve every item of a round with "changes requested" before you report that you are done.
"""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message}")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="loupe review", description=SUMMARY)
    parser.add_argument("--repo", type=Path, default=None, help="repository (default: the current one)")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    listing = commands.add_parser("list", help="rounds and their comments, with each comment's status")
    listing.add_argument("--open", action="store_true", help="only comments not resolved yet")
    listing.add_argument("--all", action="store_true", help="every round of the repository, not only yours")
    listing.add_argument("--round", type=int, help="only this round")
    listing.add_argument("--path", type=Path, help="only comments on this file")
    listing.add_argument("--json", action="store_true")

    show = commands.add_parser("show", help="a round's message and the status of each item")
    show.add_argument("round", type=int)
    show.add_argument("--json", action="store_true")

    resolve = commands.add_parser("resolve", help="mark comments handled")
    resolve.add_argument("ids", type=int, nargs="+", metavar="ID")
    resolve.add_argument("--note", default="", help="what you did about it")
    resolve.add_argument("--json", action="store_true")

    questions = commands.add_parser("questions", help="a document's questions, numbered for `answer`")
    questions.add_argument("path", type=Path)
    questions.add_argument("--json", action="store_true")

    comment = commands.add_parser("comment", help="add a comment to the document's draft round")
    comment.add_argument("path", type=Path)
    comment.add_argument("text", nargs="+", help="the comment ('-' reads stdin)")
    comment.add_argument("--line", required=True, help="line N, or lines N-M (1-based)")
    comment.add_argument("--quote", help="the exact text commented on, on or near --line")
    comment.add_argument("--section", action="store_true", help="the whole section --line is in")
    comment.add_argument("--json", action="store_true")

    answer = commands.add_parser("answer", help="answer one of the document's questions")
    answer.add_argument("path", type=Path)
    answer.add_argument("text", nargs="+", help="the answer ('-' reads stdin)")
    answer.add_argument("--question", type=int, required=True, help="its number in `loupe review questions`")
    answer.add_argument("--json", action="store_true")

    submit = commands.add_parser("submit", help="send the document's draft round with a verdict")
    submit.add_argument("path", type=Path)
    submit.add_argument("--verdict", required=True, help="approve, request-changes or comment")
    where = submit.add_mutually_exclusive_group()
    where.add_argument("--to", help="session number or id (default: the live session that wrote it)")
    where.add_argument("--thread", help="add it to this chat thread instead")
    where.add_argument("--copy", action="store_true", help="print the message instead of sending it")
    where.add_argument("--new-session", action="store_true", help="start a session with it as the prompt")
    submit.add_argument("--when-idle", action="store_true", help="hold it until the agent is idle")
    submit.add_argument("--agent", help="with --new-session: the agent kind")
    submit.add_argument("--json", action="store_true")

    retry = commands.add_parser("retry", help="send an undelivered round again")
    retry.add_argument("round", type=int)
    retry.add_argument("--to", help="another session (default: the one it went to)")
    retry.add_argument("--when-idle", action="store_true")
    retry.add_argument("--json", action="store_true")

    discard = commands.add_parser("discard", help="delete the document's draft round")
    discard.add_argument("path", type=Path)
    return parser


def main(argv: list[str]) -> int:
    try:
        args = build_parser().parse_args(argv)
    except UsageError as exc:
        out.error(f"loupe: {exc}")
        return 2
    from tui.review import commands
    from tui.review.store import ReviewStore

    context = commands.Context(repo=_repo(args.repo), session=os.environ.get("LOUPE_SESSION") or None)
    with ReviewStore() as store:
        handler = getattr(commands, f"cmd_{args.command}")
        try:
            return handler(context, store, args)
        except UsageError as exc:
            out.error(f"loupe: {exc}")
            return 2
        finally:
            # A session on another machine was reached over ssh: its connection ends here.
            context.close()


def _repo(given: Path | None) -> Path:
    from tui.sessions.worktrees import main_repo_root

    start = (given or Path.cwd()).resolve()
    return main_repo_root(start) or start


"""`loupe thread`: chat threads from scripts and agents (the same store the app shows)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, NoReturn

from tui import cli_output as out
from tui.errors import UsageError
from tui.threads.model import Role, Status, Thread
from tui.threads.store import ThreadStore

SUMMARY = "chat threads: list, show, start, send (streams the reply), retry, fork, search, export"

AGENT_DOC = """\
## `loupe thread`: forkable chat threads

Threads are conversations with a model, stored by loupe and shown in its Threads panel. A
fork shares the history up to its fork point; nothing is copied.

- `loupe thread list [--all] [--json]`: threads, most recently active first (`--all` adds
  archived ones).
- `loupe thread new [TITLE] [--system TEXT] [--endpoint NAME] [--model M] [--json]`: start
  one; prints its id.
- `loupe thread send THREAD [TEXT | -] [--endpoint NAME] [--model M] [--no-reply] [--json]`:
  add a user message (TEXT, or stdin when `-` or omitted) and stream the model's reply to
  stdout. Exit 1 if the model fails; the error and any partial reply stay in the thread.
- `loupe thread retry THREAD [--endpoint NAME] [--model M] [--json]`: ask again: answer the
  last question (e.g. after `--no-reply`), or replace the last reply (failed or not) with a
  new one beside it; the old reply is kept as a sibling.
- `loupe thread show THREAD [--json]`: the messages, numbered `#1`, `#2`, ...
- `loupe thread fork THREAD [--at N|MESSAGE] [--title T] [--json]`: a new thread sharing the
  history up to message `#N` (default: the last one). Refused between a tool call and its
  results, and at a reply still streaming or failed.
- `loupe thread search WORDS [--all] [--json]`: full-text search across threads.
- `loupe thread export THREAD [--json] [-o FILE]`: markdown (or JSON) of the thread.
- `loupe thread rename THREAD TITLE`, `archive THREAD [--undo]`, `delete THREAD`.

THREAD is an id, a unique prefix of one, or an exact title. The endpoint and model default to
the thread's, then to `[models] default_endpoint` in loupe's config, then to
OPENAI_BASE_URL / OPENAI_API_KEY / OPENAI_MODEL. `--demo` (before or after the action) works
on the demo workspace's own threads, with its offline scripted model as the endpoint "demo".

On a terminal, control characters in titles, messages and replies are shown as text (`␛`);
piped or redirected, the text is exact. A reader that stops early (`| head`) changes nothing
that is stored.
"""


DEMO_HELP = "the demo workspace's threads (`loupe --demo`), answered by its offline model"


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        self.exit(2, f"loupe: thread: {message} (see `loupe thread --help`)\n")


class _CommandParser(_Parser):
    """Options may come before or after the positionals: `send ID --no-reply TEXT` works.

    Plain argparse gives `send`'s optional TEXT up as soon as an option follows the thread,
    then refuses TEXT as unrecognised; its intermixed parsing does not (but cannot run on the
    top parser, which has subcommands), so each subcommand's parser uses it."""

    _intermixing = False

    def parse_known_args(self, args: Any = None, namespace: Any = None) -> Any:
        # parse_known_intermixed_args calls parse_known_args itself: plain parsing then.
        if self._intermixing:
            return super().parse_known_args(args, namespace)
        self._intermixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="loupe thread", description=SUMMARY)
    parser.add_argument("--demo", action="store_true", help=DEMO_HELP)
    commands = parser.add_subparsers(dest="action", metavar="ACTION", required=True,
                                     parser_class=_CommandParser)

    def command(name: str, help_text: str, *, json_flag: bool = True) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text, description=help_text)
        # Also after the action (`list --demo`); SUPPRESS keeps the top parser's value.
        sub.add_argument("--demo", action="store_true", default=argparse.SUPPRESS, help=DEMO_HELP)
        if json_flag:
            sub.add_argument("--json", action="store_true", help="print JSON")
        return sub

    listing = command("list", "list threads, most recently active first")
    listing.add_argument("--all", action="store_true", help="include archived threads")
    new = command("new", "start a thread; prints its id")
    new.add_argument("title", nargs="?", default="", help="a title (default: set by the first message)")
    new.add_argument("--system", help="a system prompt as the first message")
    new.add_argument("--endpoint", help="endpoint name from config")
    new.add_argument("--model", help="model name")
    send = command("send", "add a message and stream the model's reply")
    send.add_argument("thread")
    send.add_argument("text", nargs="?", help="the message; '-' or nothing reads stdin")
    send.add_argument("--endpoint", help="endpoint name (default: the thread's)")
    send.add_argument("--model", help="model (default: the thread's)")
    send.add_argument("--no-reply", action="store_true", help="only add the message")
    retry = command("retry", "ask the model again: answer the last question, or redo the last reply")
    retry.add_argument("thread")
    retry.add_argument("--endpoint", help="endpoint name (default: the thread's)")
    retry.add_argument("--model", help="model (default: the thread's)")
    show = command("show", "print a thread's messages")
    show.add_argument("thread")
    fork = command("fork", "fork a thread at a message")
    fork.add_argument("thread")
    fork.add_argument("--at", help="message number (#N in `show`) or id; default: the last")
    fork.add_argument("--title", help="the fork's title")
    search = command("search", "full-text search across threads")
    search.add_argument("words", nargs="+")
    search.add_argument("--all", action="store_true", help="include archived threads")
    search.add_argument("--limit", type=int, default=20)
    export = command("export", "a thread as markdown (or JSON)")
    export.add_argument("thread")
    export.add_argument("-o", "--output", type=Path, help="write to this file instead of stdout")
    rename = command("rename", "retitle a thread", json_flag=False)
    rename.add_argument("thread")
    rename.add_argument("title")
    archive = command("archive", "hide a thread from the list (kept; `--undo` restores)", json_flag=False)
    archive.add_argument("thread")
    archive.add_argument("--undo", action="store_true")
    delete = command("delete", "delete a thread (forks and shared history stay)", json_flag=False)
    delete.add_argument("thread")
    return parser


def main(argv: list[str]) -> int:
    args = build_parser().parse_args(argv)
    try:
        with ThreadStore(_store_path(args.demo)) as store:
            return int(_handler(args.action)(store, args))
    except UsageError as exc:
        out.error(f"loupe: thread: {exc}")
        return 2


def _store_path(demo: bool) -> Path | None:
    if not demo:
        return None
    from tui.demo import demo_thread_store

    return demo_thread_store()


def _handler(action: str) -> Any:
    if action in ("send", "retry"):
        from tui.threads import cli_send

        return getattr(cli_send, action)
    return globals()[f"_{action}"]


def _print_json(value: Any) -> None:
    out.print_json(value)


def _list(store: ThreadStore, args: argparse.Namespace) -> int:
    threads = store.list_threads(include_archived=args.all)
    if args.json:
        _print_json([t.to_dict() for t in threads])
        return 0
    if not threads:
        out.line("no threads yet; start one with `loupe thread new`")
        return 0
    for thread in threads:
        marks = []
        if thread.forked_from:
            marks.append(f"fork of {thread.forked_from}")
        if thread.archived:
            marks.append("archived")
        if thread.kind != "chat":
            marks.append(thread.kind)
        extra = f"  ({', '.join(marks)})" if marks else ""
        when = thread.updated_at.astimezone().strftime("%Y-%m-%d %H:%M")
        out.line(f"{thread.id}  {when}  {thread.length:>4} msgs  {thread.title or '(untitled)'}{extra}")
    return 0


def _new(store: ThreadStore, args: argparse.Namespace) -> int:
    endpoint, model = args.endpoint, args.model
    if endpoint or model:
        from tui.threads.cli_send import endpoint_in_use

        with endpoint_in_use(endpoint, model, demo=args.demo) as (resolved, _config):
            endpoint, model = resolved.name, resolved.model
    thread = store.create_thread(args.title, system=args.system, endpoint=endpoint, model=model)
    if args.json:
        _print_json(thread.to_dict())
    else:
        out.line(thread.id)
    return 0


def _show(store: ThreadStore, args: argparse.Namespace) -> int:
    thread = store.find_thread(args.thread)
    history = store.history(thread.id)
    if args.json:
        _print_json({"thread": thread.to_dict(), "messages": [m.to_dict() for m in history]})
        return 0
    out.line(f"{thread.title or '(untitled)'}  [{thread.id}]")
    if thread.forked_from:
        at = next((n for n, m in enumerate(history, 1) if m.id == thread.fork_point_id), "?")
        out.line(f"forked from {thread.forked_from} at #{at}")
    if thread.model:
        out.line(f"model {thread.model} on {thread.endpoint}")
    for number, message in enumerate(history, 1):
        facts = [str(message.role)]
        if message.role is Role.TOOL:
            facts.append(f"result of {message.tool_call_id}")
        if message.status is not Status.COMPLETE:
            facts.append(str(message.status))
        out.line(f"\n#{number} {' · '.join(facts)}  [{message.id}]")
        if message.content:
            out.line(message.content.rstrip())
        for call in message.tool_calls or []:
            function = call.get("function", {})
            out.line(f"[tool call {call.get('id')}: {function.get('name')}({function.get('arguments', '')})]")
        if message.error:
            out.line(f"[{message.error}]")
    return 0


def _message_ref(store: ThreadStore, thread: Thread, ref: str | None) -> str:
    history = store.history(thread.id)
    if not history:
        raise UsageError("the thread is empty; there is nothing to fork yet")
    if ref is None:
        return history[-1].id
    ref = ref.lstrip("#")
    if ref.isdigit():
        number = int(ref)
        if not 1 <= number <= len(history):
            raise UsageError(f"there is no message #{number}; the thread has {len(history)}")
        return history[number - 1].id
    matches = [m.id for m in history if m.id == ref.upper() or m.id.endswith(ref.upper())
               or m.id.startswith(ref.upper())]
    if len(matches) != 1:
        raise UsageError(f"{ref!r} names {len(matches)} messages of this thread; use #N from `show`")
    return matches[0]


def _fork(store: ThreadStore, args: argparse.Namespace) -> int:
    thread = store.find_thread(args.thread)
    fork = store.fork(thread.id, _message_ref(store, thread, args.at), title=args.title)
    if args.json:
        _print_json(fork.to_dict())
    else:
        out.line(fork.id)
    return 0


def _search(store: ThreadStore, args: argparse.Namespace) -> int:
    hits = store.search(" ".join(args.words), limit=args.limit, include_archived=args.all)
    if args.json:
        _print_json([{"message": h.message.to_dict(), "snippet": h.snippet, "thread_ids": h.thread_ids}
                     for h in hits])
        return 0
    if not hits:
        out.error("no messages match")
        return 1
    for hit in hits:
        snippet = " ".join(hit.snippet.split())
        out.line(f"{hit.thread_ids[0]}  {hit.message.role:<9} {snippet}")
        if len(hit.thread_ids) > 1:  # one message in a fork family: listed once, with them all
            out.line(f"{'':{len(hit.thread_ids[0])}}  also in {', '.join(hit.thread_ids[1:])}")
    return 0


def _export(store: ThreadStore, args: argparse.Namespace) -> int:
    from tui.threads.export import thread_markdown

    thread = store.find_thread(args.thread)
    if args.json:
        history = store.history(thread.id)
        text = out.json_text({"thread": thread.to_dict(), "messages": [m.to_dict() for m in history]}) + "\n"
    else:
        text = thread_markdown(store, thread.id)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        out.write(text)
    return 0


def _rename(store: ThreadStore, args: argparse.Namespace) -> int:
    store.rename(store.find_thread(args.thread).id, args.title)
    return 0


def _archive(store: ThreadStore, args: argparse.Namespace) -> int:
    store.archive(store.find_thread(args.thread).id, not args.undo)
    return 0


def _delete(store: ThreadStore, args: argparse.Namespace) -> int:
    collected = store.delete_thread(store.find_thread(args.thread).id)
    out.error(f"deleted; {collected} message(s) no other thread used were removed")
    return 0

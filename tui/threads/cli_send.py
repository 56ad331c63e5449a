"""`loupe thread send` and `loupe thread retry`: ask the model and stream its reply to stdout.

The reply is stored as it streams (see `tui.threads.reply`), so what stdout shows and what the
thread keeps are the same text; stdout going away (`| head -3`) changes nothing that is kept.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui import cli_output as out
from tui.errors import LoupeError, UsageError
from tui.threads.model import Message, Role, Status, Thread
from tui.threads.rules import retry_target
from tui.threads.store import AT_HEAD, ThreadStore

if TYPE_CHECKING:
    from tui.config import Config
    from tui.model.client import ModelClient
    from tui.model.endpoints import Endpoint


class NothingToRetry(LoupeError):
    """`loupe thread retry` on a thread with no question to answer (exit 1)."""


def send(store: ThreadStore, args: argparse.Namespace) -> int:
    thread = store.find_thread(args.thread)
    text = args.text
    if text is None or text == "-":
        if text is None and sys.stdin.isatty():
            raise UsageError("give the message as an argument, or pipe it on stdin")
        text = sys.stdin.read()
    if not text.strip():
        raise UsageError("the message is empty")
    with ExitStack() as stack:
        # Resolve before writing anything: without a usable endpoint, nothing changes.
        client = None if args.no_reply else stack.enter_context(model_client(store, thread, args))
        user = store.append(thread.id, Role.USER, text)
        if client is None:
            if args.json:
                out.print_json({"thread": store.thread(thread.id).to_dict(), "message": user.to_dict()})
            return 0
        return stream_reply(store, client, thread.id, as_json=args.json)


def retry(store: ThreadStore, args: argparse.Namespace) -> int:
    thread = store.find_thread(args.thread)
    parent_id, problem = retry_target(store.history(thread.id))
    if problem:
        raise NothingToRetry(problem)
    with model_client(store, thread, args) as client:
        return stream_reply(store, client, thread.id, as_json=args.json, parent_id=parent_id)


@contextmanager
def model_client(store: ThreadStore, thread: Thread, args: argparse.Namespace) -> Iterator[ModelClient]:
    """A client for the thread's endpoint (or the one asked for), which the thread then keeps."""
    from tui.model.client import ModelClient

    wanted = (args.endpoint or thread.endpoint, args.model or thread.model)
    with endpoint_in_use(*wanted, demo=args.demo) as (endpoint, config):
        if (thread.endpoint, thread.model) != (endpoint.name, endpoint.model):
            store.set_model(thread.id, endpoint.name, endpoint.model)
        yield ModelClient(endpoint, read_timeout=config.models.read_timeout,
                          max_retries=config.models.max_retries,
                          max_reply_chars=config.models.max_reply_chars)


@contextmanager
def endpoint_in_use(
    endpoint: str | None, model: str | None, *, demo: bool
) -> Iterator[tuple[Endpoint, Config]]:
    """(endpoint, config) from loupe's config; with `demo`, the demo's offline model runs
    meanwhile as the endpoint "demo", as in `loupe --demo`."""
    from tui import config as config_module
    from tui.model.endpoints import resolve_endpoint
    from tui.workspace import find_repo_root

    loaded = config_module.load(find_repo_root(Path.cwd()))
    for problem in loaded.problems:
        out.error(f"loupe: config: {problem}")
    server = None
    if demo:
        from tui.model.demo import start_demo_endpoint

        server = start_demo_endpoint(loaded.config)
    try:
        yield resolve_endpoint(loaded.config, endpoint, model=model), loaded.config
    finally:
        if server is not None:
            server.stop()


def stream_reply(
    store: ThreadStore, client: ModelClient, thread_id: str, *, as_json: bool, parent_id: str | None = AT_HEAD
) -> int:
    from tui.model.client import TextDelta, ToolCallDelta
    from tui.threads.reply import reply_sync

    wrote = [False]

    def on_event(event: Any) -> None:
        if as_json:
            return
        if isinstance(event, TextDelta):
            # A reader that left (`| head -3`) only ends the output: the reply goes on into
            # the thread, whole (see `tui.cli_output`).
            out.write(event.text, flush=True)
            wrote[0] = True
        elif isinstance(event, ToolCallDelta) and event.name:
            out.error(f"\n[tool call: {event.name}]")

    try:
        message: Message = reply_sync(store, client, thread_id, parent_id=parent_id, on_event=on_event)
    except KeyboardInterrupt:
        if wrote[0]:
            out.write("\n")
        out.error("loupe: cancelled; the partial reply is kept in the thread")
        return 130
    if as_json:
        out.print_json({"thread": store.thread(thread_id).to_dict(), "message": message.to_dict()})
    elif wrote[0]:
        out.write("\n")
    if message.status is not Status.COMPLETE:
        out.error(f"loupe: {message.error}; what arrived is saved in thread {thread_id} "
                  f"(ask again with `loupe thread retry {thread_id}`, or r in the app)")
        return 1
    return 0

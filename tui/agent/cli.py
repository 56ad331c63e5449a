"""`loupe agent`: run loupe's built-in coding agent in the current folder (or --cwd)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import os
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

from typing import TYPE_CHECKING

from tui.errors import LoupeError, UsageError

if TYPE_CHECKING:
    from tui.agent.status import StatusReporter
    from tui.config import Config
    from tui.agent.transcript import Transcript
    from tui.model.client import ModelClient
    from tui.threads.store import ThreadStore

SUMMARY = "run loupe's built-in coding agent on any OpenAI-compatible endpoint"

AGENT_DOC = """\
## loupe agent

Runs loupe's own coding agent: a tool-calling loop over Chat Completions (streaming) on any
OpenAI-compatible endpoint. Its whole conversation, tool calls and results included, is a
thread in loupe's store, so it can be continued and forked along with its code.

```
loupe agent --prompt "fix the failing test"       # or --prompt-file FILE
loupe agent --thread ID                           # continue a thread from its head
loupe agent --thread ID --prompt "now add docs"   # continue with a new instruction
  [--endpoint NAME | --base-url URL] [--model M] [--approval never|on-request] [--cwd DIR]
  [--max-turns N]
  [--interactive]                                 # ask for the next instruction when done
```

- Tools (codex semantics): `shell` (argv, workdir, timeout_ms; exit 124 on timeout),
  `read_file`, `list_dir`, `grep_files`, `apply_patch` (`*** Begin Patch` format, atomic).
  Every path stays inside the working directory.
- Exit 0 when the model finishes; 1 on a model error or when --max-turns runs out (the
  conversation is kept; continue it with `--thread`); 2 on bad usage; 130 on Ctrl-C.
- The thread id is printed first, as `thread: ID`.
"""

APPROVALS = ("never", "on-request")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="loupe agent",
        description=SUMMARY + ". Its conversation is recorded as a thread in loupe's store.",
    )
    parser.add_argument("--prompt", help="what to do")
    parser.add_argument("--prompt-file", type=Path, help="read the prompt from a file")
    parser.add_argument("--thread", help="continue this thread (id, id prefix or title) from its head")
    parser.add_argument("--endpoint", help="endpoint name from [endpoints] (default: [agent] endpoint)")
    parser.add_argument("--base-url", help="an OpenAI-compatible server not in config, e.g. a local "
                        "one (sends no key; needs --model)")
    parser.add_argument("--model", help="model name (default: [agent] model, then the endpoint's)")
    parser.add_argument("--approval", choices=APPROVALS, help="ask before each shell command (on-request)")
    parser.add_argument("--cwd", type=Path, help="working directory (default: the current one)")
    parser.add_argument("--max-turns", type=int, help="stop after this many model turns")
    parser.add_argument(
        "-i", "--interactive", action="store_true",
        help="when the model finishes, wait for the next instruction (status idle) instead of exiting",
    )
    return parser


def main(argv: list[str]) -> int:
    from tui.agent.status import StatusReporter

    status = StatusReporter()
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        # argparse printed the problem (or --help); the session grid should still see the end.
        code = exc.code if isinstance(exc.code, int) else 2
        if code:
            status.exited(code, detail="bad usage; see `loupe agent --help`")
        return code
    from tui.agent.reaper import subreaper

    try:
        # Orphans of the agent's commands come back to it, so none outlives its command.
        with subreaper():
            return _run(args, status)
    except UsageError as exc:
        status.exited(2, detail=str(exc))
        print(f"loupe: {exc}", file=sys.stderr)
        return 2
    except LoupeError as exc:
        # No endpoint, an unknown thread, a busy store: the session grid shows why it stopped.
        status.exited(1, detail=str(exc))
        print(f"loupe: {exc}", file=sys.stderr)
        return 1


def _read_prompt(args: argparse.Namespace) -> str | None:
    if args.prompt is not None and args.prompt_file is not None:
        raise UsageError("give --prompt or --prompt-file, not both")
    if args.prompt_file is not None:
        try:
            text = args.prompt_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise UsageError(f"cannot read the prompt file {args.prompt_file}: {exc}") from exc
    else:
        text = args.prompt
    if text is not None and not text.strip():
        raise UsageError("the prompt is empty; say what the agent should do")
    return text.strip() if text is not None else None


def _run(args: argparse.Namespace, status: StatusReporter) -> int:
    from tui import config as config_module
    from tui.agent.approval import TerminalApprover
    from tui.agent.loop import AgentLoop
    from tui.agent.paths import Workspace
    from tui.agent.tools import Toolbox
    from tui.agent.transcript import Transcript
    from tui.workspace import find_repo_root

    transcript = Transcript()
    prompt = _read_prompt(args)
    if prompt is None and args.thread is None and sys.stdin.isatty():
        # Started in a session without a prompt: ask for one, as the grid shows NEEDS YOU.
        status.needs_input("prompt", detail="waiting for the first instruction")
        prompt = _ask(transcript, "What should the agent do? ")
    if prompt is None and args.thread is None:
        raise UsageError("give --prompt TEXT, --prompt-file FILE or --thread ID")
    if args.max_turns is not None and args.max_turns < 1:
        raise UsageError("--max-turns must be at least 1")
    root = (args.cwd or Path.cwd()).resolve()
    if not root.is_dir():
        raise UsageError(f"--cwd {root} is not a directory")

    loaded = config_module.load(find_repo_root(root))
    for problem in loaded.problems:
        print(f"loupe: config: {problem}", file=sys.stderr)
    agent = loaded.config.agent
    settings = dataclasses.replace(
        agent, approval=args.approval or agent.approval, max_turns=args.max_turns or agent.max_turns
    )
    if settings.approval not in APPROVALS:
        raise UsageError(f"[agent] approval must be one of {', '.join(APPROVALS)}, not {settings.approval!r}")

    from tui.threads.store import ThreadStore

    client = _client(args, loaded.config)
    with ThreadStore() as store:
        thread_id = _prepare_thread(store, args.thread, prompt, root, client, transcript, status)
        if thread_id is None:
            status.exited(0, detail="nothing more to do")
            return 0
        approver = TerminalApprover(transcript, status) if settings.approval == "on-request" else None
        toolbox = Toolbox(
            Workspace(root), shell_timeout_ms=settings.shell_timeout_ms,
            output_cap_bytes=settings.output_cap_bytes, approve=approver,
            on_shell_output=transcript.tool_output,
        )
        with asyncio.Runner() as runner, _stop_signals_interrupt() as stopped_by:
            loop = AgentLoop(
                store, client, thread_id, root=root, toolbox=toolbox, transcript=transcript,
                status=status, settings=settings, runner=runner,
            )
            while True:
                result = loop.run()
                if result.exit_code != 0 or not args.interactive:
                    break
                follow_up = _ask(transcript, "Next instruction (empty line to quit): ")
                if follow_up is None:
                    break
                from tui.threads.model import Role

                store.append(thread_id, Role.USER, follow_up)
                transcript.user(follow_up)
    if result.reason == "interrupted" and stopped_by:
        result.exit_code = 128 + stopped_by[0]
    status.exited(result.exit_code, detail=result.detail)
    if result.exit_code not in (0, 130) and result.reason != "interrupted":
        print(f"loupe: {result.detail}", file=sys.stderr)
    return result.exit_code


def _client(args: argparse.Namespace, config: Config) -> ModelClient:
    from tui.model.client import ModelClient

    agent = config.agent
    if args.base_url is None:
        return ModelClient.from_config(config, args.endpoint or agent.endpoint or None,
                                       model=args.model or agent.model or None)
    from tui.model.endpoints import Endpoint

    if args.endpoint:
        raise UsageError("give --endpoint or --base-url, not both")
    if not args.model:
        raise UsageError("--base-url needs --model (the server's model name)")
    # No api_key_env: a key from the environment is never sent to a server named only here.
    endpoint = Endpoint("url", args.base_url.rstrip("/"), args.model, api_key_env="")
    return ModelClient(endpoint, read_timeout=config.models.read_timeout,
                       max_retries=config.models.max_retries,
                       max_reply_chars=config.models.max_reply_chars)


@contextlib.contextmanager
def _stop_signals_interrupt() -> Iterator[list[int]]:
    """Treat SIGTERM and SIGHUP (session stopped, tmux window killed) like Ctrl-C.

    The reply being streamed is then saved as cancelled, every tool call gets a result and
    the status says exited, instead of the process vanishing mid-write. Yields the list the
    received signal is put in.
    """
    received: list[int] = []

    def handler(signum: int, frame: object) -> None:
        received.append(signum)
        # Raised here, not by `_thread.interrupt_main()`: that does nothing when SIGINT is
        # ignored, as it is for a job a non-interactive shell starts with `&`, and the agent
        # then ran on after `session stop`. Python runs handlers on the main thread.
        raise KeyboardInterrupt

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGTERM, signal.SIGHUP):
            previous[signum] = signal.signal(signum, handler)
    try:
        yield received
    finally:
        for signum, old in previous.items():
            signal.signal(signum, old)


def _ask(transcript: Transcript, question: str) -> str | None:
    """A line typed on the terminal; None for an empty line, end of input or Ctrl-C."""
    transcript.ask(question)
    try:
        answer = sys.stdin.readline()
    except KeyboardInterrupt:
        return None
    return answer.strip() or None


def _prepare_thread(
    store: ThreadStore, ref: str | None, prompt: str | None, root: Path, client: ModelClient,
    transcript: Transcript, status: StatusReporter,
) -> str | None:
    """The thread to work on, with the new prompt appended; None when the user has nothing to add."""
    from tui.threads.model import Role, Status
    from tui.threads.rules import pending_tool_calls

    where = f"{client.model} on {client.endpoint.name}"
    if ref is None:
        assert prompt is not None
        title = prompt.splitlines()[0][:72]
        meta = {"cwd": str(root)}
        if os.environ.get("LOUPE_SESSION"):
            # How the app finds the conversation of a session, to fork it.
            meta["session"] = os.environ["LOUPE_SESSION"]
        # A session started on a task files its conversation under that task.
        thread = store.create_thread(
            title, endpoint=client.endpoint.name, model=client.model, kind="agent", meta=meta,
            task=os.environ.get("LOUPE_TASK_DIR") or None,
        )
        store.append(thread.id, Role.USER, prompt)
        transcript.header(f"thread: {thread.id} · {where} · {root}")
        transcript.user(prompt)
        return thread.id
    thread = store.find_thread(ref)
    session = os.environ.get("LOUPE_SESSION")
    if session and thread.meta.get("session") != session:
        # A fork running in its own session: from now on this thread is that session's.
        store.set_meta(thread.id, {**thread.meta, "session": session, "cwd": str(root)})
    history = store.history(thread.id)
    transcript.header(f"thread: {thread.id} · {where} · {root} · continuing after {len(history)} messages")
    head = history[-1] if history else None
    finished = (
        head is not None and head.role is Role.ASSISTANT and head.status is Status.COMPLETE
        and not head.tool_calls
    )
    if prompt is None and finished and sys.stdin.isatty():
        status.needs_input("prompt", detail="waiting for the next instruction")
        prompt = _ask(transcript, "The agent had finished. Next instruction (empty line to quit): ")
        if prompt is None:
            return None
        status.working("prompt")
    if prompt is None:
        if head is None:
            raise UsageError(f"thread {thread.id} is empty; give --prompt to start it")
        if finished:
            raise UsageError(
                f"thread {thread.id} ends with the agent's final reply; give --prompt to say what to do next"
            )
        return thread.id
    if pending_tool_calls(history):
        raise UsageError(
            f"thread {thread.id} ends with tool calls that have no results yet; run "
            f"`loupe agent --thread {thread.id}` without --prompt to finish them first"
        )
    store.append(thread.id, Role.USER, prompt)
    transcript.user(prompt)
    return thread.id

"""The agent's tool-calling loop, recorded turn by turn in the thread store.

Each turn sends the thread's history (shortened to the token budget, with the original prompt
on top) to the model, streams the reply into a new assistant message (the threads module's
`reply` helper, which saves deltas as they come), then runs the tool calls it asked for and
appends one tool message per call. After each turn the worktree is recorded as a git tree on
the assistant message (`snapshot`), so the app can fork the conversation and the code at that
point. The loop ends when a reply asks for no tool (exit 0), when the turn limit is reached or
the model keeps failing (exit 1), or on Ctrl-C (exit 130).

The loop is synchronous: tools run on the main thread, so Ctrl-C interrupts a command or an
approval question directly (the shell tool then kills the command's process group). Only the
model call runs on an asyncio loop, through a long-lived `asyncio.Runner`, which turns Ctrl-C
into a cancel of that call; the reply is then saved as "cancelled".

Whatever happens, the thread stays valid for a model: every tool call gets a result
("cancelled by the user" if it never ran), so `loupe agent --thread ID` can pick it up.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.agent.context import build_request, system_prompt
from tui.agent.snapshot import SnapshotError, snapshot_tree
from tui.agent.status import StatusReporter
from tui.agent.tools import Toolbox
from tui.agent.transcript import Transcript
from tui.config import AgentConfig
from tui.threads.model import Message, Role, Status
from tui.threads.rules import pending_tool_calls

if TYPE_CHECKING:
    from tui.model.client import ModelClient
    from tui.threads.store import ThreadStore

CANCELLED_RESULT = "Error: cancelled by the user before it finished."
# Errors that will not go away by asking again.
_FATAL_STATUSES = frozenset({400, 401, 403, 404, 422})


@dataclass
class RunResult:
    exit_code: int
    # "finished", "max-turns", "model-error", "interrupted", "nothing-to-do"
    reason: str
    thread_id: str
    turns: int
    detail: str = ""


class AgentLoop:
    def __init__(
        self,
        store: ThreadStore,
        client: ModelClient,
        thread_id: str,
        *,
        root: Path,
        toolbox: Toolbox,
        transcript: Transcript,
        status: StatusReporter,
        settings: AgentConfig,
        runner: asyncio.Runner,
    ) -> None:
        self.store = store
        self.client = client
        self.thread_id = thread_id
        self.root = root
        self.toolbox = toolbox
        self.transcript = transcript
        self.status = status
        self.settings = settings
        self.runner = runner
        self.turns = 0
        self._snapshots = True
        self._system = ""

    def run(self) -> RunResult:
        """Work from the thread's head until the model finishes; the status ends idle on success.

        The caller writes the final "exited" status, since it may ask for another instruction
        first (`--interactive`).
        """
        self.status.working("start")
        self.turns = 0
        try:
            result = self._run()
        except KeyboardInterrupt:
            self._answer_pending(CANCELLED_RESULT)
            self.transcript.error("interrupted")
            result = self._result(130, "interrupted", "interrupted by the user")
        if result.exit_code == 0:
            self.status.idle("turn-complete", detail=result.detail)
        return result

    def _result(self, code: int, reason: str, detail: str = "") -> RunResult:
        return RunResult(code, reason, self.thread_id, self.turns, detail)

    def _run(self) -> RunResult:
        history = self.store.history(self.thread_id)
        original = next((m.content for m in history if m.role is Role.USER), None)
        if original is None:
            return self._result(1, "nothing-to-do", "the thread has no user prompt to work on")
        self._system = system_prompt(
            self.root, original, approval=self.settings.approval,
            shell_timeout_ms=self.settings.shell_timeout_ms,
        )
        if history[-1].role is Role.USER:
            self._snapshot(history[-1])
        failures = 0
        while True:
            history = self.store.history(self.thread_id)
            tip = history[-1]
            if tip.role is Role.ASSISTANT and tip.status is not Status.COMPLETE:
                # A failed or cancelled reply: the next attempt is its sibling.
                history = history[:-1]
            elif pending_tool_calls(history):
                # Resuming a run that stopped between tool calls (a crash, a kill -9).
                self._run_tools(next(m for m in reversed(history) if m.role is Role.ASSISTANT))
                continue
            if self.turns >= self.settings.max_turns:
                return self._result(
                    1, "max-turns",
                    f"stopped after {self.turns} turns without finishing (--max-turns); "
                    f"continue with `loupe agent --thread {self.thread_id}`",
                )
            self.status.working("model-turn")
            message, error = self._model_turn(history)
            self.turns += 1
            if message.status is not Status.COMPLETE:
                failures += 1
                reason = message.error or "the reply did not complete"
                if not _retryable(error) or failures > self.settings.turn_retries:
                    self.transcript.error(reason)
                    return self._result(
                        1, "model-error",
                        f"{reason}; the conversation is kept: continue with "
                        f"`loupe agent --thread {self.thread_id}`",
                    )
                delay = self.settings.retry_delay * 2 ** (failures - 1)
                self.transcript.notice(
                    f"{reason}; retrying the turn in {delay:g} s ({failures}/{self.settings.turn_retries})"
                )
                time.sleep(delay)
                continue
            failures = 0
            if message.tool_calls:
                self._run_tools(message)
                continue
            self._snapshot(message)
            summary = f"finished after {self.turns} turn{'s' if self.turns != 1 else ''}"
            self.transcript.finished(summary)
            return self._result(0, "finished", summary)

    def _model_turn(self, history: list[Message]) -> tuple[Message, Exception | None]:
        """One streamed reply under the last message of `history`, and the error that ended it."""
        from tui.model.client import TextDelta
        from tui.threads.reply import ReplyEnded, reply, to_chat_messages

        request = build_request(to_chat_messages(history), self._system, self.settings.token_budget)
        ended: list[ReplyEnded] = []

        def on_event(event: Any) -> None:
            if isinstance(event, TextDelta):
                self.transcript.assistant_delta(event.text)
            elif isinstance(event, ReplyEnded):
                ended.append(event)
                self.transcript.assistant_done()

        message = self.runner.run(
            reply(
                self.store, self.client, self.thread_id, parent_id=history[-1].id,
                messages=request, tools=self.toolbox.schemas(), on_event=on_event,
            )
        )
        return message, ended[-1].error if ended else None

    def _run_tools(self, assistant: Message) -> None:
        """Run the calls of `assistant` that have no result yet, one tool message each."""
        history = self.store.history(self.thread_id)
        waiting = set(pending_tool_calls(history))
        for call in assistant.tool_calls or []:
            if call.get("id") not in waiting:
                continue
            function = call.get("function") or {}
            name, arguments = str(function.get("name", "")), str(function.get("arguments") or "")
            self.transcript.tool_call(name, arguments)
            self.status.working("tool-call")
            outcome = self.toolbox.run(name, arguments)
            self.transcript.tool_result(name, outcome)
            self.store.append(self.thread_id, Role.TOOL, outcome.content, tool_call_id=call["id"])
        self._snapshot(assistant)

    def _answer_pending(self, text: str) -> None:
        """Give every unanswered tool call a result, so the thread can be continued."""
        try:
            history = self.store.history(self.thread_id)
            for call_id in pending_tool_calls(history):
                self.store.append(self.thread_id, Role.TOOL, text, tool_call_id=call_id)
        except Exception as exc:  # noqa: BLE001 - best effort while shutting down
            self.transcript.error(f"could not record the cancelled tool calls: {exc}")

    def _snapshot(self, message: Message) -> None:
        if not self._snapshots or message.snapshot:
            return
        try:
            tree = snapshot_tree(self.root, keep_ref=f"refs/loupe/agent/{self.thread_id}")
        except SnapshotError as exc:
            self._snapshots = False
            self.transcript.notice(f"no worktree snapshots: {exc}")
            return
        self.store.set_snapshot(message.id, tree)


def _retryable(error: Exception | None) -> bool:
    """Retry unless the server said the request itself is wrong (auth, bad request, no model)."""
    if error is None:
        return True  # a stream cut short, or an error we only know from the stored message
    status = getattr(error, "status", None)
    if status in _FATAL_STATUSES:
        return False
    return bool(getattr(error, "retryable", True))

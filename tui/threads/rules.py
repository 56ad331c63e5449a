"""Which messages a conversation may continue from (or fork at), as pure functions.

A model rejects a history in which an assistant's tool calls are not each followed by a tool
result, so a branch may never start between the two. A message still streaming is not a
place to branch from either (its content is not final), nor a failed reply (its content is
whatever arrived before the error: fork at the message before it, or retry).

All functions take a chain of messages in root-to-head order. Only the tail matters: the
last assistant message with tool calls and the tool results after it.
"""

from __future__ import annotations

from collections.abc import Sequence

from tui.threads.model import Message, Role, Status


def pending_tool_calls(chain: Sequence[Message]) -> list[str]:
    """Ids of the tool calls at the end of `chain` that have no tool result yet."""
    answered: set[str | None] = set()
    for message in reversed(chain):
        if message.role is Role.TOOL:
            answered.add(message.tool_call_id)
            continue
        if message.role is Role.ASSISTANT and message.tool_calls and message.status is Status.COMPLETE:
            return [call.get("id", "") for call in message.tool_calls if call.get("id") not in answered]
        return []
    return []


def fork_point_problem(chain: Sequence[Message]) -> str | None:
    """Why the last message of `chain` cannot be forked at, or None if it can."""
    if not chain:
        return None
    message = chain[-1]
    if message.status is Status.STREAMING:
        return "this reply is still streaming; wait for it to finish or cancel it"
    if message.status is Status.ERROR:
        return "this reply failed; fork at the message before it, or retry it"
    pending = pending_tool_calls(chain)
    if pending:
        return (
            f"the tool calls above still wait for {len(pending)} result(s); fork after the "
            "last tool result or before the assistant's tool-call message"
        )
    return None


def fork_point_problems(history: Sequence[Message]) -> dict[str, str]:
    """`fork_point_problem` for every message of a history, in one pass (for greying in a UI)."""
    problems: dict[str, str] = {}
    pending: set[str] = set()
    for message in history:
        if message.role is Role.TOOL:
            pending.discard(message.tool_call_id or "")
        elif message.role is Role.ASSISTANT and message.tool_calls and message.status is Status.COMPLETE:
            pending = {call.get("id", "") for call in message.tool_calls}
        else:
            pending = set()
        if message.status is Status.STREAMING:
            problems[message.id] = "this reply is still streaming; wait for it to finish or cancel it"
        elif message.status is Status.ERROR:
            problems[message.id] = "this reply failed; fork at the message before it, or retry it"
        elif pending:
            problems[message.id] = (
                f"the tool calls above still wait for {len(pending)} result(s); fork after the "
                "last tool result or before the assistant's tool-call message"
            )
    return problems


def continuation_problem(chain: Sequence[Message], role: Role, tool_call_id: str | None) -> str | None:
    """Why a message of `role` cannot follow `chain`, or None if it can."""
    pending = pending_tool_calls(chain)
    if role is Role.TOOL:
        if tool_call_id is None:
            return "a tool message needs the tool_call_id of the call it answers"
        if tool_call_id not in pending:
            return f"no tool call {tool_call_id!r} is waiting for a result here"
        return None
    if pending:
        return (
            f"the assistant's tool calls {', '.join(pending)} have no results yet; add their tool "
            "messages first (a model rejects a history without them)"
        )
    return None


def retry_target(chain: Sequence[Message]) -> tuple[str | None, str | None]:
    """Where a retried reply goes: `(parent id, None)`, or `(None, why nothing can be retried)`.

    After a question (or a tool result) nobody answered, the reply answers it. After a reply,
    failed or not, the new reply is its sibling: the old one stays, a `‹ n/m ›` step away."""
    if not chain or chain[-1].role is Role.SYSTEM:
        return None, "the thread has no question to answer yet; send one first"
    last = chain[-1]
    if last.status is Status.STREAMING:
        return None, "the last reply is still streaming; wait for it or cancel it"
    if last.role is Role.ASSISTANT:
        if last.parent_id is None:
            return None, "the thread starts with this reply; there is no question above it to ask again"
        return last.parent_id, None
    return last.id, None

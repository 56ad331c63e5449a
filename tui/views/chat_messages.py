"""The chat widgets' data (`MessageInfo`) for a thread read by `tui.threads.chat_data`.

The UI side of reading a thread: it knows what the widgets show (a tool call's summary, a
question left unanswered), the domain side knows nothing of widgets.
"""

from __future__ import annotations

from collections.abc import Callable

from tui.services.threads import EndpointStatus
from tui.threads.chat_data import ThreadSnapshot
from tui.threads.model import Message, Role, Status
from widgets.chat.message import MessageInfo


def message_infos(
    snapshot: ThreadSnapshot,
    live_text: Callable[[str], str | None] = lambda _id: None,
    *,
    replying: bool = False,
) -> list[MessageInfo]:
    """Widget data for each message; `live_text` supplies text a streaming reply has shown.

    `replying`: a reply is being started, so a question at the end is not left unanswered."""
    infos: list[MessageInfo] = []
    last = snapshot.history[-1].id if snapshot.history else None
    for message in snapshot.history:
        position = snapshot.positions.get(message.id)
        content = message.content
        if message.status is Status.STREAMING:
            content = live_text(message.id) or content
        usage = message.usage
        sources = snapshot.sources.get(message.id, [])
        infos.append(
            MessageInfo(
                id=message.id,
                role=str(message.role),
                content=content or _tool_summary(message),
                status=str(message.status),
                model=message.model or "",
                error=message.error or "",
                prompt_tokens=usage.prompt_tokens if usage and usage.prompt_tokens else None,
                completion_tokens=usage.completion_tokens if usage and usage.completion_tokens else None,
                sibling_index=(position.index - 1) if position else 0,
                sibling_count=position.count if position else 1,
                fork_blocked=snapshot.problems.get(message.id, ""),
                shared_by=snapshot.shared.get(message.id, 1),
                forks=tuple(snapshot.forks.get(message.id, ())),
                sources=tuple(sources),
                merge_mode=("synthesis" if message.model else "concatenation") if sources else "",
                unanswered=message.id == last and message.role is Role.USER and not replying,
            )
        )
    return infos


def _tool_summary(message: Message) -> str:
    if message.tool_calls:
        names = ", ".join(call.get("function", {}).get("name", "?") for call in message.tool_calls)
        return f"*(calls {names})*"
    return ""


def banner_text(snapshot: ThreadSnapshot, status: EndpointStatus) -> str:
    """The line above a thread: the model it talks to (or why none), and where it was forked."""
    lines: list[str] = []
    if status.endpoint is None:
        lines.append(f"No model to talk to. {status.problem}")
    elif status.is_demo:
        from tui.model.demo import CONNECT_HINT

        lines.append(f"{status.endpoint.model}: {status.endpoint.label}. {CONNECT_HINT}")
    else:
        label = f": {status.endpoint.label}" if status.endpoint.label else ""
        lines.append(f"{status.endpoint.model} on {status.endpoint.name}{label}")
    if snapshot.thread.forked_from:
        parent = snapshot.parent_title or "a deleted thread"
        lines.append(f"⑂ forked from “{parent}” · ctrl+o fork point · ctrl+t parent thread")
    return "\n".join(lines)

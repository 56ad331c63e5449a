"""A thread as a markdown document (what `loupe thread export` prints)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from tui.threads.model import Message, MessageSource, Role, Status, Thread

if TYPE_CHECKING:
    from tui.threads.store import ThreadStore

_LABELS = {Role.SYSTEM: "System", Role.USER: "User", Role.ASSISTANT: "Assistant", Role.TOOL: "Tool"}


def fence(text: str, info: str = "") -> str:
    """`text` in a code fence longer than any backtick run inside it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * max(3, longest + 1)
    return f"{ticks}{info}\n{text.rstrip(chr(10))}\n{ticks}"


def to_markdown(
    thread: Thread,
    history: list[Message],
    sources: dict[str, list[MessageSource]] | None = None,
    titles: dict[str, str] | None = None,
) -> str:
    """Render `history`; `sources` (message id -> merge sources) marks merged messages."""
    sources, titles = sources or {}, titles or {}
    lines = [f"# {thread.title or 'Untitled thread'}", ""]
    facts = [f"thread `{thread.id}`"]
    if thread.forked_from:
        parent = titles.get(thread.forked_from, thread.forked_from)
        facts.append(f"forked from {parent} at message `{thread.fork_point_id}`")
    if thread.model:
        facts.append(f"model {thread.model}" + (f" on {thread.endpoint}" if thread.endpoint else ""))
    lines += [f"_{' · '.join(facts)}_", ""]
    for message in history:
        lines += [_heading(message), ""]
        cited = sources.get(message.id)
        if cited:
            names = ", ".join(titles.get(s.source_thread_id, s.source_thread_id) for s in cited)
            lines += [f"> {cited[0].kind.capitalize()} of: {names}", ""]
        if message.role is Role.TOOL:
            lines += [fence(message.content), ""]
        elif message.content:
            lines += [message.content.rstrip(), ""]
        for call in message.tool_calls or []:
            function = call.get("function", {})
            arguments = function.get("arguments", "")
            try:
                arguments = json.dumps(json.loads(arguments), indent=2, ensure_ascii=False)
            except (TypeError, ValueError):
                pass
            lines += [f"Tool call `{function.get('name', '?')}` (`{call.get('id', '')}`):", "",
                      fence(arguments, "json"), ""]
        if message.status is not Status.COMPLETE:
            note = f"_{message.status}_" + (f": {message.error}" if message.error else "")
            lines += [note, ""]
    return "\n".join(lines).rstrip() + "\n"


def thread_markdown(store: ThreadStore, thread_id: str) -> str:
    """A stored thread as markdown, with its merge sources and parent named by title."""
    thread = store.thread(thread_id)
    history = store.history(thread_id)
    merged = store.merged_message_ids(m.id for m in history)
    sources = {message_id: store.sources(message_id) for message_id in merged}
    cited = {s.source_thread_id for rows in sources.values() for s in rows}
    if thread.forked_from:
        cited.add(thread.forked_from)
    titles = {t.id: t.title for t in store.list_threads(include_archived=True) if t.id in cited}
    return to_markdown(thread, history, sources, titles)


def _heading(message: Message) -> str:
    parts = [_LABELS[message.role]]
    if message.role is Role.TOOL and message.tool_call_id:
        parts.append(f"result of `{message.tool_call_id}`")
    if message.role is Role.ASSISTANT and message.model:
        parts.append(message.model)
    if message.usage:
        parts.append(f"{message.usage.prompt_tokens} in, {message.usage.completion_tokens} out")
    return "## " + " · ".join(parts)

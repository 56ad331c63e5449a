"""Reading a thread for the chat pane, and building map/reduce content. Runs in worker threads.

`read_snapshot` gathers, in a few queries, everything the chat shows about a thread: its
history, each message's `‹ n/m ›` position, unsafe fork points, forks made at each message,
and merge provenance (`tui.views.chat_messages` turns that into the widgets' data).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tui.threads.model import Message, Role, SiblingPosition, Status, Thread
from tui.threads.provenance import source_questions
from tui.threads.reply import to_chat_messages
from tui.threads.store import ThreadStore

# The prompt a reduce synthesis sends after the thread's history (it is not stored).
SYNTHESIS_PROMPT = """\
The conversation above was forked into {count} branches, each asking one follow-up question.
Their answers are below. Write one answer that combines them: what they agree on,
where they differ and why, and what to do next. Do not repeat each branch in turn.

{branches}"""


@dataclass
class ThreadSnapshot:
    thread: Thread
    history: list[Message]
    positions: dict[str, SiblingPosition]
    problems: dict[str, str]
    # Titles of threads forked at each message of the history.
    forks: dict[str, list[str]] = field(default_factory=dict)
    # For each fork point: how many threads contain it.
    shared: dict[str, int] = field(default_factory=dict)
    # Merge messages: the question each source branch asked.
    sources: dict[str, list[str]] = field(default_factory=dict)
    parent_title: str = ""


def read_snapshot(store: ThreadStore, thread_id: str) -> ThreadSnapshot:
    thread = store.thread(thread_id)
    history = store.history(thread_id)
    ids = [m.id for m in history]
    snapshot = ThreadSnapshot(
        thread=thread,
        history=history,
        positions=store.sibling_positions(ids, thread_id=thread_id),
        problems=store.fork_point_problems(history),
    )
    in_history = set(ids)
    titles: dict[str, str] = {}
    for other in store.list_threads(include_archived=True):
        titles[other.id] = other.title
        if other.id != thread_id and other.fork_point_id in in_history:
            snapshot.forks.setdefault(other.fork_point_id, []).append(other.title or "untitled")
    for message_id in snapshot.forks:
        snapshot.shared[message_id] = len(store.threads_containing(message_id))
    for message_id in store.merged_message_ids(ids):
        snapshot.sources[message_id] = source_questions(store, message_id)
    if thread.forked_from:
        snapshot.parent_title = titles.get(thread.forked_from, "")
    return snapshot


# -- map and reduce ------------------------------------------------------------------------


@dataclass(frozen=True)
class Branch:
    thread_id: str
    title: str
    question: str
    answer: str
    finished: bool


def branches(store: ThreadStore, thread_id: str) -> list[Branch]:
    """The forks of `thread_id` with their question (first user message after the fork point)
    and answer (last assistant message)."""
    found: list[Branch] = []
    for thread in store.list_threads():
        if thread.forked_from != thread_id:
            continue
        delta = store.branch_delta(thread.id)
        question = next((m.content for m in delta if m.role is Role.USER), "")
        replies = [m for m in delta if m.role is Role.ASSISTANT]
        answer = replies[-1] if replies else None
        found.append(
            Branch(
                thread.id,
                thread.title or "untitled",
                question,
                answer.content if answer else "",
                answer is not None and answer.status is not Status.STREAMING,
            )
        )
    return found


# Markdown marks that only get in the way of a one-line excerpt (snake_case stays intact).
_MARKS = re.compile(r"\*\*|`+|^#+\s*|^>\s*", re.MULTILINE)


def excerpt(text: str, width: int = 60) -> str:
    flat = " ".join(_MARKS.sub("", text).split())
    return textwrap.shorten(flat, width, placeholder="…") if flat else "(no reply yet)"


def concatenation(chosen: list[Branch]) -> str:
    parts = []
    for branch in chosen:
        question = f"> {branch.question.strip()}\n\n" if branch.question.strip() else ""
        parts.append(f"### {branch.title}\n\n{question}{branch.answer.strip() or '(no reply)'}")
    return "\n\n".join(parts)


def synthesis_request(
    store: ThreadStore,
    thread_id: str,
    chosen: list[Branch],
    expand: Callable[[Message], str] | None,
) -> list[dict[str, Any]]:
    """The thread's history (before the synthesis message) plus the reduce instruction."""
    history = store.history(thread_id)
    # The streaming synthesis message is already the head; the model must not see it.
    if history and history[-1].status is Status.STREAMING:
        history = history[:-1]
    messages = to_chat_messages(history, expand=expand)
    body = "\n\n".join(
        f"### Branch {number}: {branch.title}\nQuestion: {branch.question.strip()}\n\n"
        f"Answer:\n{branch.answer.strip() or '(no reply)'}"
        for number, branch in enumerate(chosen, start=1)
    )
    messages.append(
        {"role": "user", "content": SYNTHESIS_PROMPT.format(count=len(chosen), branches=body)}
    )
    return messages

"""What a merge or reduce message brought back: the question each source branch asked.

A reduce's "sources" line is read to tell the branches apart, and branches of one map differ
by their question, not their title (which may be a shared prefix, or renamed since). A
branch's question is its first user message below what it shares with the merge target.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tui.threads.errors import UnknownThread
from tui.threads.model import Role

if TYPE_CHECKING:
    from tui.threads.store import ThreadStore


def source_questions(store: ThreadStore, message_id: str) -> list[str]:
    """For each source of the merge message, in order: the question its branch asked, or
    (for a branch that asked none) its title, or its id when the thread is gone."""
    merged = store.message(message_id)
    shared = {m.id for m in store.chain(merged.parent_id)} if merged.parent_id else set()
    labels: list[str] = []
    for source in store.sources(message_id):
        own = [m for m in store.chain(source.source_head_id) if m.id not in shared]
        question = next((m.content for m in own if m.role is Role.USER and m.content.strip()), "")
        labels.append(" ".join(question.split()) or _title(store, source.source_thread_id))
    return labels


def _title(store: ThreadStore, thread_id: str) -> str:
    try:
        return store.thread(thread_id).title or thread_id[:8]
    except UnknownThread:
        return thread_id[:8]

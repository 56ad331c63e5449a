"""Merge and reduce: bring branches back into a thread as one message with provenance.

A merge appends a single visible message to the target thread (a summary, a model-written
synthesis or the plain concatenation) and records each source branch and its head at that
moment in `message_sources`. The target's history stays a simple chain: the sources are
provenance, not parents. Merging the same heads into the same target again returns the
message made the first time.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Protocol

from tui.threads import writes
from tui.threads.errors import StoreError, UnknownThread
from tui.threads.model import Message, Role, Status, Thread
from tui.threads.owners import OwnerLock


class BranchReader(Protocol):
    """What `concatenate_branches` reads (the thread store)."""

    def thread(self, thread_id: str) -> Thread: ...

    def branch_delta(self, thread_id: str) -> list[Message]: ...


def merge(
    conn: sqlite3.Connection,
    owner: OwnerLock,
    target_thread_id: str,
    source_thread_ids: Sequence[str],
    content: str,
    *,
    kind: str,
    role: Role,
    status: Status,
    model: str | None,
    endpoint: str | None,
) -> str:
    """The merge message's id; runs inside the caller's write transaction on `conn`."""
    if kind not in ("merge", "reduce"):
        raise ValueError(f"kind must be 'merge' or 'reduce', not {kind!r}")
    sources = list(dict.fromkeys(source_thread_ids))
    if not sources:
        raise StoreError("choose at least one branch to merge")
    if target_thread_id in sources:
        raise StoreError("a thread cannot be merged into itself")
    heads: dict[str, str] = {}
    for source in sources:
        row = conn.execute("SELECT head_id FROM threads WHERE id = ?", (source,)).fetchone()
        if row is None:
            raise UnknownThread(source)
        if row[0] is None:
            raise StoreError(f"thread {source} is empty; there is nothing to merge")
        heads[source] = row[0]
    existing = _existing_merge(conn, target_thread_id, set(heads.values()))
    if existing is not None:
        return existing
    message_id = writes.insert_message(
        conn, owner, target_thread_id, writes.head(conn, target_thread_id), role, content,
        status=status, model=model, endpoint=endpoint,
    )
    writes.move_head(conn, target_thread_id, message_id)
    conn.executemany(
        "INSERT INTO message_sources (message_id, target_thread_id, source_thread_id, "
        "source_head_id, kind) VALUES (?, ?, ?, ?, ?)",
        [(message_id, target_thread_id, s, heads[s], kind) for s in sources],
    )
    return message_id


def _existing_merge(conn: sqlite3.Connection, target: str, heads: set[str]) -> str | None:
    """A message already merging exactly these heads into `target`, if any."""
    marks = ",".join("?" * len(heads))
    candidates = conn.execute(
        f"SELECT DISTINCT message_id FROM message_sources "
        f"WHERE target_thread_id = ? AND source_head_id IN ({marks})",
        (target, *heads),
    ).fetchall()
    for (message_id,) in candidates:
        cited = {
            row[0] for row in conn.execute(
                "SELECT source_head_id FROM message_sources WHERE message_id = ?", (message_id,)
            )
        }
        if cited == heads:
            return message_id
    return None


def concatenate_branches(store: BranchReader, thread_ids: Sequence[str]) -> str:
    """The plain-concatenation reduce: each branch's own messages under its title."""
    parts: list[str] = []
    for thread_id in thread_ids:
        thread = store.thread(thread_id)
        lines = [f"## {thread.title or thread.id}"]
        for message in store.branch_delta(thread_id):
            if message.role in (Role.USER, Role.ASSISTANT) and message.content.strip():
                label = "Question" if message.role is Role.USER else "Answer"
                lines.append(f"**{label}:** {message.content.strip()}")
        parts.append("\n\n".join(lines))
    return "\n\n".join(parts)

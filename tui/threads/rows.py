"""Turning SQLite rows into model objects, and the SELECTs that produce them."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime

from tui.threads.model import Message, Role, Status, Thread, Usage

MESSAGE_FIELDS = (
    "id", "parent_id", "root_id", "depth", "thread_id", "role", "content", "tool_calls",
    "tool_call_id", "status", "model", "endpoint", "usage", "error", "snapshot", "created_at",
    "finished_at",
)


def streamed_text(table: str) -> str:
    """SQL for the pieces of text saved for a streaming row of `table`, in order (see db.py)."""
    return (
        "COALESCE((SELECT group_concat(chunk.text, '') FROM (SELECT text FROM message_chunks "
        f"WHERE message_id = {table}.id ORDER BY seq) chunk), '')"
    )


def _columns(table: str) -> str:
    """The message columns of `table` (a name or alias); a streaming message's content is
    what it started with plus the pieces saved since."""
    content = (
        f"CASE WHEN {table}.status = 'streaming' THEN {table}.content || {streamed_text(table)} "
        f"ELSE {table}.content END"
    )
    return ", ".join(content if f == "content" else f"{table}.{f}" for f in MESSAGE_FIELDS)


MESSAGE_COLUMNS = _columns("messages")
# The same columns through the `m` alias, for joins.
M_COLUMNS = _columns("m")
THREAD_SELECT = (
    "SELECT t.id, t.title, t.head_id, t.forked_from, t.fork_point_id, t.endpoint, t.model, "
    "t.kind, t.archived, t.meta, t.created_at, t.updated_at, COALESCE(h.depth + 1, 0) "
    "FROM threads t LEFT JOIN messages h ON h.id = t.head_id"
)

# The chain from a message up to its root, every column carried along (one index lookup per
# step, no second join). Rows come head first.
CHAIN_SELECT = f"""
WITH RECURSIVE chain({", ".join(MESSAGE_FIELDS)}) AS (
    SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = :head
    UNION ALL
    SELECT {M_COLUMNS} FROM messages m JOIN chain c ON m.id = c.parent_id
)
SELECT * FROM chain
"""

# Threads whose head is the message or below it, i.e. whose history contains it.
THREADS_CONTAINING = """
WITH RECURSIVE sub(id) AS (
    SELECT ? UNION ALL SELECT m.id FROM messages m JOIN sub ON m.parent_id = sub.id)
SELECT t.id FROM threads t JOIN sub ON t.head_id = sub.id ORDER BY t.id
"""


# Plain dict lookups: Enum.__call__ is a measurable share of loading a long history.
_ROLES = {str(role): role for role in Role}
_STATUSES = {str(status): status for status in Status}


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


def parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def message_from_row(row: sqlite3.Row | tuple) -> Message:
    (id_, parent_id, root_id, depth, thread_id, role, content, tool_calls, tool_call_id, status,
     model, endpoint, usage, error, snapshot, created_at, finished_at) = row
    # The frozen dataclass __init__ sets 17 fields through object.__setattr__, which is about
    # half the cost of loading a long history; filling __dict__ directly builds the same object.
    message = object.__new__(Message)
    message.__dict__.update(
        id=id_,
        parent_id=parent_id,
        root_id=root_id,
        depth=depth,
        role=_ROLES[role],
        content=content,
        status=_STATUSES[status],
        created_at=datetime.fromisoformat(created_at),
        thread_id=thread_id,
        tool_calls=json.loads(tool_calls) if tool_calls else None,
        tool_call_id=tool_call_id,
        model=model,
        endpoint=endpoint,
        usage=Usage.from_dict(json.loads(usage)) if usage else None,
        error=error,
        snapshot=snapshot,
        finished_at=datetime.fromisoformat(finished_at) if finished_at else None,
    )
    return message


def thread_from_row(row: sqlite3.Row | tuple) -> Thread:
    (id_, title, head_id, forked_from, fork_point_id, endpoint, model, kind, archived, meta,
     created_at, updated_at, length) = row
    return Thread(
        id=id_,
        title=title,
        head_id=head_id,
        forked_from=forked_from,
        fork_point_id=fork_point_id,
        endpoint=endpoint,
        model=model,
        kind=kind,
        archived=bool(archived),
        meta=json.loads(meta) if meta else {},
        created_at=datetime.fromisoformat(created_at),
        updated_at=datetime.fromisoformat(updated_at),
        length=length,
    )

"""The tree's write primitives, shared by the store and its helper modules (merge).

Each takes the connection of a write transaction the caller already holds; none opens one.
"""

from __future__ import annotations

import sqlite3

from tui.threads import rules
from tui.threads.errors import ThreadBusy, UnknownMessage, UnknownThread, UnsafeForkPoint
from tui.threads.ids import new_id
from tui.threads.model import Message, Role, Status, ToolCall, Usage, dumps
from tui.threads.owners import OwnerLock
from tui.threads.rows import M_COLUMNS, message_from_row, now


def head(conn: sqlite3.Connection, thread_id: str) -> str | None:
    row = conn.execute("SELECT head_id FROM threads WHERE id = ?", (thread_id,)).fetchone()
    if row is None:
        raise UnknownThread(thread_id)
    return row[0]


def move_head(conn: sqlite3.Connection, thread_id: str, message_id: str | None) -> None:
    conn.execute(
        "UPDATE threads SET head_id = ?, updated_at = ? WHERE id = ?", (message_id, now(), thread_id)
    )


def turn_tail(conn: sqlite3.Connection, message_id: str) -> list[Message]:
    """The message and, if it is a tool result, the tool results and call above it."""
    rows = conn.execute(
        f"""WITH RECURSIVE up(id, parent_id, role, n) AS (
                SELECT id, parent_id, role, 0 FROM messages WHERE id = ?
                UNION ALL
                SELECT m.id, m.parent_id, m.role, up.n + 1 FROM messages m
                JOIN up ON m.id = up.parent_id WHERE up.role = 'tool')
            SELECT {M_COLUMNS}
            FROM up JOIN messages m ON m.id = up.id ORDER BY up.n DESC""",
        (message_id,),
    ).fetchall()
    return [message_from_row(row) for row in rows]


def insert_message(
    conn: sqlite3.Connection,
    owner: OwnerLock,
    thread_id: str,
    parent_id: str | None,
    role: Role,
    content: str,
    *,
    tool_calls: list[ToolCall] | None = None,
    tool_call_id: str | None = None,
    status: Status = Status.COMPLETE,
    model: str | None = None,
    endpoint: str | None = None,
    usage: Usage | None = None,
    error: str | None = None,
    snapshot: str | None = None,
) -> str:
    """A new message under `parent_id` (None: a new root); the head is not moved."""
    message_id = new_id()
    if parent_id is None:
        root_id, depth = message_id, 0
        if role is Role.TOOL:
            raise UnsafeForkPoint("a tool message cannot start a conversation")
    else:
        row = conn.execute(
            "SELECT root_id, depth, status FROM messages WHERE id = ?", (parent_id,)
        ).fetchone()
        if row is None:
            raise UnknownMessage(parent_id)
        root_id, parent_depth, parent_status = row
        depth = parent_depth + 1
        if parent_status == Status.STREAMING:
            raise ThreadBusy("the previous reply is still streaming; wait for it or cancel it")
        problem = rules.continuation_problem(turn_tail(conn, parent_id), role, tool_call_id)
        if problem:
            raise UnsafeForkPoint(problem)
    # The owner's lock tells a crash from a slow writer (see tui.threads.owners).
    owner_token = owner.acquire() if status is Status.STREAMING else None
    stamp = now()
    conn.execute(
        "INSERT INTO messages (id, parent_id, root_id, depth, thread_id, role, content, "
        "tool_calls, tool_call_id, status, model, endpoint, usage, error, snapshot, owner, "
        "created_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            message_id, parent_id, root_id, depth, thread_id, str(role), content,
            dumps(tool_calls), tool_call_id, str(status), model, endpoint,
            dumps(usage.to_dict()) if usage else None, error, snapshot, owner_token, stamp,
            None if status is Status.STREAMING else stamp,
        ),
    )
    return message_id

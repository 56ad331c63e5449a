"""Has a thread changed since a view read it? One cheap query, for views that poll.

Another process (`loupe thread send`, `loupe agent`, another loupe) may add messages to an
open thread, stream a reply into it and finish that reply, rename it, switch its model or
fork it. `HeadState` captures all of that from two rows, whatever the thread's length:

- the thread's row: head, title, endpoint, model, archived, and the forks made from it;
- its head message: status, length of the text saved so far, and when it finished.

Only the head of a history can change: nothing is appended under a streaming message
(`ThreadBusy`) and finished messages are immutable (a trigger refuses updates), so once the
head is the same and finished, so is everything above it. The head's text is read through
`rows.M_COLUMNS`, the store's own reading of a message, so it counts text however the store
saves a streaming reply.

    seen = store.head_state(thread_id)     # with the snapshot the view shows
    ...
    if store.head_state(thread_id) != seen: reload
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from tui.threads.errors import UnknownThread
from tui.threads.rows import M_COLUMNS, message_from_row


@dataclass(frozen=True)
class HeadState:
    head_id: str | None
    title: str
    endpoint: str | None
    model: str | None
    archived: bool
    # Threads forked from this one, and the newest of them ("3:01J9…"): a new fork, or one
    # deleted and another made, both change it.
    forks: str
    head_status: str | None
    head_length: int
    head_finished_at: str | None


def head_state(conn: sqlite3.Connection, thread_id: str) -> HeadState:
    row = conn.execute(
        f"""SELECT t.head_id, t.title, t.endpoint, t.model, t.archived,
                   (SELECT COUNT(*) || ':' || COALESCE(MAX(f.id), '') FROM threads f
                    WHERE f.forked_from = t.id),
                   m.id IS NOT NULL, {M_COLUMNS}
            FROM threads t LEFT JOIN messages m ON m.id = t.head_id WHERE t.id = ?""",
        (thread_id,),
    ).fetchone()
    if row is None:
        raise UnknownThread(thread_id)
    head_id, title, endpoint, model, archived, forks, has_head = row[:7]
    head = message_from_row(row[7:]) if has_head else None
    return HeadState(
        head_id=head_id, title=title, endpoint=endpoint, model=model, archived=bool(archived),
        forks=forks,
        head_status=str(head.status) if head else None,
        head_length=len(head.content) if head else 0,
        head_finished_at=head.finished_at.isoformat() if head and head.finished_at else None,
    )

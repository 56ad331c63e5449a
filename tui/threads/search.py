"""Full-text search across threads (SQLite FTS5 over finished messages)."""

from __future__ import annotations

import re
import sqlite3

from tui.threads.model import Message, SearchHit
from tui.threads.rows import M_COLUMNS, message_from_row

_WORD = re.compile(r"\w[\w'-]*\*?", re.UNICODE)


def fts_query(text: str) -> str:
    """Plain words to an FTS5 query: every word must appear; `word*` matches a prefix.

    Quoting each word keeps FTS5's own syntax (AND, NEAR, column filters, quotes) out of
    the user's way: `don't "x" OR:` searches for those words instead of failing to parse.
    """
    terms = []
    for word in _WORD.findall(text):
        prefix = word.endswith("*")
        word = word.rstrip("*").replace('"', '""')
        if word:
            terms.append(f'"{word}"' + ("*" if prefix else ""))
    return " ".join(terms)


def search(
    conn: sqlite3.Connection, query: str, *, limit: int, include_archived: bool
) -> list[SearchHit]:
    """One hit per message, with every thread that has it: a message shared by a fork family
    is found once, not once per thread (nor only under the thread that wrote it)."""
    match = fts_query(query)
    if not match:
        return []
    rows = conn.execute(
        f"""SELECT {M_COLUMNS}, snippet(messages_fts, 0, '[', ']', '…', 12)
            FROM messages_fts JOIN messages m ON m.seq = messages_fts.rowid
            WHERE messages_fts MATCH ? ORDER BY bm25(messages_fts), m.id DESC LIMIT ?""",
        (match, limit * 4),
    ).fetchall()
    messages = [message_from_row(row[:-1]) for row in rows]
    visible = {
        row[0] for row in conn.execute(
            "SELECT id FROM threads" + ("" if include_archived else " WHERE archived = 0")
        )
    }
    containing = _threads_containing(conn, messages, visible)
    hits: list[SearchHit] = []
    for message, row in zip(messages, rows):
        # The thread that wrote the message comes first: it is where to open it, even when
        # its head has moved to another branch since (the chat switches to the message's).
        writer = [message.thread_id] if message.thread_id in visible else []
        others = [t for t in containing.get(message.id, []) if t != message.thread_id]
        if writer or others:
            hits.append(SearchHit(message=message, snippet=row[-1], thread_ids=writer + others))
        if len(hits) >= limit:
            break
    return hits


def _threads_containing(
    conn: sqlite3.Connection, messages: list[Message], threads: set[str]
) -> dict[str, list[str]]:
    """For each message, which of `threads` have it in their history, oldest thread first.

    One walk from the heads of the threads that share a root with a message, up to the
    shallowest message; a per-message walk down its subtree would cost that subtree's size
    for every hit (a whole agent transcript below its first prompt)."""
    if not messages:
        return {}
    roots = sorted({m.root_id for m in messages})
    ids = [m.id for m in messages]
    shallowest = min(m.depth for m in messages)
    found: dict[str, list[str]] = {}
    for start in range(0, len(ids), 400):
        batch = ids[start : start + 400]
        rows = conn.execute(
            f"""WITH RECURSIVE up(thread_id, id, parent_id, depth) AS (
                    SELECT t.id, h.id, h.parent_id, h.depth FROM threads t
                    JOIN messages h ON h.id = t.head_id
                    WHERE h.root_id IN ({",".join("?" * len(roots))})
                    UNION ALL
                    SELECT up.thread_id, m.id, m.parent_id, m.depth
                    FROM messages m JOIN up ON m.id = up.parent_id WHERE up.depth > ?)
                SELECT id, thread_id FROM up WHERE id IN ({",".join("?" * len(batch))})
                ORDER BY thread_id""",
            (*roots, shallowest, *batch),
        ).fetchall()
        for message_id, thread_id in rows:
            if thread_id in threads:
                found.setdefault(message_id, []).append(thread_id)
    return found

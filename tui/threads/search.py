"""Full-text search across threads (SQLite FTS5 over finished messages)."""

from __future__ import annotations

import re
import sqlite3

from tui.threads.model import SearchHit
from tui.threads.rows import M_COLUMNS, THREADS_CONTAINING, message_from_row

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
    match = fts_query(query)
    if not match:
        return []
    rows = conn.execute(
        f"""SELECT {M_COLUMNS}, snippet(messages_fts, 0, '[', ']', '…', 12)
            FROM messages_fts JOIN messages m ON m.seq = messages_fts.rowid
            WHERE messages_fts MATCH ? ORDER BY bm25(messages_fts), m.id DESC LIMIT ?""",
        (match, limit * 4),
    ).fetchall()
    archived = {row[0] for row in conn.execute("SELECT id FROM threads WHERE archived = 1")}
    existing = {row[0] for row in conn.execute("SELECT id FROM threads")}
    hits: list[SearchHit] = []
    for row in rows:
        message = message_from_row(row[:-1])
        # The thread that wrote the message is where to open it. Only when that thread is
        # gone is the tree walked (it costs the size of the message's subtree).
        if message.thread_id in existing:
            thread_ids = [message.thread_id]
        else:
            thread_ids = [r[0] for r in conn.execute(THREADS_CONTAINING, (message.id,))]
        if not include_archived:
            thread_ids = [t for t in thread_ids if t not in archived]
        if thread_ids:
            hits.append(SearchHit(message=message, snippet=row[-1], thread_ids=thread_ids))
        if len(hits) >= limit:
            break
    return hits

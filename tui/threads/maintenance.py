"""Housekeeping inside one write transaction: garbage collection and crash recovery."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tui.threads.owners import owner_is_alive, remove_stale_locks
from tui.threads.rows import now, streamed_text

# Live messages: every ancestor of what a thread points at (its head and fork point), of the
# branches merges cite, and of every message a still-existing thread wrote (so the siblings an
# edit left behind stay switchable). Whatever else is left was written by deleted threads.
_LIVE = """
WITH RECURSIVE live(id) AS (
    SELECT head_id FROM threads WHERE head_id IS NOT NULL
    UNION SELECT fork_point_id FROM threads WHERE fork_point_id IS NOT NULL
    UNION SELECT source_head_id FROM message_sources
    UNION SELECT id FROM messages WHERE thread_id IN (SELECT id FROM threads)
    UNION SELECT id FROM messages WHERE status = 'streaming'
    UNION SELECT m.parent_id FROM messages m JOIN live ON m.id = live.id
    WHERE m.parent_id IS NOT NULL
)
"""


def collect_garbage(conn: sqlite3.Connection) -> int:
    """Delete unreachable messages (and their provenance rows); returns how many."""
    total = 0
    # A merge message's sources keep branches alive; once the merge message itself goes, its
    # provenance rows go and the branches it cited may become garbage in the next round.
    while True:
        conn.execute("CREATE TEMP TABLE IF NOT EXISTS gc_dead(id TEXT PRIMARY KEY)")
        conn.execute("DELETE FROM gc_dead")
        conn.execute(
            f"{_LIVE} INSERT INTO gc_dead SELECT id FROM messages WHERE id NOT IN (SELECT id FROM live)"
        )
        dead = conn.execute("SELECT COUNT(*) FROM gc_dead").fetchone()[0]
        if dead == 0:
            return total
        conn.execute("DELETE FROM message_sources WHERE message_id IN (SELECT id FROM gc_dead)")
        conn.execute("DELETE FROM messages WHERE id IN (SELECT id FROM gc_dead)")
        total += dead


def recover_interrupted(conn: sqlite3.Connection, db_path: Path, own_token: str | None) -> list[str]:
    """Mark "interrupted" the streaming messages whose writer is no longer running."""
    owners = [
        row[0]
        for row in conn.execute("SELECT DISTINCT owner FROM messages WHERE status = 'streaming'")
    ]
    dead = [
        owner for owner in owners
        if owner != own_token and (owner is None or not owner_is_alive(db_path, owner))
    ]
    recovered: list[str] = []
    for owner in dead:
        rows = conn.execute(
            "SELECT id FROM messages WHERE status = 'streaming' AND owner IS ?", (owner,)
        ).fetchall()
        recovered.extend(row[0] for row in rows)
        conn.execute(
            f"UPDATE messages SET status = 'interrupted', owner = NULL, finished_at = ?, "
            f"content = content || {streamed_text('messages')}, "
            "error = 'loupe stopped while this reply was streaming; the text saved before that is kept' "
            "WHERE status = 'streaming' AND owner IS ?",
            (now(), owner),
        )
        conn.executemany("DELETE FROM message_chunks WHERE message_id = ?", [(row[0],) for row in rows])
    remove_stale_locks(db_path, own_token)
    return recovered

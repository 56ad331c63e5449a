"""The thread store: forkable chat threads in one SQLite file.

Usage (plain Python, safe from any thread; every method is one short transaction)::

    store = ThreadStore()                          # data_dir()/threads.sqlite
    thread = store.create_thread("design Q4", endpoint="work", model="gpt-x")
    store.append(thread.id, "user", "What should init look like?")
    reply = store.start_reply(thread.id, model="gpt-x", endpoint="work")   # streaming
    writer = store.stream_writer(reply.id)
    writer.append("It should ")                   # cheap; saved at a bounded rate
    writer.finish(Status.COMPLETE, usage=Usage(10, 3, 13))
    fork = store.fork(thread.id, at=reply.id, title="perf")               # one row, no copy
    store.history(fork.id)                         # root-to-head list of Message

Model (see `tui.threads.model`): messages form an immutable tree; a thread points at its
head. `append` adds a child of the head (or of `parent_id`) and moves the head to it, in one
transaction, so two processes appending at once both land, in order.

Branching:
- `fork(thread_id, at)`: a new thread at a safe message (`UnsafeForkPoint` otherwise).
- `edit(thread_id, message_id, content)`: a sibling with new content; the head moves to it.
  Rerun = call the replier (`tui.threads.reply`) afterwards. Regenerate = reply with
  `parent_id=` the parent of the reply being redone.
- `siblings`, `sibling_positions` (the `‹ n/m ›` numbers), `switch_branch` (head to the
  newest leaf under a sibling), `set_head` (rewind / redo).
- `family(thread_id)`: the fork tree the thread belongs to.

Lifecycle: `rename`, `archive`, `delete_thread` (drops the pointer, then collects messages no
thread can reach), `set_model`, `set_meta`, `set_snapshot` (once, for the built-in agent).

Also: `search` (FTS5), `merge` (merge/reduce with provenance, idempotent), `sources`,
`branch_delta`, `threads_containing`, `fork_point_problems` (for greying unsafe fork points),
`head_state` (has another process changed the thread? one cheap query).

Crash safety: a streaming message is tagged with its writer (see `tui.threads.owners`). When a
store opens, streaming messages whose writer has died are marked "interrupted"; their ids
are in `store.recovered`.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tui import locations
from tui.threads import db, lineage, maintenance, rules, writes
from tui.threads.changes import HeadState, head_state
from tui.threads.errors import (
    MessageFinished,
    StoreError,
    UnknownMessage,
    UnknownThread,
    UnsafeForkPoint,
)
from tui.threads.ids import new_id
from tui.threads.model import (
    FamilyMember,
    Message,
    MessageSource,
    Role,
    SearchHit,
    SiblingPosition,
    Status,
    Thread,
    ToolCall,
    Usage,
    dumps,
)
from tui.threads.owners import OwnerLock
from tui.threads.rows import (
    CHAIN_SELECT,
    MESSAGE_COLUMNS,
    THREAD_SELECT,
    THREADS_CONTAINING,
    message_from_row,
    now,
    streamed_text,
    thread_from_row,
)
from tui.threads.stream_writer import StreamWriter
from tui.threads.titles import title_from

DEFAULT_BUSY_TIMEOUT_MS = 10_000


class _AtHead:
    def __repr__(self) -> str:
        return "AT_HEAD"


# Default `parent_id` of `append`: after the thread's head. `None` means "a new root".
AT_HEAD: Any = _AtHead()


def default_path() -> Path:
    return locations.data_dir() / "threads.sqlite"


class ThreadStore:
    def __init__(
        self,
        path: Path | None = None,
        *,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
        recover: bool = True,
    ) -> None:
        self.path = Path(path) if path is not None else default_path()
        self._lock = threading.RLock()
        self._sqlite = db.connect(self.path, busy_timeout_ms=busy_timeout_ms)
        self._closed = False
        self._owner = OwnerLock(self.path)
        # Ids of replies found half-written by a dead process and marked interrupted.
        self.recovered: list[str] = self.recover_interrupted() if recover else []

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            self._sqlite.close()
            self._owner.release()

    @property
    def _conn(self) -> sqlite3.Connection:
        # A reader on another thread may still hold the store when the app quits: it gets
        # a StoreError it can report, not sqlite's "closed database" programming error.
        if self._closed:
            raise StoreError(f"the thread store {self.path} is closed")
        return self._sqlite

    def __enter__(self) -> ThreadStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                with db.transaction(self._conn) as conn:
                    yield conn
            except sqlite3.OperationalError as exc:
                raise StoreError(f"cannot write the thread store {self.path}: {exc}") from exc

    def _read(self, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, params).fetchall()

    # -- threads ---------------------------------------------------------------------------

    def create_thread(
        self,
        title: str = "",
        *,
        endpoint: str | None = None,
        model: str | None = None,
        system: str | None = None,
        kind: str = "chat",
        meta: dict[str, Any] | None = None,
    ) -> Thread:
        """A new thread; with `system`, its first message is that system prompt."""
        thread_id = new_id()
        stamp = now()
        with self._write() as conn:
            conn.execute(
                "INSERT INTO threads (id, title, endpoint, model, kind, meta, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (thread_id, title, endpoint, model, kind, json.dumps(meta or {}), stamp, stamp),
            )
            if system:
                message_id = writes.insert_message(conn, self._owner, thread_id, None, Role.SYSTEM, system)
                writes.move_head(conn, thread_id, message_id)
        return self.thread(thread_id)

    def thread(self, thread_id: str) -> Thread:
        rows = self._read(f"{THREAD_SELECT} WHERE t.id = ?", (thread_id,))
        if not rows:
            raise UnknownThread(thread_id)
        return thread_from_row(rows[0])

    def find_thread(self, ref: str) -> Thread:
        """A thread by id, unique id prefix (case-insensitive) or unique exact title."""
        ref = ref.strip()
        rows = self._read(f"{THREAD_SELECT} WHERE t.id = ?", (ref,))
        if not rows and ref:
            pattern = ref.upper().replace("%", "").replace("_", "") + "%"
            rows = self._read(f"{THREAD_SELECT} WHERE t.id LIKE ?", (pattern,))
            if not rows:
                rows = self._read(f"{THREAD_SELECT} WHERE t.title = ?", (ref,))
        if len(rows) > 1:
            raise UnknownThread(
                ref, f"{ref!r} matches {len(rows)} threads; give more of the id (`loupe thread list`)"
            )
        if not rows:
            raise UnknownThread(ref)
        return thread_from_row(rows[0])

    def list_threads(self, *, include_archived: bool = False, kind: str | None = None) -> list[Thread]:
        """Threads, most recently updated first."""
        where, params = [], []
        if not include_archived:
            where.append("t.archived = 0")
        if kind is not None:
            where.append("t.kind = ?")
            params.append(kind)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        rows = self._read(f"{THREAD_SELECT}{clause} ORDER BY t.updated_at DESC, t.id DESC", params)
        return [thread_from_row(row) for row in rows]

    def rename(self, thread_id: str, title: str) -> Thread:
        return self._update_thread(thread_id, "title = ?", (title,))

    def archive(self, thread_id: str, archived: bool = True) -> Thread:
        return self._update_thread(thread_id, "archived = ?", (int(archived),))

    def set_model(self, thread_id: str, endpoint: str | None, model: str | None) -> Thread:
        return self._update_thread(thread_id, "endpoint = ?, model = ?", (endpoint, model))

    def set_meta(self, thread_id: str, meta: dict[str, Any]) -> Thread:
        return self._update_thread(thread_id, "meta = ?", (json.dumps(meta),))

    def _update_thread(self, thread_id: str, assignments: str, params: tuple) -> Thread:
        # Not an activity: `updated_at` (the list order) moves only when messages do.
        with self._write() as conn:
            cursor = conn.execute(
                f"UPDATE threads SET {assignments} WHERE id = ?", (*params, thread_id)
            )
            if cursor.rowcount == 0:
                raise UnknownThread(thread_id)
        return self.thread(thread_id)

    def delete_thread(self, thread_id: str) -> int:
        """Drop the thread's pointer; returns how many unreachable messages were collected.

        Forks of the deleted thread move up to its own parent, so the family tree keeps its
        shape. Messages other threads still reach (shared history, their fork points, merge
        sources) stay.
        """
        with self._write() as conn:
            row = conn.execute("SELECT forked_from FROM threads WHERE id = ?", (thread_id,)).fetchone()
            if row is None:
                raise UnknownThread(thread_id)
            conn.execute("UPDATE threads SET forked_from = ? WHERE forked_from = ?", (row[0], thread_id))
            conn.execute("DELETE FROM threads WHERE id = ?", (thread_id,))
            return maintenance.collect_garbage(conn)

    def collect_garbage(self) -> int:
        """Delete messages no thread can reach; returns how many."""
        with self._write() as conn:
            return maintenance.collect_garbage(conn)

    # -- messages --------------------------------------------------------------------------

    def message(self, message_id: str) -> Message:
        rows = self._read(f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE id = ?", (message_id,))
        if not rows:
            raise UnknownMessage(message_id)
        return message_from_row(rows[0])

    def append(
        self,
        thread_id: str,
        role: Role | str,
        content: str = "",
        *,
        parent_id: str | None = AT_HEAD,
        tool_calls: list[ToolCall] | None = None,
        tool_call_id: str | None = None,
        status: Status | str = Status.COMPLETE,
        model: str | None = None,
        endpoint: str | None = None,
        usage: Usage | None = None,
        error: str | None = None,
        snapshot: str | None = None,
    ) -> Message:
        """Add a message after the thread's head (or after `parent_id`; None starts a new
        root) and move the head to it. A user message titles a thread that has no title.

        Raises `ThreadBusy` if the parent is still streaming, and `UnsafeForkPoint` if the
        message cannot follow its parent (a non-tool message while tool calls wait for
        results, or a tool result nobody asked for).
        """
        role, status = Role(role), Status(status)
        with self._write() as conn:
            head = writes.head(conn, thread_id)
            parent = head if parent_id is AT_HEAD else parent_id
            message_id = writes.insert_message(
                conn, self._owner, thread_id, parent, role, content,
                tool_calls=tool_calls, tool_call_id=tool_call_id, status=status, model=model,
                endpoint=endpoint, usage=usage, error=error, snapshot=snapshot,
            )
            writes.move_head(conn, thread_id, message_id)
            if role is Role.USER:  # a thread started without a title takes its first question's
                conn.execute("UPDATE threads SET title = ? WHERE id = ? AND title = ''",
                             (title_from(content), thread_id))
        return self.message(message_id)

    def start_reply(
        self, thread_id: str, *, model: str | None, endpoint: str | None, parent_id: str | None = AT_HEAD
    ) -> Message:
        """An empty streaming assistant message at the head (or under `parent_id`)."""
        return self.append(
            thread_id, Role.ASSISTANT, "", parent_id=parent_id, status=Status.STREAMING,
            model=model, endpoint=endpoint,
        )

    # -- streaming -------------------------------------------------------------------------

    def stream_writer(
        self, message_id: str, *, interval: float = 0.2, clock: Callable[[], float] = time.monotonic
    ) -> StreamWriter:
        """Accumulates deltas for a streaming message and saves them at most every `interval` s."""
        message = self.message(message_id)
        if message.finished:
            raise MessageFinished(f"message {message_id} is already {message.status}")
        return StreamWriter(
            message_id, save=self.append_partial, finish=self.finish, initial=message.content,
            interval=interval, clock=clock,
        )

    def append_partial(self, message_id: str, text: str) -> None:
        """Add text that arrived for a streaming message (one small row, not a rewrite)."""
        try:
            with self._lock:
                self._conn.execute(
                    "INSERT INTO message_chunks (message_id, text) VALUES (?, ?)", (message_id, text)
                )
        except sqlite3.IntegrityError:
            self._raise_not_streaming(message_id)

    def finish(
        self,
        message_id: str,
        status: Status | str = Status.COMPLETE,
        *,
        content: str | None = None,
        tool_calls: list[ToolCall] | None = None,
        usage: Usage | None = None,
        error: str | None = None,
        model: str | None = None,
    ) -> Message:
        """End a streaming message. After this it never changes."""
        status = Status(status)
        if status is Status.STREAMING:
            raise ValueError("finish needs a final status")
        with self._write() as conn:
            cursor = conn.execute(
                "UPDATE messages SET status = ?, "
                f"content = COALESCE(?, content || {streamed_text('messages')}), tool_calls = ?, "
                "usage = ?, error = ?, model = COALESCE(?, model), owner = NULL, finished_at = ? "
                "WHERE id = ? AND status = 'streaming'",
                (
                    str(status), content, dumps(tool_calls), dumps(usage.to_dict()) if usage else None,
                    error, model, now(), message_id,
                ),
            )
            if cursor.rowcount == 0:
                self._raise_not_streaming(message_id)
            conn.execute("DELETE FROM message_chunks WHERE message_id = ?", (message_id,))
            conn.execute(
                "UPDATE threads SET updated_at = ? WHERE head_id = ?", (now(), message_id)
            )
        return self.message(message_id)

    def _raise_not_streaming(self, message_id: str) -> None:
        message = self.message(message_id)  # raises UnknownMessage
        raise MessageFinished(
            f"message {message_id} is {message.status}; finished messages cannot change"
        )

    def set_snapshot(self, message_id: str, tree_oid: str) -> Message:
        """Record the agent's worktree state after this message (once)."""
        try:
            with self._write() as conn:
                cursor = conn.execute("UPDATE messages SET snapshot = ? WHERE id = ?", (tree_oid, message_id))
        except sqlite3.IntegrityError as exc:
            raise MessageFinished(f"message {message_id} already has a snapshot") from exc
        if cursor.rowcount == 0:
            raise UnknownMessage(message_id)
        return self.message(message_id)

    def recover_interrupted(self) -> list[str]:
        """Mark "interrupted" the streaming messages whose writer process has died."""
        with self._write() as conn:
            return maintenance.recover_interrupted(conn, self.path, self._owner.token)

    # -- history and tree ------------------------------------------------------------------

    def history(self, thread_id: str) -> list[Message]:
        """The thread's messages from the root to the head (one recursive query)."""
        with self._lock:
            head = writes.head(self._conn, thread_id)
        return [] if head is None else self.chain(head)

    def chain(self, message_id: str) -> list[Message]:
        """The messages from the root down to `message_id`."""
        rows = self._read(CHAIN_SELECT, {"head": message_id})
        if not rows:
            raise UnknownMessage(message_id)
        return [message_from_row(row) for row in reversed(rows)]

    def children(self, message_id: str) -> list[Message]:
        rows = self._read(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE parent_id = ? ORDER BY id", (message_id,)
        )
        return [message_from_row(row) for row in rows]

    def siblings(self, message_id: str) -> list[Message]:
        """The message and its siblings (same parent), oldest first.

        A root has no parent; its siblings are the other roots written in its fork family
        (editing a thread's first message makes a new root)."""
        message = self.message(message_id)
        if message.parent_id is not None:
            return self.children(message.parent_id)
        ids = self._root_siblings(message_id)
        rows = self._read(
            f"SELECT {MESSAGE_COLUMNS} FROM messages WHERE id IN ({','.join('?' * len(ids))}) ORDER BY id",
            ids,
        )
        return [message_from_row(row) for row in rows]

    def _root_siblings(self, root_id: str) -> list[str]:
        rows = self._read(
            """WITH RECURSIVE up(id, forked_from) AS (
                   SELECT id, forked_from FROM threads
                   WHERE id = (SELECT thread_id FROM messages WHERE id = :root)
                   UNION ALL SELECT t.id, t.forked_from FROM threads t JOIN up ON t.id = up.forked_from),
               family(id) AS (
                   SELECT id FROM up WHERE forked_from IS NULL
                   UNION ALL SELECT t.id FROM threads t JOIN family ON t.forked_from = family.id)
               SELECT id FROM messages
               WHERE parent_id IS NULL AND (id = :root OR thread_id IN (SELECT id FROM family))
               ORDER BY id""",
            {"root": root_id},
        )
        return [row[0] for row in rows]

    def sibling_positions(
        self, message_ids: Iterable[str], *, thread_id: str | None = None
    ) -> dict[str, SiblingPosition]:
        """`‹ n/m ›` for each message, in one query (plus one per root, see `siblings`).

        With `thread_id`, only that thread's alternatives count: what other forks wrote
        below the same message is left out (see `tui.threads.lineage`)."""
        wanted = list(dict.fromkeys(message_ids))
        positions: dict[str, SiblingPosition] = {}
        for start in range(0, len(wanted), 400):
            batch = wanted[start : start + 400]
            marks = ",".join("?" * len(batch))
            scope = f"AND (m.id IN ({marks}) OR {lineage.visible('m')})" if thread_id else ""
            rows = self._read(
                f"""WITH RECURSIVE {lineage.LINEAGE}
                    SELECT id, n, total, prev, next FROM (
                        SELECT id, ROW_NUMBER() OVER w AS n, COUNT(*) OVER p AS total,
                               LAG(id) OVER w AS prev, LEAD(id) OVER w AS next
                        FROM messages m WHERE parent_id IN (
                            SELECT parent_id FROM messages WHERE id IN ({marks})) {scope}
                        WINDOW w AS (PARTITION BY parent_id ORDER BY id),
                               p AS (PARTITION BY parent_id))
                    WHERE id IN ({marks})""",
                (thread_id, *batch, *(batch if thread_id else ()), *batch),
            )
            for id_, n, total, prev, nxt in rows:
                positions[id_] = SiblingPosition(n, total, prev, nxt)
        for message_id in wanted:
            if message_id not in positions:
                roots = self._root_siblings(message_id)
                if message_id in roots:
                    n = roots.index(message_id)
                    positions[message_id] = SiblingPosition(
                        n + 1, len(roots), roots[n - 1] if n else None,
                        roots[n + 1] if n + 1 < len(roots) else None,
                    )
                else:
                    positions[message_id] = SiblingPosition(1, 1, None, None)
        return positions

    def newest_leaf(self, message_id: str, *, thread_id: str | None = None) -> str:
        """The most recently written message at the bottom of `message_id`'s subtree.

        With `thread_id`, only that thread's own messages and what it inherited are walked
        (see `tui.threads.lineage`): a fork that wrote below is not where the thread goes."""
        if thread_id is None:
            rows = self._read(
                """WITH RECURSIVE sub(id) AS (
                       SELECT ? UNION ALL SELECT m.id FROM messages m JOIN sub ON m.parent_id = sub.id)
                   SELECT sub.id FROM sub
                   WHERE NOT EXISTS (SELECT 1 FROM messages c WHERE c.parent_id = sub.id)
                   ORDER BY sub.id DESC LIMIT 1""",
                (message_id,),
            )
        else:
            rows = self._read(
                f"""WITH RECURSIVE {lineage.LINEAGE},
                   sub(id) AS (
                       SELECT ? UNION ALL SELECT m.id FROM messages m JOIN sub ON m.parent_id = sub.id
                       WHERE {lineage.visible('m')})
                   SELECT sub.id FROM sub
                   WHERE NOT EXISTS (
                       SELECT 1 FROM messages c WHERE c.parent_id = sub.id AND {lineage.visible('c')})
                   ORDER BY sub.id DESC LIMIT 1""",
                (thread_id, message_id),
            )
        if not rows:
            raise UnknownMessage(message_id)
        return rows[0][0]

    def switch_branch(self, thread_id: str, message_id: str) -> Thread:
        """Show `message_id`'s branch: the head moves to the newest leaf below it."""
        self.message(message_id)
        return self.set_head(thread_id, self.newest_leaf(message_id, thread_id=thread_id))

    def set_head(self, thread_id: str, message_id: str | None) -> Thread:
        """Point the thread at any message (rewind, redo, branch switch). Nothing is deleted."""
        with self._write() as conn:
            if message_id is not None and conn.execute(
                "SELECT 1 FROM messages WHERE id = ?", (message_id,)
            ).fetchone() is None:
                raise UnknownMessage(message_id)
            writes.head(conn, thread_id)
            writes.move_head(conn, thread_id, message_id)
        return self.thread(thread_id)

    def fork(self, thread_id: str, at: str | None = None, *, title: str | None = None) -> Thread:
        """A new thread whose head is `at` (default: the source's head). One row; no copies."""
        source = self.thread(thread_id)
        at = at or source.head_id
        if at is None:
            raise UnsafeForkPoint("the thread is empty; there is nothing to fork yet")
        problem = self.fork_point_problem(at)
        if problem:
            raise UnsafeForkPoint(f"cannot fork here: {problem}")
        fork_id = new_id()
        stamp = now()
        with self._write() as conn:
            conn.execute(
                "INSERT INTO threads (id, title, head_id, forked_from, fork_point_id, endpoint, model, "
                "kind, meta, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    fork_id, title if title is not None else f"{source.title or 'thread'} (fork)", at,
                    thread_id, at, source.endpoint, source.model, source.kind,
                    json.dumps(source.meta), stamp, stamp,
                ),
            )
        return self.thread(fork_id)

    def fork_point_problem(self, message_id: str) -> str | None:
        """Why `message_id` is not a safe fork point, or None."""
        with self._lock:
            tail = writes.turn_tail(self._conn, message_id)
        if not tail:
            raise UnknownMessage(message_id)
        return rules.fork_point_problem(tail)

    @staticmethod
    def fork_point_problems(history: Sequence[Message]) -> dict[str, str]:
        """Unsafe fork points of a history, with the reason (one pass, no queries)."""
        return rules.fork_point_problems(history)

    def edit(self, thread_id: str, message_id: str, content: str) -> Message:
        """A sibling of `message_id` with new content; the thread's head moves to it."""
        original = self.message(message_id)
        return self.append(
            thread_id, original.role, content, parent_id=original.parent_id,
            tool_call_id=original.tool_call_id,
        )

    def family(self, thread_id: str) -> list[FamilyMember]:
        """The fork tree `thread_id` belongs to, depth first, forks under their parent."""
        rows = self._read(
            """WITH RECURSIVE up(id, forked_from) AS (
                   SELECT id, forked_from FROM threads WHERE id = ?
                   UNION ALL SELECT t.id, t.forked_from FROM threads t JOIN up ON t.id = up.forked_from)
               SELECT id FROM up WHERE forked_from IS NULL""",
            (thread_id,),
        )
        if not rows:
            raise UnknownThread(thread_id)
        tree = self._read(
            """WITH RECURSIVE fam(id, level, path) AS (
                   SELECT id, 0, id FROM threads WHERE id = ?
                   UNION ALL SELECT t.id, fam.level + 1, fam.path || '/' || t.id
                   FROM threads t JOIN fam ON t.forked_from = fam.id)
               SELECT id, level FROM fam ORDER BY path""",
            (rows[0][0],),
        )
        threads = {t.id: t for t in self._threads_by_id([row[0] for row in tree])}
        return [FamilyMember(threads[id_], level) for id_, level in tree]

    def _threads_by_id(self, ids: list[str]) -> list[Thread]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        return [thread_from_row(r) for r in self._read(f"{THREAD_SELECT} WHERE t.id IN ({marks})", ids)]

    def head_state(self, thread_id: str) -> HeadState:
        """What a view compares to notice other processes' writes (see `tui.threads.changes`)."""
        with self._lock:
            return head_state(self._conn, thread_id)

    def threads_containing(self, message_id: str) -> list[str]:
        """Ids of threads whose history includes the message ("shared by N threads")."""
        return [row[0] for row in self._read(THREADS_CONTAINING, (message_id,))]

    def branch_delta(self, thread_id: str) -> list[Message]:
        """A fork's own messages: its history after the fork point (all of it for a non-fork)."""
        thread = self.thread(thread_id)
        history = self.history(thread_id)
        if thread.fork_point_id is None:
            return history
        ids = [m.id for m in history]
        if thread.fork_point_id in ids:
            return history[ids.index(thread.fork_point_id) + 1 :]
        return history

    # -- search, merge ---------------------------------------------------------------------

    def search(self, query: str, *, limit: int = 50, include_archived: bool = False) -> list[SearchHit]:
        """Finished messages matching every word of `query` (FTS5), best first."""
        from tui.threads.search import search

        with self._lock:
            return search(self._conn, query, limit=limit, include_archived=include_archived)

    def merge(
        self,
        target_thread_id: str,
        source_thread_ids: Sequence[str],
        content: str,
        *,
        kind: str = "merge",
        role: Role | str = Role.USER,
        status: Status | str = Status.COMPLETE,
        model: str | None = None,
        endpoint: str | None = None,
    ) -> Message:
        """Append one message summarising other branches, recording them as its sources.

        Idempotent: merging the same branch heads into the same target again returns the
        existing message. With `status="streaming"`, the message is an assistant reply to
        be streamed (a model-written synthesis); pass it to the replier with `message_id=`.
        """
        from tui.threads.merge import merge

        with self._write() as conn:
            message_id = merge(
                conn, self._owner, target_thread_id, source_thread_ids, content, kind=kind,
                role=Role(role), status=Status(status), model=model, endpoint=endpoint,
            )
        return self.message(message_id)

    def sources(self, message_id: str) -> list[MessageSource]:
        rows = self._read(
            "SELECT message_id, target_thread_id, source_thread_id, source_head_id, kind "
            "FROM message_sources WHERE message_id = ? ORDER BY rowid",
            (message_id,),
        )
        return [MessageSource(*row) for row in rows]

    def merged_message_ids(self, message_ids: Iterable[str]) -> set[str]:
        """Which of these messages are merge/reduce messages (to mark them in a chat)."""
        ids = list(message_ids)
        found: set[str] = set()
        for start in range(0, len(ids), 900):
            batch = ids[start : start + 900]
            marks = ",".join("?" * len(batch))
            found.update(
                row[0] for row in self._read(
                    f"SELECT DISTINCT message_id FROM message_sources WHERE message_id IN ({marks})", batch
                )
            )
        return found

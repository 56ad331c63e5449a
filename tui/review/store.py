"""The review store: every round and comment, in one SQLite file in the data folder.

Usage (plain Python, safe from any thread and from several processes)::

    store = ReviewStore()                                    # data_dir()/reviews.sqlite
    draft = store.draft(repo, Target.document(".loupe/tasks/x/05-plan.md"))
    store.add_comment(draft.id, path=draft.target.path, anchor=anchor, body="Split this step")
    stamp = store.stamp()                                    # later: store.stamp() != stamp?
    store.close()

Rounds and comments are plain rows; deciding where comments are now (`tracking`) and
sending rounds (`delivery`) live in their own modules. `stamp()` changes with every write
by any process, which is what the app polls to know when to look again.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from tui import locations
from tui.review import schema
from tui.review.errors import NoSuchComment, NoSuchRound, ReviewError, RoundNotDraft
from tui.review.model import (
    Anchor,
    Comment,
    Destination,
    Kind,
    Resolution,
    Round,
    RoundState,
    Scope,
    Side,
    Target,
    TargetKind,
    Verdict,
)

DEFAULT_BUSY_TIMEOUT_MS = 10_000

_ROUND_COLUMNS = (
    "id, repo, target_kind, target_path, target_session, state, verdict, destination, to_session, "
    "to_thread, when_idle, queue_id, message, error, created_at, submitted_at, delivered_at"
)
_COMMENT_COLUMNS = (
    "id, round_id, kind, path, side, hunk, scope, quote, before, after, first_line, last_line, "
    "char_offset, doc_hash, doc_lines, question, body, created_at, sent_hash, resolved_at, "
    "resolved_by, resolution_note"
)


def default_path() -> Path:
    return locations.data_dir() / "reviews.sqlite"


class ReviewStore:
    def __init__(self, path: Path | None = None, *, busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS) -> None:
        self.path = Path(path) if path is not None else default_path()
        self._lock = threading.RLock()
        self._sqlite = schema.connect(self.path, busy_timeout_ms=busy_timeout_ms)
        self._closed = False

    # -- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._sqlite.close()

    def __enter__(self) -> ReviewStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            raise ReviewError(f"the review store {self.path} is closed")
        return self._sqlite

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                with schema.transaction(self._conn) as conn:
                    yield conn
            except sqlite3.OperationalError as exc:
                raise ReviewError(f"cannot write the review store {self.path}: {exc}") from exc

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._conn.execute(sql, params).fetchall()
            except sqlite3.OperationalError as exc:
                raise ReviewError(f"cannot read the review store {self.path}: {exc}") from exc

    def stamp(self) -> int:
        """A number that changes whenever anything in the store does (any process)."""
        return int(self._read("SELECT stamp FROM changes WHERE id = 1")[0][0])

    # -- rounds ----------------------------------------------------------------------------

    def draft(self, repo: Path, target: Target) -> Round:
        """The target's draft round, created if there is none (one per target, ever)."""
        key = (str(repo.resolve()), target.kind.value, target.path, target.session_id or "")
        with self._write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO rounds (repo, target_kind, target_path, target_session, created_at) "
                "VALUES (?, ?, ?, ?, ?)", (*key, time.time()),
            )
            row = conn.execute(
                f"SELECT {_ROUND_COLUMNS} FROM rounds WHERE repo = ? AND target_kind = ? "
                "AND target_path = ? AND target_session = ? AND state = 'draft'", key,
            ).fetchone()
        return _round(row)

    def find_draft(self, repo: Path, target: Target) -> Round | None:
        rows = self._read(
            f"SELECT {_ROUND_COLUMNS} FROM rounds WHERE repo = ? AND target_kind = ? "
            "AND target_path = ? AND target_session = ? AND state = 'draft'",
            (str(repo.resolve()), target.kind.value, target.path, target.session_id or ""),
        )
        return _round(rows[0]) if rows else None

    def round(self, round_id: int) -> Round:
        rows = self._read(f"SELECT {_ROUND_COLUMNS} FROM rounds WHERE id = ?", (round_id,))
        if not rows:
            raise NoSuchRound(f"no review round {round_id}; `loupe review list` shows them")
        return _round(rows[0])

    def rounds(
        self,
        repo: Path | None = None,
        *,
        path: str | None = None,
        session_id: str | None = None,
        to_session: str | None = None,
        states: Iterable[RoundState] | None = None,
    ) -> list[Round]:
        """Rounds, oldest first. `session_id` picks diff rounds of that session;
        `to_session` the rounds sent to it."""
        clauses, params = ["1 = 1"], []
        for column, value in (("repo", str(repo.resolve()) if repo else None), ("target_path", path),
                              ("target_session", session_id), ("to_session", to_session)):
            if value is not None:
                clauses.append(f"{column} = ?")
                params.append(value)
        if states is not None:
            wanted = [RoundState(s).value for s in states]
            clauses.append(f"state IN ({', '.join('?' for _ in wanted)})")
            params.extend(wanted)
        sql = f"SELECT {_ROUND_COLUMNS} FROM rounds WHERE {' AND '.join(clauses)} ORDER BY id"
        return [_round(row) for row in self._read(sql, params)]

    def discard(self, round_id: int) -> None:
        """Delete a draft and its comments."""
        with self._write() as conn:
            self._draft_in(conn, round_id)
            conn.execute("DELETE FROM rounds WHERE id = ?", (round_id,))

    def mark_submitted(
        self,
        round_id: int,
        *,
        verdict: Verdict,
        destination: Destination,
        message: str,
        sent: dict[int, tuple[Anchor, str | None]],
        to_session: str | None = None,
        to_thread: str | None = None,
        when_idle: bool = False,
    ) -> Round:
        """Fix a draft's message and, per comment id, the anchor it was sent with and the
        hash of the text it covered then (None: orphaned when sent)."""
        with self._write() as conn:
            self._draft_in(conn, round_id)
            for comment_id, (anchor, sent_hash) in sent.items():
                conn.execute(
                    "UPDATE comments SET quote = ?, before = ?, after = ?, first_line = ?, last_line = ?, "
                    "char_offset = ?, doc_hash = ?, doc_lines = ?, sent_hash = ? WHERE id = ? AND round_id = ?",
                    (anchor.quote, anchor.before, anchor.after, anchor.first_line, anchor.last_line,
                     anchor.offset, anchor.doc_hash, anchor.doc_lines, sent_hash, comment_id, round_id),
                )
            conn.execute(
                "UPDATE rounds SET state = 'submitted', verdict = ?, destination = ?, message = ?, "
                "to_session = ?, to_thread = ?, when_idle = ?, submitted_at = ?, error = '' WHERE id = ?",
                (verdict.value, destination.value, message, to_session, to_thread, int(when_idle),
                 time.time(), round_id),
            )
        return self.round(round_id)

    def mark_sent(self, round_id: int, *, to_session: str | None = None, to_thread: str | None = None,
                  queue_id: int | None = None, delivered: bool, when_idle: bool = False) -> Round:
        """Record where a submitted round went: delivered, or waiting in a session's queue."""
        with self._write() as conn:
            conn.execute(
                "UPDATE rounds SET state = ?, to_session = COALESCE(?, to_session), "
                "to_thread = COALESCE(?, to_thread), queue_id = ?, when_idle = ?, error = '', "
                "delivered_at = ? WHERE id = ? AND state != 'draft'",
                ("delivered" if delivered else "submitted", to_session, to_thread, queue_id,
                 int(when_idle), time.time() if delivered else None, round_id),
            )
        return self.round(round_id)

    def set_message(self, round_id: int, message: str) -> Round:
        """Replace a submitted round's message (sent again to a reader with other paths)."""
        with self._write() as conn:
            conn.execute("UPDATE rounds SET message = ? WHERE id = ? AND state != 'draft'", (message, round_id))
        return self.round(round_id)

    def mark_undelivered(self, round_id: int, error: str) -> Round:
        with self._write() as conn:
            conn.execute(
                "UPDATE rounds SET state = 'undelivered', error = ?, queue_id = NULL "
                "WHERE id = ? AND state != 'draft'", (error, round_id),
            )
        return self.round(round_id)

    def _draft_in(self, conn: sqlite3.Connection, round_id: int) -> None:
        row = conn.execute("SELECT state FROM rounds WHERE id = ?", (round_id,)).fetchone()
        if row is None:
            raise NoSuchRound(f"no review round {round_id}; `loupe review list` shows them")
        if row[0] != RoundState.DRAFT.value:
            raise RoundNotDraft(
                f"round {round_id} was already submitted; comments go into a new draft round instead"
            )

    # -- comments --------------------------------------------------------------------------

    def add_comment(
        self,
        round_id: int,
        *,
        path: str,
        anchor: Anchor,
        body: str,
        kind: Kind = Kind.NOTE,
        side: Side | None = None,
        hunk: str | None = None,
        question: str = "",
    ) -> Comment:
        if not body.strip():
            raise ReviewError("a comment needs some text")
        with self._write() as conn:
            self._draft_in(conn, round_id)
            cursor = conn.execute(
                "INSERT INTO comments (round_id, kind, path, side, hunk, scope, quote, before, after, "
                "first_line, last_line, char_offset, doc_hash, doc_lines, question, body, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (round_id, Kind(kind).value, path, side.value if side else None, hunk, anchor.scope.value,
                 anchor.quote, anchor.before, anchor.after, anchor.first_line, anchor.last_line,
                 anchor.offset, anchor.doc_hash, anchor.doc_lines, question, body, time.time()),
            )
            comment_id = int(cursor.lastrowid or 0)
        return self.comment(comment_id)

    def comment(self, comment_id: int) -> Comment:
        rows = self._read(f"SELECT {_COMMENT_COLUMNS} FROM comments WHERE id = ?", (comment_id,))
        if not rows:
            raise NoSuchComment(f"no review comment {comment_id}; `loupe review list` shows them")
        return _comment(rows[0])

    def comments(self, round_ids: Iterable[int] | None = None, *, repo: Path | None = None,
                 path: str | None = None) -> list[Comment]:
        """Comments of some rounds, or of every round on `path` in `repo`; oldest first."""
        if round_ids is not None:
            ids = list(round_ids)
            if not ids:
                return []
            sql = (f"SELECT {_COMMENT_COLUMNS} FROM comments WHERE round_id IN "
                   f"({', '.join('?' for _ in ids)}) ORDER BY id")
            return [_comment(row) for row in self._read(sql, ids)]
        clauses, params = ["1 = 1"], []
        if repo is not None:
            clauses.append("round_id IN (SELECT id FROM rounds WHERE repo = ?)")
            params.append(str(repo.resolve()))
        if path is not None:
            clauses.append("path = ?")
            params.append(path)
        sql = f"SELECT {_COMMENT_COLUMNS} FROM comments WHERE {' AND '.join(clauses)} ORDER BY id"
        return [_comment(row) for row in self._read(sql, params)]

    def edit_comment(self, comment_id: int, body: str) -> Comment:
        if not body.strip():
            raise ReviewError("a comment needs some text; delete it instead")
        with self._write() as conn:
            self._comment_in_draft(conn, comment_id)
            conn.execute("UPDATE comments SET body = ? WHERE id = ?", (body, comment_id))
        return self.comment(comment_id)

    def delete_comment(self, comment_id: int) -> None:
        with self._write() as conn:
            self._comment_in_draft(conn, comment_id)
            conn.execute("DELETE FROM comments WHERE id = ?", (comment_id,))

    def resolve(self, comment_id: int, *, by: str, note: str = "") -> Comment:
        """Mark a sent comment handled (again: the newer note wins)."""
        with self._write() as conn:
            round_id = self._round_of(conn, comment_id)
            state = conn.execute("SELECT state FROM rounds WHERE id = ?", (round_id,)).fetchone()[0]
            if state == RoundState.DRAFT.value:
                raise RoundNotDraft(
                    f"comment {comment_id} is in a draft round that was never sent; nothing to resolve yet"
                )
            conn.execute(
                "UPDATE comments SET resolved_at = ?, resolved_by = ?, resolution_note = ? WHERE id = ?",
                (time.time(), by, note, comment_id),
            )
        return self.comment(comment_id)

    def resolved_since(self, since: float, repo: Path | None = None) -> list[Comment]:
        """Comments resolved after `since` (seconds since the epoch), oldest resolution first:
        what the app tells you about when an agent runs `loupe review resolve`."""
        sql = f"SELECT {_COMMENT_COLUMNS} FROM comments WHERE resolved_at > ?"
        params: list[Any] = [since]
        if repo is not None:
            sql += " AND round_id IN (SELECT id FROM rounds WHERE repo = ?)"
            params.append(str(repo.resolve()))
        return [_comment(row) for row in self._read(sql + " ORDER BY resolved_at, id", params)]

    def unresolve(self, comment_id: int) -> Comment:
        with self._write() as conn:
            self._round_of(conn, comment_id)
            conn.execute("UPDATE comments SET resolved_at = NULL, resolved_by = NULL, "
                         "resolution_note = NULL WHERE id = ?", (comment_id,))
        return self.comment(comment_id)

    def _comment_in_draft(self, conn: sqlite3.Connection, comment_id: int) -> None:
        round_id = self._round_of(conn, comment_id)
        state = conn.execute("SELECT state FROM rounds WHERE id = ?", (round_id,)).fetchone()[0]
        if state != RoundState.DRAFT.value:
            raise RoundNotDraft.for_comment(comment_id, round_id, state)

    def _round_of(self, conn: sqlite3.Connection, comment_id: int) -> int:
        row = conn.execute("SELECT round_id FROM comments WHERE id = ?", (comment_id,)).fetchone()
        if row is None:
            raise NoSuchComment(f"no review comment {comment_id}; `loupe review list` shows them")
        return int(row[0])

    # -- diff hunks viewed -----------------------------------------------------------------

    def mark_viewed(self, session_id: str, hunks: Iterable[str]) -> None:
        now = time.time()
        rows = [(session_id, key, now) for key in hunks]
        if not rows:
            return
        with self._write() as conn:
            conn.executemany("INSERT OR REPLACE INTO viewed_hunks (session_id, hunk, viewed_at) "
                             "VALUES (?, ?, ?)", rows)

    def viewed(self, session_id: str) -> set[str]:
        rows = self._read("SELECT hunk FROM viewed_hunks WHERE session_id = ?", (session_id,))
        return {row[0] for row in rows}

    def forget_viewed(self, session_id: str) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM viewed_hunks WHERE session_id = ?", (session_id,))


def _round(row: tuple) -> Round:
    (round_id, repo, target_kind, target_path, target_session, state, verdict, destination, to_session,
     to_thread, when_idle, queue_id, message, error, created_at, submitted_at, delivered_at) = row
    return Round(
        id=round_id, repo=Path(repo),
        target=Target(TargetKind(target_kind), target_path, target_session or None),
        state=RoundState(state), created_at=created_at,
        verdict=Verdict(verdict) if verdict else None,
        destination=Destination(destination) if destination else None,
        to_session=to_session, to_thread=to_thread, when_idle=bool(when_idle), queue_id=queue_id,
        message=message, error=error, submitted_at=submitted_at, delivered_at=delivered_at,
    )


def _comment(row: tuple) -> Comment:
    (comment_id, round_id, kind, path, side, hunk, scope, quote, before, after, first_line, last_line,
     offset, doc_hash, doc_lines, question, body, created_at, sent_hash, resolved_at, resolved_by,
     note) = row
    anchor = Anchor(quote, before, after, first_line, last_line, offset, doc_hash, doc_lines, Scope(scope))
    resolution = Resolution(resolved_by or "", note or "", resolved_at) if resolved_at is not None else None
    return Comment(
        id=comment_id, round_id=round_id, kind=Kind(kind), path=path, anchor=anchor, body=body,
        created_at=created_at, side=Side(side) if side else None, hunk=hunk, question=question,
        sent_hash=sent_hash, resolution=resolution,
    )

"""Stores opened by several loupes at the same moment: the first switch to WAL mode.

SQLite answers "database is locked" at once, without waiting out the busy timeout, when a
fresh file changes journal mode while another connection holds its write lock. The lock
is held here by a plain connection and let go at the store's first pause, so each test is
exact: the old code failed on the first try; the store now waits and opens.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tui import sqlite_wal
from tui.review.store import ReviewStore
from tui.sessions.store import SessionStore
from tui.threads.errors import StoreError
from tui.threads.store import ThreadStore


class HeldWriteLock:
    """Another loupe in the middle of creating the same fresh store."""

    def __init__(self, path: Path) -> None:
        path.touch(mode=0o600)
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("BEGIN IMMEDIATE")
        self.pauses = 0

    def release(self, _seconds: float) -> None:
        self.pauses += 1
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def held(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[str], HeldWriteLock]]:
    locks: list[HeldWriteLock] = []

    def hold(name: str) -> HeldWriteLock:
        lock = HeldWriteLock(tmp_path / name)
        monkeypatch.setattr(sqlite_wal, "_pause", lock.release)
        locks.append(lock)
        return lock

    yield hold
    for lock in locks:
        lock.close()


def test_the_session_store_waits_for_another_loupe_creating_it(tmp_path: Path, held) -> None:
    lock = held("sessions.sqlite")
    store = SessionStore(tmp_path / "sessions.sqlite")
    assert lock.pauses >= 1
    with store.connection() as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.list() == []


def test_the_thread_store_waits_for_another_loupe_creating_it(tmp_path: Path, held) -> None:
    lock = held("threads.sqlite")
    store = ThreadStore(tmp_path / "threads.sqlite")
    try:
        assert lock.pauses >= 1
        assert store.list_threads() == []
    finally:
        store.close()


def test_the_review_store_waits_for_another_loupe_creating_it(tmp_path: Path, held) -> None:
    lock = held("reviews.sqlite")
    store = ReviewStore(tmp_path / "reviews.sqlite")
    try:
        assert lock.pauses >= 1
    finally:
        store.close()


def test_a_store_locked_past_its_busy_timeout_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "threads.sqlite"
    path.touch(mode=0o600)
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    now = [0.0]

    def pause(seconds: float) -> None:  # the clock moves only when the store waits
        now[0] += seconds

    monkeypatch.setattr(sqlite_wal, "_clock", lambda: now[0])
    monkeypatch.setattr(sqlite_wal, "_pause", pause)
    try:
        with pytest.raises(StoreError) as raised:
            ThreadStore(path, busy_timeout_ms=200)
    finally:
        other.close()
    message = str(raised.value)
    assert "locked" in message and "move it aside" not in message
    assert now[0] >= 0.2

"""SQLite storage. One file, WAL mode, safe for several worker processes on one machine."""

from __future__ import annotations

import json
import sqlite3
import threading
from typing import Any

from quarry.job import Job, JobState

SCHEMA = """
CREATE TABLE IF NOT EXISTS jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    task         TEXT    NOT NULL,
    payload      TEXT    NOT NULL,
    state        TEXT    NOT NULL DEFAULT 'queued',
    attempts     INTEGER NOT NULL DEFAULT 0,
    enqueued_at  REAL    NOT NULL,
    run_after    REAL    NOT NULL DEFAULT 0,
    started_at   REAL,
    finished_at  REAL,
    worker_id    TEXT,
    heartbeat_at REAL,
    last_error   TEXT
);
CREATE INDEX IF NOT EXISTS jobs_runnable ON jobs (state, run_after, id);
"""


class SQLiteBackend:
    def __init__(self, path: str) -> None:
        self.path = path
        self._local = threading.local()
        with self._connect() as db:
            db.executescript(SCHEMA)

    def _connect(self) -> sqlite3.Connection:
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA busy_timeout=30000")
            self._local.db = db
        return db

    def insert(self, task: str, payload: dict[str, Any], *, enqueued_at: float, run_after: float) -> Job:
        db = self._connect()
        cursor = db.execute(
            "INSERT INTO jobs (task, payload, enqueued_at, run_after) VALUES (?, ?, ?, ?)",
            (task, json.dumps(payload), enqueued_at, run_after),
        )
        job = self.get(cursor.lastrowid or 0)
        assert job is not None
        return job

    def get(self, job_id: int) -> Job | None:
        row = self._connect().execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        return Job.from_row(dict(row)) if row else None

    def claim(self, worker_id: str, now: float) -> Job | None:
        # One statement, so two workers can never claim the same row: SQLite takes the
        # write lock for the whole UPDATE, and the subquery runs under it.
        row = self._connect().execute(
            """
            UPDATE jobs
               SET state = 'running', attempts = attempts + 1, started_at = ?,
                   worker_id = ?, heartbeat_at = ?
             WHERE id = (
                   SELECT id FROM jobs
                    WHERE state = 'queued' AND run_after <= ?
                    ORDER BY run_after, id
                    LIMIT 1)
            RETURNING *
            """,
            (now, worker_id, now, now),
        ).fetchone()
        return Job.from_row(dict(row)) if row else None

    def mark_succeeded(self, job_id: int, now: float) -> None:
        self._connect().execute(
            "UPDATE jobs SET state = 'succeeded', finished_at = ?, last_error = NULL WHERE id = ?",
            (now, job_id),
        )

    def mark_failed(self, job_id: int, now: float, error: str) -> None:
        self._connect().execute(
            "UPDATE jobs SET state = 'failed', finished_at = ?, last_error = ? WHERE id = ?",
            (now, error, job_id),
        )

    def heartbeat(self, job_id: int, now: float) -> None:
        self._connect().execute("UPDATE jobs SET heartbeat_at = ? WHERE id = ?", (now, job_id))

    def requeue_stale(self, older_than: float) -> int:
        cursor = self._connect().execute(
            """
            UPDATE jobs SET state = 'queued', worker_id = NULL
             WHERE state = 'running' AND heartbeat_at < ?
            """,
            (older_than,),
        )
        return cursor.rowcount

    def counts(self) -> dict[JobState, int]:
        rows = self._connect().execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall()
        found = {JobState(state): count for state, count in rows}
        return {state: found.get(state, 0) for state in JobState}

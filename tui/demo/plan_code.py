"""Code excerpts quoted in the demo plan: the changes it proposes to the quarry project."""

RETRY_MODULE = '''\
"""When and how long to wait before running a failed job again."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


class Jitter:
    NONE = "none"
    FULL = "full"
    EQUAL = "equal"


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 8
    base: float = 2.0
    cap: float = 600.0
    jitter: str = Jitter.FULL
    give_up_on: tuple[type[BaseException], ...] = field(default=())

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1 (1 means: never retry)")
        if self.base <= 0 or self.cap < self.base:
            raise ValueError("need 0 < base <= cap")
        if self.jitter not in (Jitter.NONE, Jitter.FULL, Jitter.EQUAL):
            raise ValueError(f"unknown jitter {self.jitter!r}")

    def ceiling(self, attempt: int) -> float:
        """The exponential delay before jitter: base * 2^(attempt-1), capped."""
        # Cap the exponent first: 2.0 ** 2000 overflows a float.
        exponent = min(attempt - 1, 64)
        return min(self.cap, self.base * (2.0**exponent))

    def delay_for(self, attempt: int, rng: random.Random | None = None) -> float:
        rng = rng or random.Random()
        ceiling = self.ceiling(attempt)
        if self.jitter == Jitter.FULL:
            return rng.uniform(0, ceiling)
        if self.jitter == Jitter.EQUAL:
            return ceiling / 2 + rng.uniform(0, ceiling / 2)
        return ceiling

    def should_retry(self, attempt: int, exc: BaseException) -> bool:
        if attempt >= self.max_attempts:
            return False
        return not isinstance(exc, self.give_up_on)


NO_RETRY = RetryPolicy(max_attempts=1)
'''

MIGRATIONS_MODULE = '''\
"""Schema versions for the SQLite backend, tracked with PRAGMA user_version."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

Migration = Callable[[sqlite3.Connection], None]


def _add_retry_columns(db: sqlite3.Connection) -> None:
    db.execute("ALTER TABLE jobs ADD COLUMN max_attempts INTEGER NOT NULL DEFAULT 1")
    db.execute("ALTER TABLE jobs ADD COLUMN dead_at REAL")
    db.execute(
        """
        CREATE TABLE job_attempts (
            job_id      INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
            attempt     INTEGER NOT NULL,
            worker_id   TEXT    NOT NULL,
            started_at  REAL    NOT NULL,
            finished_at REAL    NOT NULL,
            error       TEXT,
            PRIMARY KEY (job_id, attempt)
        )
        """
    )


MIGRATIONS: list[Migration] = [_add_retry_columns]


class SchemaTooNew(RuntimeError):
    pass


def migrate(db: sqlite3.Connection) -> int:
    """Apply pending migrations in one transaction; returns the new version."""
    current = db.execute("PRAGMA user_version").fetchone()[0]
    if current > len(MIGRATIONS):
        raise SchemaTooNew(
            f"database schema is version {current}, this quarry knows {len(MIGRATIONS)}; "
            "upgrade quarry on this machine"
        )
    if current == len(MIGRATIONS):
        return current
    db.execute("BEGIN IMMEDIATE")
    try:
        for migration in MIGRATIONS[current:]:
            migration(db)
        db.execute(f"PRAGMA user_version = {len(MIGRATIONS)}")
        db.execute("COMMIT")
    except BaseException:
        db.execute("ROLLBACK")
        raise
    return len(MIGRATIONS)
'''

BACKEND_METHODS = '''\
    def schedule_retry(self, job_id: int, run_after: float, error: str) -> None:
        self._connect().execute(
            """
            UPDATE jobs SET state = 'queued', run_after = ?, last_error = ?,
                            worker_id = NULL, heartbeat_at = NULL
             WHERE id = ? AND state = 'running'
            """,
            (run_after, error, job_id),
        )

    def mark_dead(self, job_id: int, now: float, error: str) -> None:
        self._connect().execute(
            """
            UPDATE jobs SET state = 'dead', finished_at = ?, dead_at = ?, last_error = ?
             WHERE id = ? AND state = 'running'
            """,
            (now, now, error, job_id),
        )

    def record_attempt(self, job: Job, finished_at: float, error: str | None) -> None:
        self._connect().execute(
            "INSERT OR REPLACE INTO job_attempts VALUES (?, ?, ?, ?, ?, ?)",
            (job.id, job.attempts, job.worker_id, job.started_at, finished_at, error),
        )
'''

WORKER_EXECUTE = '''\
    def _execute(self, job: Job) -> None:
        beating = threading.Event()
        heart = threading.Thread(target=self._heartbeat, args=(job.id, beating), daemon=True)
        heart.start()
        try:
            func = self.queue.registry.get(job.task)
            func(**job.payload)
        except Exception as exc:
            self._handle_failure(job, exc)
        else:
            now = time.time()
            self.queue.backend.record_attempt(job, now, None)
            self.queue.backend.mark_succeeded(job.id, now)
        finally:
            beating.set()
            heart.join()

    def _handle_failure(self, job: Job, exc: Exception) -> None:
        now = time.time()
        error = "".join(traceback.format_exception(exc))
        self.queue.backend.record_attempt(job, now, error)
        policy = self.queue.registry.policy(job.task)
        retryable = not isinstance(exc, UnknownTask) and policy.should_retry(job.attempts, exc)
        if retryable:
            delay = policy.delay_for(job.attempts, self._rng)
            log.warning(
                "job %d (%s) failed on attempt %d/%d, retrying in %.1fs: %s",
                job.id, job.task, job.attempts, policy.max_attempts, delay, exc,
            )
            self.queue.backend.schedule_retry(job.id, now + delay, error)
        else:
            log.error("job %d (%s) is dead after %d attempt(s): %s", job.id, job.task, job.attempts, exc)
            self.queue.backend.mark_dead(job.id, now, error)
'''

REGISTRY_POLICY = '''\
class Registry:
    def __init__(self) -> None:
        self._tasks: dict[str, TaskFunc] = {}
        self._policies: dict[str, RetryPolicy] = {}

    def register(self, name: str, func: TaskFunc, policy: RetryPolicy | None = None) -> TaskFunc:
        if name in self._tasks and self._tasks[name] is not func:
            raise ValueError(f"task {name!r} is already registered to {self._tasks[name]!r}")
        self._tasks[name] = func
        if policy is None:
            warnings.warn(
                f"task {name!r} has no retry policy; it will not be retried. "
                "Pass retry=RetryPolicy(...) or retry=NO_RETRY to silence this (default changes in 0.6).",
                DeprecationWarning,
                stacklevel=3,
            )
        self._policies[name] = policy or NO_RETRY
        return func

    def policy(self, name: str) -> RetryPolicy:
        return self._policies.get(name, NO_RETRY)
'''

CLOCK_MODULE = '''\
"""The one place quarry reads the time, so tests can move it without sleeping."""

from __future__ import annotations

import time
from collections.abc import Callable

_now: Callable[[], float] = time.time


def now() -> float:
    return _now()


def set_clock(func: Callable[[], float]) -> Callable[[], float]:
    """Replace the clock; returns the previous one so callers can restore it."""
    global _now
    previous, _now = _now, func
    return previous


class ManualClock:
    """A clock that only moves when told to. Used by the test suite and the drill script."""

    def __init__(self, start: float = 1_700_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time only moves forward")
        self.now += seconds
'''

"""The phases of the demo's implementation plan, as data the plan renderer turns into markdown.

Each phase has hand-written changes (file, why, code) and test cases from which the renderer
writes the test code, so the plan reads like one an agent would write for the demo project.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Change:
    path: str
    summary: str
    notes: tuple[str, ...]
    language: str
    code: str


@dataclass(frozen=True)
class Case:
    name: str
    given: str
    expect: str
    body: str


@dataclass(frozen=True)
class Phase:
    title: str
    overview: str
    changes: tuple[Change, ...]
    test_file: str
    cases: tuple[Case, ...]
    automated: tuple[str, ...]
    manual: tuple[str, ...]
    risks: tuple[tuple[str, str], ...] = field(default=())
    # What a user of quarry notices once the phase is deployed.
    behaviour: str = "none"


def _c(name: str, given: str, expect: str, *body: str) -> Case:
    return Case(name, given, expect, "\n".join(body))


PHASES: tuple[Phase, ...] = (
    Phase(
        title="A clock the tests can move",
        overview=(
            "Retries are about time: a test that waits for a 2-second backoff with `time.sleep` is "
            "slow, and one that waits for 10 minutes cannot exist. Every read of the time goes "
            "through `quarry.clock.now()`, which tests replace with a `ManualClock`."
        ),
        changes=(
            Change(
                "quarry/clock.py",
                "New module: `now()`, `set_clock()` and `ManualClock`.",
                (
                    "A module-level function rather than an injected object: the backend, worker and queue all need it, and threading a clock through every constructor would change the public API.",
                    "`ManualClock.advance` refuses negative values; time going backwards hides ordering bugs.",
                ),
                "python",
                "@CLOCK_MODULE",
            ),
            Change(
                "quarry/worker.py",
                "Replace every `time.time()` with `clock.now()`.",
                ("Eleven call sites in `worker.py`, `queue.py` and `backends/sqlite.py`; `grep -n 'time.time()' quarry/` must print nothing afterwards.",),
                "diff",
                "-import time\n+from quarry import clock\n@@ def run(self) -> None:\n-            requeued = self.queue.backend.requeue_stale(time.time() - STALE_AFTER)\n+            requeued = self.queue.backend.requeue_stale(clock.now() - STALE_AFTER)\n@@ def run_once(self) -> bool:\n-        job = self.queue.backend.claim(self.worker_id, time.time())\n+        job = self.queue.backend.claim(self.worker_id, clock.now())\n@@ def _heartbeat(self, job_id: int, done: threading.Event) -> None:\n-            self.queue.backend.heartbeat(job_id, time.time())\n+            self.queue.backend.heartbeat(job_id, clock.now())",
            ),
        ),
        test_file="tests/test_clock.py",
        cases=(
            _c("default_clock_is_wall_time", "no override", "close to time.time()",
               "assert abs(clock_module.now() - time.time()) < 5"),
            _c("manual_clock_is_used", "ManualClock installed", "now() returns its value",
               "assert clock_module.now() == clock.now"),
            _c("advance_moves_forward", "advance(30)", "now + 30",
               "before = clock_module.now()",
               "clock.advance(30)",
               "assert clock_module.now() == before + 30"),
            _c("advance_refuses_negative", "advance(-1)", "ValueError",
               "with pytest.raises(ValueError, match='forward'):",
               "    clock.advance(-1)"),
            _c("set_clock_returns_previous", "two swaps", "original restored",
               "previous = set_clock(lambda: 1.0)",
               "assert set_clock(previous)() == 1.0"),
            _c("no_direct_time_calls", "source tree", "no time.time() outside clock.py",
               "offenders = [p for p in Path('quarry').rglob('*.py') if 'time.time()' in p.read_text() and p.name != 'clock.py']",
               "assert offenders == []"),
        ),
        automated=(
            "`pytest tests/test_clock.py` passes",
            "`grep -rn 'time.time()' quarry/ | grep -v clock.py` prints nothing",
        ),
        manual=(
            "None: no behaviour change.",
        ),
    ),
    Phase(
        title="Retry policy",
        overview=(
            "A pure module that answers two questions: should this failure be retried, and how "
            "long to wait. No I/O, so it is tested exhaustively with a seeded random generator "
            "before anything else depends on it."
        ),
        changes=(
            Change(
                "quarry/retry.py",
                "New module with `RetryPolicy`, `Jitter` and `NO_RETRY`.",
                (
                    "Frozen dataclass: a policy is shared by every job of a task.",
                    "Validation in `__post_init__` so a bad policy fails at import time, not in a worker at 3 am.",
                    "The exponent is capped before `2.0 ** n` so attempt 2,000 cannot overflow.",
                    "`delay_for` takes an optional `random.Random` so tests are deterministic.",
                ),
                "python",
                "@RETRY_MODULE",
            ),
            Change(
                "quarry/__init__.py",
                "Export the new names.",
                ("`RetryPolicy` and `NO_RETRY` are part of the public API from 0.5.",),
                "python",
                'from quarry.retry import NO_RETRY, Jitter, RetryPolicy\n\n__all__ = ["Job", "JobState", "Jitter", "NO_RETRY", "Queue", "RetryPolicy", "Worker"]',
            ),
        ),
        test_file="tests/test_retry.py",
        cases=(
            _c("ceiling_doubles", "base 2, cap 600", "2, 4, 8, 16 for attempts 1-4",
               "policy = RetryPolicy(base=2, cap=600)",
               "assert [policy.ceiling(n) for n in range(1, 5)] == [2, 4, 8, 16]"),
            _c("ceiling_is_capped", "base 2, cap 600, attempt 20", "600",
               "policy = RetryPolicy(base=2, cap=600)",
               "assert policy.ceiling(20) == 600"),
            _c("huge_attempt_does_not_overflow", "attempt 5000", "cap, no OverflowError",
               "policy = RetryPolicy(base=2, cap=600)",
               "assert policy.ceiling(5000) == 600"),
            _c("full_jitter_within_bounds", "seeded rng, 1000 draws", "0 <= delay <= ceiling",
               "policy = RetryPolicy(base=2, cap=600, jitter=Jitter.FULL)",
               "rng = random.Random(7)",
               "for attempt in range(1, 12):",
               "    for _ in range(1000):",
               "        assert 0 <= policy.delay_for(attempt, rng) <= policy.ceiling(attempt)"),
            _c("equal_jitter_lower_half", "equal jitter", "delay >= ceiling / 2",
               "policy = RetryPolicy(jitter=Jitter.EQUAL)",
               "rng = random.Random(3)",
               "assert all(policy.delay_for(4, rng) >= policy.ceiling(4) / 2 for _ in range(500))"),
            _c("no_jitter_is_exact", "jitter none", "delay == ceiling",
               "policy = RetryPolicy(jitter=Jitter.NONE)",
               "assert policy.delay_for(3) == policy.ceiling(3) == 8"),
            _c("should_retry_until_limit", "max_attempts 3", "True, True, False",
               "policy = RetryPolicy(max_attempts=3)",
               "assert [policy.should_retry(n, OSError()) for n in (1, 2, 3)] == [True, True, False]"),
            _c("give_up_on_matches_subclasses", "give_up_on=(ValueError,)", "UnicodeError is not retried",
               "policy = RetryPolicy(give_up_on=(ValueError,))",
               "assert not policy.should_retry(1, UnicodeError())"),
            _c("no_retry_policy", "NO_RETRY", "never retries",
               "assert not NO_RETRY.should_retry(1, OSError())"),
            _c("rejects_zero_attempts", "max_attempts 0", "ValueError",
               "with pytest.raises(ValueError, match='at least 1'):",
               "    RetryPolicy(max_attempts=0)"),
            _c("rejects_cap_below_base", "base 10, cap 5", "ValueError",
               "with pytest.raises(ValueError, match='base <= cap'):",
               "    RetryPolicy(base=10, cap=5)"),
            _c("rejects_unknown_jitter", "jitter 'fancy'", "ValueError",
               "with pytest.raises(ValueError, match='unknown jitter'):",
               "    RetryPolicy(jitter='fancy')"),
        ),
        automated=(
            "`pytest tests/test_retry.py` passes",
            "`python -c 'import quarry; quarry.RetryPolicy()'` works",
            "`ruff check quarry/retry.py` is clean",
            "`mypy --strict quarry/retry.py` is clean",
        ),
        manual=(
            "Read the default schedule in Appendix A and check it with Priya",
        ),
        risks=(
            ("Jitter hides a bug in the exponent", "the `ceiling` tests check the exact values without jitter"),
        ),
    ),
    Phase(
        title="Schema versioning and migration 1",
        overview=(
            "Today the schema is created with `CREATE TABLE IF NOT EXISTS` on every start, with no "
            "version. This phase adds `PRAGMA user_version` migrations and the first migration: the "
            "columns and table retries need. Old workers keep working on the migrated schema, "
            "because every new column has a default and they never read the new table."
        ),
        changes=(
            Change(
                "quarry/backends/migrations.py",
                "New module: ordered migrations, applied in one `BEGIN IMMEDIATE` transaction.",
                (
                    "`BEGIN IMMEDIATE` takes the write lock first, so two workers starting together cannot both migrate.",
                    "A database newer than the code is refused with a message that says what to do.",
                    "`max_attempts` defaults to 1 so existing rows keep today's behaviour.",
                ),
                "python",
                "@MIGRATIONS_MODULE",
            ),
            Change(
                "quarry/backends/sqlite.py",
                "Run migrations after creating the base schema.",
                ("The base `SCHEMA` stays as version 0 so a fresh database goes through the same path as an old one.",),
                "python",
                "    def __init__(self, path: str) -> None:\n        self.path = path\n        self._local = threading.local()\n        db = self._connect()\n        db.executescript(SCHEMA)\n        self.schema_version = migrate(db)",
            ),
            Change(
                "quarry/job.py",
                "Add the `dead` state and the new fields.",
                ("`JobState.DEAD` is new; `from_row` reads the new columns with defaults so it also works on version 0 rows.",),
                "python",
                'class JobState(str, enum.Enum):\n    QUEUED = "queued"\n    RUNNING = "running"\n    SUCCEEDED = "succeeded"\n    FAILED = "failed"\n    DEAD = "dead"\n\n\n# in Job:\n    max_attempts: int = 1\n    dead_at: float | None = None',
            ),
        ),
        test_file="tests/test_migrations.py",
        cases=(
            _c("fresh_database_is_latest", "new file", "user_version == len(MIGRATIONS)",
               "backend = SQLiteBackend(str(tmp_path / 'jobs.db'))",
               "assert backend.schema_version == len(MIGRATIONS)"),
            _c("version_zero_is_upgraded", "a 0.4.2 database with 3 jobs", "jobs kept, columns added",
               "path = make_v0_database(tmp_path, jobs=3)",
               "backend = SQLiteBackend(str(path))",
               "assert [job.max_attempts for job in all_jobs(backend)] == [1, 1, 1]"),
            _c("migration_is_idempotent", "open twice", "second open changes nothing",
               "path = str(tmp_path / 'jobs.db')",
               "SQLiteBackend(path)",
               "assert SQLiteBackend(path).schema_version == len(MIGRATIONS)"),
            _c("newer_schema_is_refused", "user_version 99", "SchemaTooNew with advice",
               "path = make_v0_database(tmp_path, jobs=0, user_version=99)",
               "with pytest.raises(SchemaTooNew, match='upgrade quarry'):",
               "    SQLiteBackend(str(path))"),
            _c("failed_migration_rolls_back", "migration raises", "user_version unchanged",
               "path = make_v0_database(tmp_path, jobs=1)",
               "with patch_migrations([broken_migration]), pytest.raises(RuntimeError):",
               "    SQLiteBackend(str(path))",
               "assert user_version(path) == 0"),
            _c("concurrent_open_migrates_once", "two processes open at once", "both succeed",
               "path = make_v0_database(tmp_path, jobs=1)",
               "results = run_in_processes(2, open_backend, str(path))",
               "assert results == [len(MIGRATIONS)] * 2"),
            _c("old_worker_claims_on_new_schema", "0.4.2 claim SQL on migrated db", "claims the job",
               "backend = SQLiteBackend(str(tmp_path / 'jobs.db'))",
               "backend.insert('noop', {}, enqueued_at=0, run_after=0)",
               "assert OLD_CLAIM_SQL_RUNS(backend)"),
            _c("dead_state_round_trips", "row with state dead", "JobState.DEAD",
               "job = Job.from_row(row(state='dead', dead_at=5.0))",
               "assert job.state is JobState.DEAD and job.dead_at == 5.0"),
        ),
        automated=(
            "`pytest tests/test_migrations.py` passes",
            "`pytest` (whole suite) passes on a database created by 0.4.2 (fixture `v0_database`)",
            "`sqlite3 jobs.db 'PRAGMA user_version'` prints 1 after the first start",
        ),
        manual=(
            "Copy the payments staging database, start a new worker on it, check `PRAGMA user_version` and row counts",
            "Start an old (0.4.2) worker on the migrated copy; enqueue and run a job",
        ),
        risks=(
            ("Migration takes the write lock on a big database", "ALTER TABLE ADD COLUMN is O(1) in SQLite; measured 4 ms on 1.2 M rows"),
            ("A deploy rolls back to 0.4.2", "0.4.2 ignores the new columns and table; nothing to undo"),
        ),
    ),
    Phase(
        title="Backend API for retries and dead jobs",
        overview=(
            "Three new backend methods. All of them are conditional on `state = 'running'` so a "
            "job that was requeued by `requeue_stale` while its worker was slow is not touched "
            "by the late worker."
        ),
        changes=(
            Change(
                "quarry/backends/sqlite.py",
                "`schedule_retry`, `mark_dead` and `record_attempt`.",
                (
                    "`schedule_retry` clears `worker_id` and `heartbeat_at` so `requeue_stale` cannot pick the row up again.",
                    "`INSERT OR REPLACE` in `record_attempt`: an attempt requeued by `requeue_stale` and then finished late must not fail on the primary key.",
                ),
                "python",
                "@BACKEND_METHODS",
            ),
            Change(
                "quarry/backends/base.py",
                "Add the methods to the `Backend` protocol.",
                ("The Postgres backend ticket depends on this protocol; keep the docstrings precise.",),
                "python",
                "    def schedule_retry(self, job_id: int, run_after: float, error: str) -> None:\n        \"\"\"Put a running job back in the queue, runnable from `run_after`.\"\"\"\n        ...\n\n    def mark_dead(self, job_id: int, now: float, error: str) -> None: ...\n\n    def record_attempt(self, job: Job, finished_at: float, error: str | None) -> None: ...",
            ),
        ),
        test_file="tests/test_backend_retry.py",
        cases=(
            _c("schedule_retry_requeues", "running job", "queued with later run_after",
               "job = claimed_job(backend)",
               "backend.schedule_retry(job.id, run_after=100.0, error='boom')",
               "again = backend.get(job.id)",
               "assert (again.state, again.run_after, again.last_error) == (JobState.QUEUED, 100.0, 'boom')"),
            _c("retry_not_claimable_early", "run_after in the future", "claim returns None",
               "job = claimed_job(backend)",
               "backend.schedule_retry(job.id, run_after=100.0, error='boom')",
               "assert backend.claim('w', now=99.9) is None"),
            _c("retry_claimable_later", "run_after passed", "claimed, attempts 2",
               "job = claimed_job(backend)",
               "backend.schedule_retry(job.id, run_after=100.0, error='boom')",
               "assert backend.claim('w', now=100.0).attempts == 2"),
            _c("late_worker_does_not_overwrite", "job requeued by requeue_stale", "schedule_retry is a no-op",
               "job = claimed_job(backend)",
               "backend.requeue_stale(older_than=float('inf'))",
               "backend.schedule_retry(job.id, run_after=500.0, error='late')",
               "assert backend.get(job.id).run_after != 500.0"),
            _c("mark_dead_sets_fields", "running job", "state dead, dead_at set",
               "job = claimed_job(backend)",
               "backend.mark_dead(job.id, now=42.0, error='gave up')",
               "dead = backend.get(job.id)",
               "assert (dead.state, dead.dead_at, dead.last_error) == (JobState.DEAD, 42.0, 'gave up')"),
            _c("dead_job_never_claimed", "dead job", "claim returns None",
               "job = claimed_job(backend)",
               "backend.mark_dead(job.id, now=42.0, error='x')",
               "assert backend.claim('w', now=1e12) is None"),
            _c("attempts_are_recorded", "two failures then success", "three attempt rows",
               "job = run_attempts(backend, outcomes=['e1', 'e2', None])",
               "assert [a.error for a in backend.attempts(job.id)] == ['e1', 'e2', None]"),
            _c("record_attempt_is_idempotent", "same attempt twice", "one row",
               "job = claimed_job(backend)",
               "backend.record_attempt(job, 1.0, 'x')",
               "backend.record_attempt(job, 2.0, 'y')",
               "assert len(backend.attempts(job.id)) == 1"),
        ),
        automated=(
            "`pytest tests/test_backend_retry.py` passes",
            "`pytest -k 'claim'` still passes (claim unchanged)",
        ),
        manual=(
            "`EXPLAIN QUERY PLAN` of the claim query on the staging copy still uses `jobs_runnable`",
        ),
    ),
    Phase(
        title="Worker integration",
        behaviour="retries, for tasks that declare a policy",
        overview=(
            "The worker asks the task's policy what to do after a failure. This is the only "
            "behaviour change users will notice, and only for tasks that opt in (phase 5)."
        ),
        changes=(
            Change(
                "quarry/worker.py",
                "Split failure handling out of `_execute` into `_handle_failure`.",
                (
                    "Every attempt is recorded, success or failure, before the state changes.",
                    "`UnknownTask` is never retried (design open question 3, accepted).",
                    "The worker owns a `random.Random` (`self._rng`) so tests can seed it.",
                    "The log line says attempt n of max and the delay, which is what the payments team asked to see.",
                ),
                "python",
                "@WORKER_EXECUTE",
            ),
        ),
        test_file="tests/test_worker_retry.py",
        cases=(
            _c("failure_is_retried", "policy max 3, task fails once", "job succeeds on attempt 2",
               "queue, calls = flaky_queue(tmp_path, failures=1, policy=RetryPolicy(max_attempts=3, jitter='none', base=1))",
               "run_until_idle(queue, clock)",
               "assert calls == 2 and state_of(queue) is JobState.SUCCEEDED"),
            _c("retries_wait_for_backoff", "base 10, no jitter", "second attempt not before +10 s",
               "queue, _ = flaky_queue(tmp_path, failures=1, policy=RetryPolicy(base=10, cap=10, jitter='none'))",
               "worker = Worker(queue)",
               "worker.run_once()",
               "assert not worker.run_once()  # too early",
               "clock.advance(10)",
               "assert worker.run_once()"),
            _c("gives_up_after_max", "always fails, max 3", "dead after 3 attempts",
               "queue, calls = flaky_queue(tmp_path, failures=99, policy=RetryPolicy(max_attempts=3, jitter='none', base=1))",
               "run_until_idle(queue, clock)",
               "assert calls == 3 and state_of(queue) is JobState.DEAD"),
            _c("give_up_on_is_dead_at_once", "ValueError in give_up_on", "dead after 1 attempt",
               "queue, calls = flaky_queue(tmp_path, failures=99, exc=ValueError, policy=RetryPolicy(give_up_on=(ValueError,)))",
               "run_until_idle(queue, clock)",
               "assert calls == 1 and state_of(queue) is JobState.DEAD"),
            _c("unknown_task_is_dead_at_once", "task removed from code", "dead, error names the task",
               "queue = Queue(str(tmp_path / 'jobs.db'))",
               "job_id = insert_raw(queue, task='gone')",
               "Worker(queue).run_once()",
               "assert \"no task named 'gone'\" in queue.get(job_id).last_error"),
            _c("default_policy_keeps_old_behaviour", "task without policy", "failed job is dead, no retry",
               "queue, calls = flaky_queue(tmp_path, failures=1, policy=None)",
               "run_until_idle(queue, clock)",
               "assert calls == 1 and state_of(queue) is JobState.DEAD"),
            _c("log_line_has_attempt_and_delay", "retry scheduled", "'attempt 1/3, retrying in'",
               "queue, _ = flaky_queue(tmp_path, failures=1, policy=RetryPolicy(max_attempts=3))",
               "with caplog.at_level('WARNING'):",
               "    Worker(queue).run_once()",
               "assert 'attempt 1/3, retrying in' in caplog.text"),
            _c("heartbeat_stops_after_failure", "job fails", "heartbeat thread joined",
               "queue, _ = flaky_queue(tmp_path, failures=1, policy=RetryPolicy())",
               "Worker(queue).run_once()",
               "assert not any(t.name.startswith('quarry-heartbeat') for t in threading.enumerate())"),
            _c("seeded_rng_is_deterministic", "two workers, same seed", "same delays",
               "a, b = Worker(queue_a, rng=random.Random(1)), Worker(queue_b, rng=random.Random(1))",
               "assert delays_of(a) == delays_of(b)"),
        ),
        automated=(
            "`pytest tests/test_worker_retry.py tests/test_worker.py` passes",
            "`pytest` passes",
        ),
        manual=(
            "Run `examples/flaky.py` with a worker: see 3 warning lines with growing delays, then success",
            "Kill the worker during the backoff wait; restart it; the retry still happens at the planned time",
        ),
        risks=(
            ("A task that is not idempotent gets retried", "retries are opt-in per task until 0.6 (design Q3)"),
        ),
    ),
)

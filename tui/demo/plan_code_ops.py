"""Code excerpts quoted in the second half of the demo plan: CLI, stats, test helpers, drill."""

DEAD_CLI = '''\
def _dead_command(queue: Queue, args: argparse.Namespace) -> int:
    backend = queue.backend
    if args.dead_command == "list":
        rows = backend.dead_jobs(task=args.task, limit=args.limit)
        for job in rows:
            first_line = (job.last_error or "").strip().splitlines()[-1:] or [""]
            print(f"{job.id:>8}  {job.task:<24} {_ago(job.dead_at)}  {first_line[0][:60]}")
        print(f"{len(rows)} dead job(s)" + (f" of task {args.task}" if args.task else ""))
        return 0
    if args.dead_command == "show":
        job = backend.get(args.id)
        if job is None or job.state is not JobState.DEAD:
            print(f"quarry: job {args.id} is not dead", file=sys.stderr)
            return 1
        for attempt in backend.attempts(job.id):
            print(f"--- attempt {attempt.number} on {attempt.worker_id}")
            print(attempt.error or "(no error)")
        return 0
    if args.dead_command == "retry":
        ids = [args.id] if args.id else [job.id for job in backend.dead_jobs(task=args.task, limit=None)]
        spread = RetryPolicy(base=args.spread, cap=args.spread)
        now = time.time()
        for job_id in ids:
            backend.revive(job_id, run_after=now + spread.delay_for(1))
        print(f"requeued {len(ids)} job(s) over {args.spread:.0f}s")
        return 0
    purged = backend.purge_dead(older_than=time.time() - args.older_than * 86400)
    print(f"purged {purged} dead job(s) older than {args.older_than} day(s)")
    return 0
'''


STATS_OUTPUT = '''\
def _stats_command(queue: Queue, args: argparse.Namespace) -> int:
    counts = queue.counts()
    retrying = queue.backend.retrying_count()
    next_retry = queue.backend.next_retry_at()
    rows = [(state.value, counts[state]) for state in JobState]
    rows.insert(1, ("retrying", retrying))
    if args.json:
        print(json.dumps({"counts": dict(rows), "next_retry_at": next_retry}))
        return 0
    for name, count in rows:
        print(f"{name:<10} {count:>8}")
    if next_retry is not None:
        print(f"next retry in {max(0.0, next_retry - time.time()):.0f}s")
    return 0
'''


CONFTEST = '''\
"""Fixtures shared by the retry tests."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from quarry import Job, JobState, Queue, RetryPolicy, Worker
from quarry.clock import ManualClock, set_clock

DATA = Path(__file__).parent / "data"


@pytest.fixture
def clock() -> Iterator[ManualClock]:
    manual = ManualClock()
    previous = set_clock(manual)
    yield manual
    set_clock(previous)


@pytest.fixture
def backend(tmp_path: Path):
    return Queue(str(tmp_path / "jobs.db")).backend


def make_v0_database(tmp_path: Path, jobs: int, user_version: int = 0) -> Path:
    """A copy of a database written by quarry 0.4.2, trimmed to `jobs` rows."""
    path = tmp_path / "v0.db"
    shutil.copy(DATA / "v0.db", path)
    with sqlite3.connect(path) as db:
        db.execute("DELETE FROM jobs WHERE id > ?", (jobs,))
        db.execute(f"PRAGMA user_version = {user_version}")
    return path


def claimed_job(backend) -> Job:
    backend.insert("noop", {}, enqueued_at=0.0, run_after=0.0)
    job = backend.claim("test-worker", now=0.0)
    assert job is not None
    return job


def flaky_queue(tmp_path: Path, failures: int, policy: RetryPolicy | None, exc: type[Exception] = OSError):
    """A queue with one job of a task that fails `failures` times, then succeeds."""
    queue = Queue(str(tmp_path / "jobs.db"))
    calls: list[int] = []

    def flaky() -> None:
        calls.append(1)
        if len(calls) <= failures:
            raise exc(f"failure {len(calls)}")

    queue.task("flaky", retry=policy)(flaky)
    queue.enqueue("flaky")
    return queue, calls


def run_until_idle(queue: Queue, clock: ManualClock, limit: int = 100) -> None:
    """Run jobs, jumping the clock to the next retry whenever the queue is idle."""
    worker = Worker(queue)
    for _ in range(limit):
        if worker.run_once():
            continue
        next_at = queue.backend.next_retry_at()
        if next_at is None:
            return
        clock.advance(max(0.0, next_at - clock.now))
    raise AssertionError(f"queue still busy after {limit} steps")


def state_of(queue: Queue) -> JobState:
    (job,) = queue.backend.all_jobs()
    return job.state


def run_cli(app: str, *args: str) -> str:
    result = run_cli_raw(app, *args)
    assert result.returncode == 0, result.stderr
    return result.stdout


def run_cli_raw(app: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "quarry.cli", "--app", app, *args],
        capture_output=True,
        text=True,
        timeout=30,
    )
'''


DRILL_SCRIPT = '''\
"""Outage drill: a fake webhook provider that fails for a while, and a queue that calls it.

    python scripts/outage_drill.py --jobs 340 --outage 240

Prints, every 10 seconds, the provider's request count and `quarry stats`.
"""

from __future__ import annotations

import argparse
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from quarry import Queue, RetryPolicy, Worker

queue = Queue("drill.db")
requests_seen: list[float] = []
outage_until = 0.0


class Provider(BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        requests_seen.append(time.time())
        status = 502 if time.time() < outage_until else 204
        self.send_response(status)
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@queue.task(retry=RetryPolicy(max_attempts=12, give_up_on=(ValueError,)))
def deliver_webhook(url: str, body: str) -> None:
    request = urllib.request.Request(url, data=body.encode(), method="POST")
    with urllib.request.urlopen(request, timeout=5) as response:
        if response.status >= 300:
            raise OSError(f"provider answered {response.status}")


def main() -> None:
    global outage_until
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=340)
    parser.add_argument("--outage", type=float, default=240.0)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Provider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/hook"
    outage_until = time.time() + args.outage
    for n in range(args.jobs):
        queue.enqueue("deliver_webhook", {"url": url, "body": f"event {n}"})
    workers = [Worker(queue, poll_interval=0.2) for _ in range(args.workers)]
    for worker in workers:
        threading.Thread(target=worker.run, daemon=True).start()
    started = time.time()
    while queue.counts()[JobState.QUEUED] or queue.backend.retrying_count():
        time.sleep(10)
        print(f"t={time.time() - started:5.0f}s requests={len(requests_seen):5d} {dict(queue.counts())}")
    for worker in workers:
        worker.stop()
    server.shutdown()


if __name__ == "__main__":
    main()
'''


JOB_SHOW = '''\
def _job_command(queue: Queue, args: argparse.Namespace) -> int:
    job = queue.backend.get(args.id)
    if job is None:
        print(f"quarry: no job {args.id}", file=sys.stderr)
        return 1
    policy = queue.registry.policy(job.task) if job.task in queue.registry.names() else None
    print(f"job {job.id}  {job.task}  {job.state.value}")
    print(f"  attempts  {job.attempts} of {job.max_attempts}")
    print(f"  enqueued  {_when(job.enqueued_at)}")
    if job.state is JobState.QUEUED and job.attempts:
        print(f"  retry at  {_when(job.run_after)}")
    if job.dead_at:
        print(f"  dead at   {_when(job.dead_at)}")
    if policy is None:
        print("  policy    (task not registered in this app)")
    else:
        print(f"  policy    max {policy.max_attempts}, base {policy.base:g}s, cap {policy.cap:g}s, {policy.jitter} jitter")
    for attempt in queue.backend.attempts(job.id):
        outcome = "ok" if attempt.error is None else attempt.error.strip().splitlines()[-1]
        print(f"  #{attempt.number:<3} {attempt.worker_id:<24} {attempt.finished_at - attempt.started_at:7.2f}s  {outcome}")
    return 0
'''

"""Parts of the demo plan derived from the demo's source tree: whole files as they will look
after the plan, and the per-task policy table for the service that had the incident."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from tui.demo import plan_code, plan_code_ops

TEMPLATE = Path(__file__).parent / "repo-template"

SQLITE_QUERIES = '''\
    def dead_jobs(self, task: str | None, limit: int | None) -> list[Job]:
        sql = "SELECT * FROM jobs WHERE state = 'dead'"
        params: list[object] = []
        if task:
            sql += " AND task = ?"
            params.append(task)
        sql += " ORDER BY dead_at DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [Job.from_row(dict(row)) for row in self._connect().execute(sql, params)]

    def revive(self, job_id: int, run_after: float) -> None:
        self._connect().execute(
            """
            UPDATE jobs SET state = 'queued', attempts = 0, run_after = ?, dead_at = NULL,
                            finished_at = NULL, worker_id = NULL
             WHERE id = ? AND state = 'dead'
            """,
            (run_after, job_id),
        )

    def purge_dead(self, older_than: float) -> int:
        cursor = self._connect().execute(
            "DELETE FROM jobs WHERE state = 'dead' AND dead_at < ?", (older_than,)
        )
        return cursor.rowcount

    def attempts(self, job_id: int) -> list[Attempt]:
        rows = self._connect().execute(
            "SELECT * FROM job_attempts WHERE job_id = ? ORDER BY attempt", (job_id,)
        )
        return [Attempt.from_row(dict(row)) for row in rows]

    def retrying_count(self) -> int:
        (count,) = self._connect().execute(
            "SELECT COUNT(*) FROM jobs WHERE state = 'queued' AND attempts > 0"
        ).fetchone()
        return count

    def next_retry_at(self) -> float | None:
        (when,) = self._connect().execute(
            "SELECT MIN(run_after) FROM jobs WHERE state = 'queued' AND attempts > 0"
        ).fetchone()
        return when
'''

# (task, idempotent, policy, give_up_on, note)
PAYMENTS_TASKS: tuple[tuple[str, str, str, str, str], ...] = (
    ("deliver_webhook", "yes (event id)", "max 12, base 2, cap 600", "`ValueError`", "the incident"),
    ("capture_payment", "yes (idempotency key)", "max 8, base 5, cap 600", "`CardDeclined`", "provider dedupes on the key"),
    ("refund_payment", "yes (idempotency key)", "max 8, base 5, cap 600", "`RefundNotAllowed`", ""),
    ("sync_disputes", "yes", "max 5, base 30, cap 3600", "", "runs hourly anyway"),
    ("send_receipt_email", "no", "NO_RETRY", "", "a retry could send two receipts"),
    ("send_receipt_email_v2", "yes (message id)", "max 6, base 10, cap 600", "`InvalidAddress`", "replaces the above in 0.5"),
    ("render_invoice_pdf", "yes", "max 3, base 2, cap 30", "`TemplateError`", "pure function of the invoice"),
    ("upload_invoice_pdf", "yes (same key)", "max 8, base 2, cap 600", "", "S3 put is idempotent"),
    ("ledger_post_entry", "no", "NO_RETRY", "", "double entries; needs a dedupe key first"),
    ("ledger_reconcile_day", "yes", "max 4, base 60, cap 3600", "", ""),
    ("fx_rates_refresh", "yes", "max 10, base 2, cap 120", "", "stale rates are worse than late ones"),
    ("notify_slack_failure", "yes", "max 3, base 2, cap 10", "", "best effort"),
    ("export_settlements_csv", "yes", "max 3, base 60, cap 600", "`PermissionError`", ""),
    ("payout_schedule", "no", "NO_RETRY", "", "moves money; manual follow-up only"),
    ("payout_status_poll", "yes", "max 20, base 5, cap 300", "", "polls until final state"),
    ("customer_sync_crm", "yes (upsert)", "max 8, base 2, cap 600", "`ValidationError`", ""),
    ("risk_score_transaction", "yes", "max 3, base 1, cap 5", "", "late scores are useless after 10 s"),
    ("archive_old_jobs", "yes", "max 2, base 300, cap 300", "", "nightly"),
)


def final_worker() -> str:
    """`quarry/worker.py` with phases 1, 4 and 5 applied to the current file."""
    text = (TEMPLATE / "quarry/worker.py").read_text(encoding="utf-8")
    start = text.index("    def _execute(")
    end = text.index("    def _heartbeat(")
    text = text[:start] + plan_code.WORKER_EXECUTE + "\n" + text[end:]
    text = text.replace("import time\n", "").replace("time.time()", "clock.now()")
    text = text.replace(
        "from quarry.job import Job\n",
        "from quarry import clock\nfrom quarry.job import Job\n",
    )
    text = text.replace("from quarry.queue import Queue\n", "from quarry.queue import Queue\nfrom quarry.registry import UnknownTask\n")
    text = text.replace("import os\n", "import os\nimport random\n")
    text = text.replace(
        "    def __init__(self, queue: Queue, *, poll_interval: float = 1.0) -> None:\n",
        "    def __init__(\n        self, queue: Queue, *, poll_interval: float = 1.0, rng: random.Random | None = None\n    ) -> None:\n        self._rng = rng or random.Random()\n",
    )
    return text


def final_sqlite_backend() -> str:
    """`quarry/backends/sqlite.py` with phases 2, 3, 6 and 7 applied."""
    text = (TEMPLATE / "quarry/backends/sqlite.py").read_text(encoding="utf-8")
    text = text.replace(
        "from quarry.job import Job, JobState\n",
        "from quarry.backends.migrations import migrate\nfrom quarry.job import Attempt, Job, JobState\n",
    )
    text = text.replace(
        "        with self._connect() as db:\n            db.executescript(SCHEMA)\n",
        "        db = self._connect()\n        db.executescript(SCHEMA)\n        self.schema_version = migrate(db)\n",
    )
    marker = "    def heartbeat("
    text = text.replace(marker, plan_code.BACKEND_METHODS + "\n" + SQLITE_QUERIES + "\n" + marker)
    return text


CLI_PARSER = '''\
    sub.add_parser("stats", help="count jobs by state").add_argument("--json", action="store_true")
    dead = sub.add_parser("dead", help="list, inspect, retry and purge dead jobs")
    dead_sub = dead.add_subparsers(dest="dead_command", required=True)
    dead_list = dead_sub.add_parser("list", help="dead jobs, newest first")
    dead_list.add_argument("--task")
    dead_list.add_argument("--limit", type=int, default=50)
    dead_sub.add_parser("show", help="every attempt of one dead job").add_argument("id", type=int)
    dead_retry = dead_sub.add_parser("retry", help="queue dead jobs again")
    target = dead_retry.add_mutually_exclusive_group(required=True)
    target.add_argument("--id", type=int)
    target.add_argument("--task")
    dead_retry.add_argument("--spread", type=float, default=60.0, help="seconds to spread the jobs over")
    dead_purge = dead_sub.add_parser("purge", help="delete old dead jobs")
    dead_purge.add_argument("--older-than", type=float, required=True, help="days")
    job = sub.add_parser("job", help="inspect one job")
    job.add_subparsers(dest="job_command", required=True).add_parser("show").add_argument("id", type=int)
'''

CLI_DISPATCH = '''\
    elif args.command == "dead":
        return _dead_command(queue, args)
    elif args.command == "job":
        return _job_command(queue, args)
    else:
        return _stats_command(queue, args)
    return 0


def _ago(when: float | None) -> str:
    if when is None:
        return "-"
    seconds = max(0, int(clock.now() - when))
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return f"{seconds}s ago"


def _when(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(at)) + f" ({_ago(at)})"
'''


def final_cli() -> str:
    """`quarry/cli.py` with phases 6, 7 and the job inspection applied."""
    text = (TEMPLATE / "quarry/cli.py").read_text(encoding="utf-8")
    text = text.replace("import sys\n", "import sys\nimport time\n")
    text = text.replace(
        "from quarry.queue import Queue\n",
        "from quarry import clock\nfrom quarry.job import JobState\nfrom quarry.queue import Queue\nfrom quarry.retry import RetryPolicy\n",
    )
    text = text.replace('    sub.add_parser("stats", help="count jobs by state")\n', CLI_PARSER)
    start = text.index("    else:\n        for state, count")
    end = text.index("\n\nif __name__")
    text = text[:start] + CLI_DISPATCH.rstrip("\n") + text[end:]
    commands = "\n\n".join(
        code.rstrip("\n") for code in (plan_code_ops.DEAD_CLI, plan_code_ops.JOB_SHOW, plan_code_ops.STATS_OUTPUT)
    )
    return text.replace("\n\nif __name__", "\n\n\n" + commands + "\n\n\nif __name__")


def policy_table() -> Iterator[str]:
    yield "| Task | Idempotent | Policy | `give_up_on` | Note |"
    yield "|------|------------|--------|--------------|------|"
    for task, idempotent, policy, give_up, note in PAYMENTS_TASKS:
        yield f"| `{task}` | {idempotent} | {policy} | {give_up} | {note} |"
    retried = sum(1 for row in PAYMENTS_TASKS if row[2] != "NO_RETRY")
    yield ""
    yield f"{retried} of {len(PAYMENTS_TASKS)} tasks get a retry policy; the others are explicitly `NO_RETRY`"
    yield "until they have a deduplication key (follow-up tickets filed)."


def final_files() -> Iterator[str]:
    for path, text in (
        ("quarry/worker.py", final_worker()),
        ("quarry/backends/sqlite.py", final_sqlite_backend()),
        ("quarry/cli.py", final_cli()),
    ):
        yield ""
        yield f"### `{path}`"
        yield ""
        yield "```python"
        yield text.rstrip("\n")
        yield "```"

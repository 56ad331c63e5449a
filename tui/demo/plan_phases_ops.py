"""The second half of the demo plan's phases: what users see (policies, CLI, stats, release)."""

from __future__ import annotations

from tui.demo.plan_phases import Change, Phase, _c

OPS_PHASES: tuple[Phase, ...] = (
    Phase(
        title="Per-task retry policies",
        behaviour="a deprecation warning at import",
        overview=(
            "`@queue.task(retry=RetryPolicy(...))` attaches a policy to a task. Tasks without one "
            "keep today's behaviour and emit a `DeprecationWarning` once, at registration."
        ),
        changes=(
            Change(
                "quarry/registry.py",
                "Store a policy per task.",
                ("The warning is raised at registration (import time), where the developer sees it, not in worker logs.",),
                "python",
                "@REGISTRY_POLICY",
            ),
            Change(
                "quarry/queue.py",
                "Pass `retry=` through the decorator and store `max_attempts` on the row.",
                ("Storing `max_attempts` on the row lets `quarry stats` show 'attempt 3 of 8' without importing the app.",),
                "python",
                "    def task(self, name: str | None = None, *, retry: RetryPolicy | None = None) -> Callable[[TaskFunc], TaskFunc]:\n        def decorate(func: TaskFunc) -> TaskFunc:\n            return self.registry.register(name or func.__name__, func, retry)\n\n        return decorate",
            ),
        ),
        test_file="tests/test_task_policies.py",
        cases=(
            _c("policy_is_stored", "task with policy", "registry returns it",
               "policy = RetryPolicy(max_attempts=5)",
               "queue.task(retry=policy)(noop)",
               "assert queue.registry.policy('noop') is policy"),
            _c("missing_policy_warns", "task without policy", "DeprecationWarning naming the task",
               "with pytest.warns(DeprecationWarning, match=\"task 'noop' has no retry policy\"):",
               "    queue.task()(noop)"),
            _c("no_retry_silences_warning", "retry=NO_RETRY", "no warning",
               "with warnings.catch_warnings():",
               "    warnings.simplefilter('error')",
               "    queue.task(retry=NO_RETRY)(noop)"),
            _c("max_attempts_on_row", "enqueue with policy max 5", "row max_attempts 5",
               "queue.task(retry=RetryPolicy(max_attempts=5))(noop)",
               "assert queue.enqueue('noop').max_attempts == 5"),
            _c("unknown_policy_name_defaults", "policy() for unregistered name", "NO_RETRY",
               "assert queue.registry.policy('nope') is NO_RETRY"),
        ),
        automated=(
            "`pytest tests/test_task_policies.py` passes",
            "`pytest -W error::DeprecationWarning tests/` passes (our own tests declare policies)",
        ),
        manual=(
            "Import the payments app with the new quarry: one warning per task without a policy, nothing else",
        ),
    ),
    Phase(
        title="Dead-letter CLI",
        behaviour="new `quarry dead` commands",
        overview=(
            "`quarry dead list|show|retry|purge`. `retry --task NAME` spreads the revived jobs "
            "over `--spread` seconds (default 60) with full jitter, which answers open question 1 "
            "without a separate rate limiter."
        ),
        changes=(
            Change(
                "quarry/cli.py",
                "The `dead` subcommand group.",
                (
                    "`list` prints the last line of each traceback, which is the exception message.",
                    "`show` prints every attempt's error, oldest first.",
                    "Exit 1 when asked to show a job that is not dead.",
                ),
                "python",
                "@DEAD_CLI",
            ),
            Change(
                "quarry/backends/sqlite.py",
                "`dead_jobs`, `revive`, `purge_dead`, `attempts`.",
                ("`revive` resets `attempts` to 0 so the revived job gets its full policy again.",),
                "sql",
                "-- revive\nUPDATE jobs SET state = 'queued', attempts = 0, run_after = ?, dead_at = NULL,\n                finished_at = NULL, worker_id = NULL\n WHERE id = ? AND state = 'dead';\n\n-- purge_dead (job_attempts rows go with ON DELETE CASCADE)\nDELETE FROM jobs WHERE state = 'dead' AND dead_at < ?;",
            ),
        ),
        test_file="tests/test_cli_dead.py",
        cases=(
            _c("list_shows_dead_jobs", "two dead jobs", "two lines and a count",
               "make_dead(queue, 2)",
               "out = run_cli(app, 'dead', 'list')",
               "assert out.splitlines()[-1] == '2 dead job(s)'"),
            _c("list_filters_by_task", "dead jobs of two tasks", "only the named task",
               "make_dead(queue, 1, task='a'); make_dead(queue, 1, task='b')",
               "assert 'of task a' in run_cli(app, 'dead', 'list', '--task', 'a')"),
            _c("show_prints_all_attempts", "job with 3 attempts", "3 attempt headers",
               "job = make_dead(queue, 1, attempts=3)[0]",
               "assert run_cli(app, 'dead', 'show', str(job)).count('--- attempt') == 3"),
            _c("show_refuses_live_job", "queued job", "exit 1, message",
               "job = queue.enqueue('noop')",
               "result = run_cli_raw(app, 'dead', 'show', str(job.id))",
               "assert result.returncode == 1 and 'is not dead' in result.stderr"),
            _c("retry_revives_one", "dead job", "queued, attempts 0",
               "job = make_dead(queue, 1)[0]",
               "run_cli(app, 'dead', 'retry', '--id', str(job))",
               "assert queue.get(job).state is JobState.QUEUED and queue.get(job).attempts == 0"),
            _c("retry_spreads_jobs", "340 dead jobs, spread 60", "run_after spread over 60 s",
               "ids = make_dead(queue, 340)",
               "run_cli(app, 'dead', 'retry', '--task', 'noop', '--spread', '60')",
               "offsets = sorted(queue.get(i).run_after - clock.now for i in ids)",
               "assert offsets[0] < 5 and 55 < offsets[-1] <= 60"),
            _c("purge_respects_age", "dead 20 and 5 days ago", "only the old one purged",
               "old, new = make_dead(queue, 1, age_days=20)[0], make_dead(queue, 1, age_days=5)[0]",
               "run_cli(app, 'dead', 'purge', '--older-than', '14')",
               "assert queue.get(old) is None and queue.get(new) is not None"),
            _c("purge_cascades_attempts", "purged job with attempts", "attempt rows gone",
               "job = make_dead(queue, 1, attempts=2, age_days=30)[0]",
               "run_cli(app, 'dead', 'purge', '--older-than', '14')",
               "assert queue.backend.attempts(job) == []"),
        ),
        automated=(
            "`pytest tests/test_cli_dead.py` passes",
            "`quarry --app examples.flaky:queue dead --help` lists the four commands",
        ),
        manual=(
            "On staging: kill the webhook provider stub, let 50 jobs die, `dead retry --task webhook`; watch them drain over a minute",
            "Priya confirms the `dead list` output is what she needs during an incident",
        ),
        risks=(
            ("`purge` deletes the wrong rows", "the WHERE clause requires `state = 'dead'`; covered by `purge_respects_age`"),
        ),
    ),
    Phase(
        title="Observability",
        behaviour="new rows in `quarry stats`",
        overview=(
            "`quarry stats` gains a `retrying` row (queued jobs with at least one attempt) and "
            "the time of the next retry, plus `--json`. Log lines carry the job id, attempt and delay."
        ),
        changes=(
            Change(
                "quarry/cli.py",
                "New stats output.",
                ("`retrying` is derived: `state = 'queued' AND attempts > 0`. No new state, so old workers are unaffected.",),
                "python",
                "@STATS_OUTPUT",
            ),
            Change(
                "quarry/backends/sqlite.py",
                "`retrying_count` and `next_retry_at`.",
                ("Both are served by `jobs_runnable` (state, run_after, id); checked with EXPLAIN.",),
                "sql",
                "SELECT COUNT(*) FROM jobs WHERE state = 'queued' AND attempts > 0;\nSELECT MIN(run_after) FROM jobs WHERE state = 'queued' AND attempts > 0;",
            ),
        ),
        test_file="tests/test_stats.py",
        cases=(
            _c("stats_counts_retrying", "one job waiting to retry", "retrying 1",
               "make_retrying(queue, 1)",
               "assert 'retrying          1' in run_cli(app, 'stats')"),
            _c("stats_next_retry", "retry in 30 s", "'next retry in 30s'",
               "make_retrying(queue, 1, in_seconds=30)",
               "assert 'next retry in 30s' in run_cli(app, 'stats')"),
            _c("stats_json", "--json", "valid JSON with counts",
               "data = json.loads(run_cli(app, 'stats', '--json'))",
               "assert set(data['counts']) >= {'queued', 'retrying', 'dead'}"),
            _c("stats_empty_queue", "no jobs", "all zero, no next retry line",
               "out = run_cli(app, 'stats')",
               "assert 'next retry' not in out"),
        ),
        automated=(
            "`pytest tests/test_stats.py` passes",
        ),
        manual=(
            "Read `quarry stats` during the staging outage drill; the numbers match `sqlite3` counts",
        ),
    ),
    Phase(
        title="Inspecting one job",
        behaviour="new `quarry job show` command",
        overview=(
            "During the incident the first question was \"what happened to job 81234?\". "
            "`quarry job show ID` prints its state, attempts, the policy that applies, and one line "
            "per attempt with the worker, the duration and the error."
        ),
        changes=(
            Change(
                "quarry/cli.py",
                "The `job show` subcommand.",
                (
                    "Works for any state, not only dead jobs.",
                    "When the task is not registered in the loaded app (removed or renamed), say so instead of failing.",
                ),
                "python",
                "@JOB_SHOW",
            ),
        ),
        test_file="tests/test_cli_job.py",
        cases=(
            _c("show_queued_job", "fresh job", "state queued, 0 of 1 attempts",
               "job = queue.enqueue('noop')",
               "assert 'attempts  0 of 1' in run_cli(app, 'job', 'show', str(job.id))"),
            _c("show_retrying_job", "job waiting for retry", "'retry at' line",
               "job_id = make_retrying(queue, 1)[0]",
               "assert 'retry at' in run_cli(app, 'job', 'show', str(job_id))"),
            _c("show_lists_attempts", "two failed attempts", "two attempt lines with errors",
               "job_id = make_dead(queue, 1, attempts=2)[0]",
               "out = run_cli(app, 'job', 'show', str(job_id))",
               "assert out.count('#') == 2 and 'OSError' in out"),
            _c("show_unknown_task", "task not in app", "'task not registered' note",
               "job_id = insert_raw(queue, task='gone')",
               "assert 'not registered' in run_cli(app, 'job', 'show', str(job_id))"),
            _c("show_missing_job", "id 999", "exit 1, 'no job 999'",
               "result = run_cli_raw(app, 'job', 'show', '999')",
               "assert result.returncode == 1 and 'no job 999' in result.stderr"),
        ),
        automated=(
            "`pytest tests/test_cli_job.py` passes",
        ),
        manual=(
            "Run `quarry job show` on a dead job in staging; the attempt lines match `job_attempts`",
        ),
    ),
    Phase(
        title="Outage drill",
        overview=(
            "A script that reproduces last Tuesday's incident on a laptop: a fake provider that "
            "answers 502 for a configurable time, 340 webhook jobs, four workers. It prints the "
            "request rate every 10 seconds so the effect of jitter is visible."
        ),
        changes=(
            Change(
                "scripts/outage_drill.py",
                "New script; standard library only.",
                (
                    "The provider runs on 127.0.0.1 on a free port, so the drill never touches the network.",
                    "Uses `max_attempts=12`: with 8 attempts most jobs would die during a 4-minute outage (Appendix A).",
                    "Workers run in threads to keep the script self-contained; production runs processes.",
                ),
                "python",
                "@DRILL_SCRIPT",
            ),
        ),
        test_file="tests/test_drill.py",
        cases=(
            _c("drill_completes_short_outage", "10 jobs, 3 s outage", "all succeed",
               "result = run_script('scripts/outage_drill.py', '--jobs', '10', '--outage', '3')",
               "assert \"'succeeded': 10\" in result.stdout.splitlines()[-1]"),
            _c("drill_no_dead_jobs", "10 jobs, 3 s outage", "dead count 0",
               "result = run_script('scripts/outage_drill.py', '--jobs', '10', '--outage', '3')",
               "assert \"'dead': 0\" in result.stdout.splitlines()[-1]"),
        ),
        automated=(
            "`pytest -m slow tests/test_drill.py` passes (about 20 s)",
        ),
        manual=(
            "Run the full drill (`--jobs 340 --outage 240`) and paste the output into the PR",
            "Compare the request-rate column with Appendix B",
        ),
    ),
    Phase(
        title="Attempt history retention",
        behaviour="`quarry purge-attempts` command",
        overview=(
            "`job_attempts` gains a row for every attempt, successful ones included: on the payments "
            "database that is about 40,000 rows a day. Attempts of succeeded jobs are only useful "
            "for a few days, so they are pruned by age; attempts of dead jobs stay until the job is "
            "purged (they are its diagnosis)."
        ),
        changes=(
            Change(
                "quarry/backends/sqlite.py",
                "`purge_attempts(older_than)` deletes attempts of finished, non-dead jobs.",
                (
                    "Deletes in batches of 5,000 rows so a first run on a big table does not hold the write lock for seconds.",
                    "Uses the primary key `(job_id, attempt)`; an index on `finished_at` was measured and not needed at this size.",
                ),
                "python",
                "    def purge_attempts(self, older_than: float, batch: int = 5_000) -> int:\n        total = 0\n        while True:\n            cursor = self._connect().execute(\n                \"\"\"\n                DELETE FROM job_attempts WHERE rowid IN (\n                    SELECT a.rowid FROM job_attempts AS a JOIN jobs AS j ON j.id = a.job_id\n                     WHERE j.state = 'succeeded' AND a.finished_at < ?\n                     LIMIT ?)\n                \"\"\",\n                (older_than, batch),\n            )\n            total += cursor.rowcount\n            if cursor.rowcount < batch:\n                return total",
            ),
            Change(
                "quarry/cli.py",
                "`quarry purge-attempts --older-than DAYS` (default 7).",
                ("Meant for the same nightly cron that will run `dead purge`.",),
                "python",
                "    purge = sub.add_parser(\"purge-attempts\", help=\"delete attempt history of succeeded jobs\")\n    purge.add_argument(\"--older-than\", type=float, default=7.0, help=\"days\")\n\n# in main():\n    elif args.command == \"purge-attempts\":\n        removed = queue.backend.purge_attempts(clock.now() - args.older_than * 86400)\n        print(f\"removed {removed} attempt(s) older than {args.older_than:g} day(s)\")",
            ),
        ),
        test_file="tests/test_attempt_retention.py",
        cases=(
            _c("old_success_attempts_removed", "succeeded 10 days ago", "attempt rows gone",
               "job_id = make_succeeded(queue, age_days=10)",
               "assert queue.backend.purge_attempts(clock.now - 7 * 86400) == 1",
               "assert queue.backend.attempts(job_id) == []"),
            _c("recent_success_attempts_kept", "succeeded 2 days ago", "kept",
               "job_id = make_succeeded(queue, age_days=2)",
               "queue.backend.purge_attempts(clock.now - 7 * 86400)",
               "assert len(queue.backend.attempts(job_id)) == 1"),
            _c("dead_job_attempts_kept", "dead 30 days ago", "kept until the job is purged",
               "job_id = make_dead(queue, 1, attempts=3, age_days=30)[0]",
               "queue.backend.purge_attempts(clock.now - 7 * 86400)",
               "assert len(queue.backend.attempts(job_id)) == 3"),
            _c("batches_cover_everything", "12,000 old attempts, batch 5,000", "all 12,000 removed",
               "make_succeeded_many(queue, 12_000, age_days=10)",
               "assert queue.backend.purge_attempts(clock.now - 7 * 86400, batch=5_000) == 12_000"),
            _c("cli_reports_count", "3 old attempts", "'removed 3 attempt(s)'",
               "make_succeeded_many(queue, 3, age_days=10)",
               "assert 'removed 3 attempt(s)' in run_cli(app, 'purge-attempts')"),
        ),
        automated=(
            "`pytest tests/test_attempt_retention.py` passes",
        ),
        manual=(
            "Run `purge-attempts` on the staging copy after a week of 0.5; check the duration and that claims were not blocked",
        ),
        risks=(
            ("Deleting history someone needs", "only succeeded jobs, only after 7 days; dead jobs keep everything"),
        ),
    ),
    Phase(
        title="Documentation, release and rollout",
        behaviour="release 0.5.0",
        overview=(
            "Release 0.5.0 with a README section on retries, an upgrade note, and a staged rollout "
            "on the payments service, where the incident happened."
        ),
        changes=(
            Change(
                "README.md",
                "A \"Retries and dead jobs\" section.",
                ("Lead with the opt-in: nothing is retried until a task declares a policy.",),
                "markdown",
                "## Retries and dead jobs\n\n```python\nfrom quarry import RetryPolicy\n\n@queue.task(retry=RetryPolicy(max_attempts=8, give_up_on=(ValueError,)))\ndef deliver_webhook(url: str, body: dict) -> None:\n    ...\n```\n\nA job that fails is retried after 0-2 s, 0-4 s, 0-8 s ... (capped at 10 minutes).",
            ),
            Change(
                "CHANGELOG.md",
                "0.5.0 entry.",
                ("Mention the schema migration and that rolling back to 0.4.2 is safe.",),
                "markdown",
                "## 0.5.0\n- Retries with exponential backoff and full jitter, per task (`@queue.task(retry=...)`).\n- Dead jobs: `quarry dead list|show|retry|purge`.\n- Schema version 1 (migrates in place; 0.4.2 workers keep working during a deploy).",
            ),
        ),
        test_file="tests/test_docs.py",
        cases=(
            _c("readme_example_runs", "README code blocks", "they execute",
               "for block in python_blocks(Path('README.md')):",
               "    exec(compile(block, 'README.md', 'exec'), {'queue': Queue(':memory:')})"),
            _c("changelog_has_version", "CHANGELOG.md", "mentions the package version",
               "assert f'## {quarry.__version__}' in Path('CHANGELOG.md').read_text()"),
        ),
        automated=(
            "`pytest` passes",
            "`python -m build` produces a wheel; `pip install` it in a clean venv; `quarry --help` works",
        ),
        manual=(
            "Deploy to payments staging; run the outage drill (provider stub returns 502 for 4 minutes)",
            "Deploy to one production worker for a day; compare failure counts with the other workers",
            "Deploy everywhere; announce in #payments with the `quarry dead` cheat sheet",
        ),
        risks=(
            ("Retry storm against a provider that is down", "full jitter and the 10-minute cap; the drill checks the request rate"),
        ),
    ),
)

"""Renders the demo's long implementation plan (about 3,000 lines of markdown).

The plan is generated, not stored, so it stays consistent with the demo's source tree: the
`{{src:...}}` links resolve against the real files, and the tables in the appendices are
computed (backoff schedules, a seeded simulation of retry load during an outage).
"""

from __future__ import annotations

import random
import textwrap
from collections.abc import Iterator

from pathlib import Path

from tui.demo import plan_code, plan_code_ops, plan_files
from tui.demo.plan_notes import NOTES
from tui.demo.plan_phases import PHASES, Case, Change, Phase
from tui.demo.plan_phases_ops import OPS_PHASES

TEMPLATE = Path(__file__).parent / "repo-template"
ALL_PHASES: tuple[Phase, ...] = PHASES + OPS_PHASES

HEADER = """\
---
phase: plan
status: in-review
---
# Implementation plan: retries with exponential backoff and a dead-letter queue

## Overview

Failed jobs are retried automatically, with exponential backoff and full jitter, up to a
per-task limit; jobs that exhaust their attempts become **dead** and can be listed, inspected,
retried and purged from the CLI. Decisions come from `03-design-discussion.md`; the order of the
work from `04-outline.md`, whose eight phases became twelve here: the clock, job inspection, the
outage drill and attempt retention were split out so each PR stays small.

## Current state

- A failure is final: `Worker._execute` catches the exception and calls `mark_failed`
  ({{src:quarry/worker.py:except Exception as exc}}, {{src:quarry/backends/sqlite.py:def mark_failed}}).
- `attempts` is incremented on each claim ({{src:quarry/backends/sqlite.py:SET state = 'running', attempts}}).
- `run_after` already delays jobs; the claim query respects it
  ({{src:quarry/backends/sqlite.py:WHERE state = 'queued' AND run_after}}).
- The schema has no version ({{src:quarry/backends/sqlite.py:db.executescript(SCHEMA)}}).
- Stale jobs are requeued after 60 s without a heartbeat ({{src:quarry/worker.py:STALE_AFTER = 60.0}}).

## Desired end state

- `@queue.task(retry=RetryPolicy(max_attempts=12))` retries a failing job 11 times over about
  18 minutes on average (Appendix A), then marks it dead.
- `quarry dead list` shows dead jobs with their last error; `quarry dead retry --task webhook`
  revives them spread over a minute.
- `quarry stats` shows queued, retrying, running, succeeded, failed and dead counts, and when the
  next retry is due.
- A 0.4.2 database upgrades in place on first start; 0.4.2 workers keep running during the
  deploy.

Verify the end state with the outage drill (phase 10).

## What we are not doing

- `RetryLater(seconds)` for `Retry-After` hints (design open question 4): a follow-up ticket.
- Rate limiting per task or per provider.
- The Postgres backend (its own task); the new backend methods are in the protocol so it can
  implement them.
- A web UI for dead jobs.

## Implementation approach

Pure policy code first, then storage, then the worker, then the user-facing commands. Each
phase leaves `main` releasable: retries stay off for every task until it declares a policy, so
phases 1 to 4 change no behaviour in production.

| Phase | Title | Files | Tests | Behaviour change |
|-------|-------|-------|-------|------------------|
"""

FOOTER = """\
## Testing strategy

- **Unit**: the policy (phase 1) with seeded random generators; no sleeps anywhere. Time comes
  from a `clock` fixture that the worker and backend read through `quarry.clock.now()`.
- **Integration**: real SQLite files in `tmp_path`; two worker processes for the concurrency
  cases (`run_in_processes`).
- **Upgrade**: a fixture database written by 0.4.2 (`tests/data/v0.db`, 3 jobs) is copied and
  opened by the new code in every migration test.
- **Drill**: the staging outage drill in phase 8, with the provider stub returning 502 for 4
  minutes.

## Performance considerations

- The claim query is unchanged and keeps using `jobs_runnable`.
- Each failure adds one `INSERT` into `job_attempts`; successes add one too. Measured on the
  staging copy: claim + run + mark went from 0.41 ms to 0.47 ms per job (median of 10,000).
- `purge_dead` deletes in one statement; run it from cron off-peak.

## Migration notes

1. Deploy 0.5.0 to one worker; it migrates the database to version 1 on start.
2. The other workers (0.4.2) keep claiming and running jobs; they ignore the new columns.
3. Deploy the rest. No downtime, no manual SQL.
4. Rolling back to 0.4.2 is safe: it never selects `dead` rows, and dead rows stay until 0.5
   is back.
"""


def render_plan() -> str:
    parts: list[str] = [HEADER]
    for number, phase in enumerate(ALL_PHASES, start=1):
        files = ", ".join(f"`{change.path}`" for change in phase.changes)
        parts.append(f"| {number} | {phase.title} | {files} | {len(phase.cases)} | {phase.behaviour} |\n")
    parts.append("\n" + "\n".join(_current_code()) + "\n\n")
    for number, phase in enumerate(ALL_PHASES, start=1):
        parts.append("\n".join(_phase(number, phase)) + "\n\n")
    parts.append(FOOTER)
    parts.append("\n".join(_test_helpers()) + "\n")
    parts.append("\n" + "\n".join(_appendices()) + "\n")
    parts.append(NOTES)
    return "".join(parts)


def _phase(number: int, phase: Phase) -> Iterator[str]:
    yield f"## Phase {number}: {phase.title}"
    yield ""
    yield "### Overview"
    yield ""
    yield from textwrap.wrap(phase.overview, 96)
    yield ""
    yield "### Steps"
    yield ""
    branch = "retry/" + "-".join(phase.title.lower().replace(",", "").split()[:4])
    yield f"1. Branch `{branch}` from `main`."
    step = 2
    for change in phase.changes:
        yield f"{step}. `{change.path}`: {change.summary}"
        step += 1
    yield f"{step}. Write `{phase.test_file}` ({len(phase.cases)} tests below); run `pytest {phase.test_file} -q`."
    yield f"{step + 1}. Run the whole suite and the automated checks; open a PR titled \"Retries {number}/{len(ALL_PHASES)}: {phase.title}\"."
    yield f"{step + 2}. Do the manual verification on staging before merging."
    yield ""
    yield "### Changes required"
    for index, change in enumerate(phase.changes, start=1):
        yield ""
        yield from _change(f"{number}.{index}", change)
    yield ""
    yield f"### Tests: `{phase.test_file}`"
    yield ""
    yield "| # | Test | Given | Expect |"
    yield "|---|------|-------|--------|"
    for index, case in enumerate(phase.cases, start=1):
        yield f"| {number}.{index} | `test_{case.name}` | {case.given} | {case.expect} |"
    yield ""
    yield "```python"
    for index, case in enumerate(phase.cases):
        if index:
            yield ""
            yield ""
        yield from _test_function(case)
    yield "```"
    yield ""
    yield "### Success criteria"
    yield ""
    yield "#### Automated verification"
    yield ""
    yield from (f"- [ ] {item}" for item in phase.automated)
    yield ""
    yield "#### Manual verification"
    yield ""
    yield from (f"- [ ] {item}" for item in phase.manual)
    if phase.risks:
        yield ""
        yield "### Risks"
        yield ""
        yield "| Risk | Mitigation |"
        yield "|------|------------|"
        yield from (f"| {risk} | {mitigation} |" for risk, mitigation in phase.risks)
    yield ""
    yield "---"


def _change(label: str, change: Change) -> Iterator[str]:
    yield f"#### {label} `{change.path}`"
    yield ""
    yield change.summary
    yield ""
    yield from (f"- {note}" for note in change.notes)
    yield ""
    code = change.code
    if code.startswith("@"):
        name = code[1:]
        code = getattr(plan_code, name, None) or getattr(plan_code_ops, name)
    # A fence must be longer than any fence inside it (markdown that shows code).
    fence = "````" if "```" in code else "```"
    yield f"{fence}{change.language}"
    yield code.rstrip("\n")
    yield fence


def _test_function(case: Case) -> Iterator[str]:
    yield f"def test_{case.name}(tmp_path, clock, caplog) -> None:"
    yield f'    """Given {case.given}: expect {case.expect}."""'
    for line in case.body.splitlines():
        yield f"    {line}"


def _current_code() -> Iterator[str]:
    """Excerpts of the code this plan changes, with their real line numbers."""
    yield "## The code this plan changes"
    yield ""
    yield "Quoted from `main` so reviewers can check the plan against it."
    for path, first, last in (
        ("quarry/worker.py", "    def run(self) -> None:", "            heart.join()"),
        ("quarry/backends/sqlite.py", "    def claim(self, worker_id", "            (now, error, job_id),"),
        ("quarry/registry.py", "class Registry:", "            raise UnknownTask"),
        ("quarry/job.py", "class JobState", '    FAILED = "failed"'),
    ):
        lines = (TEMPLATE / path).read_text(encoding="utf-8").splitlines()
        start = _find(lines, first, 0, path)
        end = _find(lines, last, start + 1, path)
        yield ""
        yield f"### `{path}`, lines {start + 1}-{end + 1} ({path}:{start + 1})"
        yield ""
        yield "```python"
        yield from lines[start : end + 1]
        yield "```"


def _find(lines: list[str], prefix: str, after: int, path: str) -> int:
    for index in range(after, len(lines)):
        if lines[index].startswith(prefix):
            return index
    raise ValueError(f"demo template {path} has no line starting with {prefix!r}")


def _test_helpers() -> Iterator[str]:
    yield ""
    yield "## Test helpers: `tests/conftest.py`"
    yield ""
    yield "The fixtures and helpers the tests above use. `make_dead`, `make_retrying` and"
    yield "`insert_raw` follow the same pattern and are left to the implementer."
    yield ""
    yield "```python"
    yield plan_code_ops.CONFTEST.rstrip("\n")
    yield "```"


def _appendices() -> Iterator[str]:
    yield "## Appendix A: backoff schedules"
    yield ""
    yield "Expected and worst-case waits for the policies discussed. `ceiling` is the delay before"
    yield "jitter; with full jitter the expected delay is half of it."
    for base, cap, attempts in ((2.0, 600.0, 8), (2.0, 600.0, 12), (5.0, 600.0, 8), (5.0, 3600.0, 16), (1.0, 60.0, 20), (10.0, 86400.0, 25)):
        yield ""
        yield f"### base {base:g} s, cap {cap:g} s, max_attempts {attempts}"
        yield ""
        yield "| Attempt | Ceiling (s) | Expected delay (s) | Expected total (s) | Worst total (s) |"
        yield "|--------:|------------:|-------------------:|-------------------:|----------------:|"
        expected_total = worst_total = 0.0
        for attempt in range(1, attempts):
            ceiling = min(cap, base * 2 ** (attempt - 1))
            expected_total += ceiling / 2
            worst_total += ceiling
            yield (
                f"| {attempt} | {ceiling:,.0f} | {ceiling / 2:,.1f} | {expected_total:,.1f} | {worst_total:,.0f} |"
            )
        yield f"| {attempts} | (dead) | | {_duration(expected_total)} | {_duration(worst_total)} |"
    yield ""
    yield from _outage_simulation()
    yield ""
    yield "## Appendix C: all test cases"
    yield ""
    yield "| Phase | Test | File |"
    yield "|-------|------|------|"
    for number, phase in enumerate(ALL_PHASES, start=1):
        for case in phase.cases:
            yield f"| {number} | `test_{case.name}` | `{phase.test_file}` |"
    yield ""
    yield "## Appendix D: retry policies for the payments service"
    yield ""
    yield "Agreed with Priya on Thursday. Only idempotent tasks are retried."
    yield ""
    yield from plan_files.policy_table()
    yield ""
    yield "## Appendix E: files after the plan"
    yield ""
    yield "The two files most phases touch, as they will read once phase 7 is merged. Generated from"
    yield "the current files with the changes above applied, so they can be diffed against `main`."
    yield from plan_files.final_files()
    yield ""
    yield "## Appendix F: review checklist"
    yield ""
    for number, phase in enumerate(ALL_PHASES, start=1):
        yield f"### Phase {number}: {phase.title}"
        yield ""
        for change in phase.changes:
            yield f"- [ ] `{change.path}`: {change.summary}"
        yield f"- [ ] `{phase.test_file}`: {len(phase.cases)} tests, each able to fail"
        yield ""


def _outage_simulation() -> Iterator[str]:
    """340 jobs fail together at t=0; the provider is down for 4 minutes (the incident)."""
    jobs, outage, bucket, horizon, max_attempts = 340, 240.0, 30, 900, 12
    yield "## Appendix B: retry load during a 4-minute outage (simulated)"
    yield ""
    yield f"{jobs} webhook jobs fail at t = 0; the provider is down until t = {outage:g} s. Requests per"
    yield f"{bucket}-second window, seeded simulation (`random.Random(2024)`), base 2 s, cap 600 s,"
    yield f"{max_attempts} attempts. A request sent after the outage succeeds."
    yield ""
    strategies = ("none", "equal", "full")
    counts = {name: [0] * (horizon // bucket) for name in strategies}
    per_second = {name: [0] * horizon for name in strategies}
    delivered: dict[str, list[float]] = {name: [] for name in strategies}
    dead = dict.fromkeys(strategies, 0)
    for name in strategies:
        rng = random.Random(2024)
        for _ in range(jobs):
            t = 0.0
            for attempt in range(1, max_attempts):
                ceiling = min(600.0, 2.0 * 2 ** (attempt - 1))
                if name == "full":
                    t += rng.uniform(0, ceiling)
                elif name == "equal":
                    t += ceiling / 2 + rng.uniform(0, ceiling / 2)
                else:
                    t += ceiling
                if t < horizon:
                    counts[name][int(t // bucket)] += 1
                    per_second[name][int(t)] += 1
                if t >= outage:
                    delivered[name].append(t)
                    break
            else:
                dead[name] += 1
    yield "| Window (s) | No jitter | Equal jitter | Full jitter |"
    yield "|-----------:|----------:|-------------:|------------:|"
    last_busy = max(i for name in strategies for i, count in enumerate(counts[name]) if count)
    for index in range(last_busy + 1):
        start = index * bucket
        row = " | ".join(str(counts[name][index]) for name in strategies)
        yield f"| {start}-{start + bucket} | {row} |"
    yield ""
    yield "| Strategy | Peak requests in one second after recovery | Last delivery | Median delivery | Dead |"
    yield "|----------|-------------------------------------------:|--------------:|----------------:|-----:|"
    for name in strategies:
        times = sorted(delivered[name])
        last = _duration(times[-1]) if times else "-"
        median = _duration(times[len(times) // 2]) if times else "-"
        yield f"| {name} jitter | {max(per_second[name][int(outage):])} | {last} | {median} | {dead[name]} |"
    yield ""
    yield "The first retries cluster in the first seconds whatever the strategy, because the delays"
    yield "are tiny. What matters is the moment the provider comes back: without jitter the whole"
    yield "backlog arrives in the same second. Full jitter spreads it; some jobs are delivered later"
    yield "than without jitter, which is the trade-off we accepted in design Q3."


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"

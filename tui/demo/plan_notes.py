"""Hand-written closing appendices of the demo plan: messages, decisions, timeline, glossary."""

from __future__ import annotations

NOTES = """\
## Appendix G: log lines and messages

Every message a user or operator can see, so reviewers can judge them together. Messages say
what happened and what to do; none of them is only "an error occurred".

| Where | Level | Message | When | What the reader does |
|-------|-------|---------|------|----------------------|
| worker | WARNING | `job 81234 (deliver_webhook) failed on attempt 2/12, retrying in 3.1s: provider answered 502` | a retryable failure | nothing; watch `quarry stats` if it repeats |
| worker | ERROR | `job 81234 (deliver_webhook) is dead after 12 attempt(s): provider answered 502` | the last attempt failed | `quarry dead show 81234`, then `dead retry` |
| worker | ERROR | `job 81234 (old_task) is dead after 1 attempt(s): no task named 'old_task' (known: ...)` | task removed from the code | re-deploy the task or purge the job |
| worker | WARNING | `requeued 3 job(s) from workers that stopped heartbeating` | a worker died mid-job | check why the worker died |
| startup | ERROR | `database schema is version 2, this quarry knows 1; upgrade quarry on this machine` | old code on a newer database | upgrade quarry |
| import | DeprecationWarning | `task 'send_receipt_email' has no retry policy; it will not be retried. Pass retry=...` | a task without a policy | add `retry=RetryPolicy(...)` or `retry=NO_RETRY` |
| CLI | stderr, exit 1 | `quarry: job 81234 is not dead` | `dead show` on a live job | use `quarry job show` |
| CLI | stderr, exit 1 | `quarry: no job 81234` | unknown id | check the id |
| CLI | stdout | `requeued 340 job(s) over 60s` | `dead retry --task` | watch `quarry stats` |
| CLI | stdout | `purged 1,204 dead job(s) older than 14 day(s)` | `dead purge` | nothing |
| policy | ValueError | `max_attempts must be at least 1 (1 means: never retry)` | a bad policy at import | fix the policy |
| policy | ValueError | `need 0 < base <= cap` | a bad policy at import | fix the policy |

## Appendix H: decision log

| # | Question | Decision | Source |
|---|----------|----------|--------|
| Q1 | Where does the retry decision live? | In the worker, which has the exception object | design discussion |
| Q2 | How are dead jobs stored? | A `dead` state in `jobs`, as Sidekiq and Oban do | design discussion |
| Q3 | Default policy? | base 2 s, cap 600 s, full jitter; opt-in per task until 0.6 | design discussion |
| Q4 | Schema migrations? | `PRAGMA user_version`, one transaction | design discussion |
| Q5 | Attempt history? | `job_attempts` table | design discussion |
| O1 | Rate limit for `dead retry --task`? | Spread with full jitter over `--spread` seconds (default 60) | Priya, Thursday |
| O2 | `give_up_on` and subclasses? | `isinstance` semantics, documented with the `IOError` example | team, Thursday |
| O3 | Removed tasks? | `UnknownTask` is never retried | team, Thursday |
| O4 | `Retry-After` hints? | Not in this ticket; follow-up filed | team, Thursday |
| O5 | Clock skew? | Noted in the Postgres ticket; use the server clock there | team, Thursday |

## Appendix I: timeline

| Phase | Estimate | Depends on | Reviewer |
|-------|----------|------------|----------|
| 1. Clock | 0.5 day | none | Sam |
| 2. Retry policy | 0.5 day | none | Sam |
| 3. Schema and migration | 1 day | none | Priya |
| 4. Backend API | 1 day | 3 | Sam |
| 5. Worker integration | 1 day | 1, 2, 4 | Priya |
| 6. Per-task policies | 0.5 day | 5 | Sam |
| 7. Dead-letter CLI | 1 day | 4 | Priya |
| 8. Observability | 0.5 day | 4 | Priya |
| 9. Inspecting one job | 0.5 day | 7 | Sam |
| 10. Outage drill | 0.5 day | 6 | Priya |
| 11. Attempt history retention | 0.5 day | 4 | Sam |
| 12. Release and rollout | 1 day + 1 day soak | all | Sam, Priya |

About 8.5 working days plus a day of soak on one production worker.

## Appendix J: glossary

- **Attempt**: one run of a job by a worker, successful or not. `attempts` counts them.
- **Backoff**: the wait before the next attempt, growing with each failure.
- **Ceiling**: the backoff before jitter, `base * 2^(attempt-1)`, capped at `cap`.
- **Dead job**: a job that failed its last allowed attempt, or failed with a non-retryable
  error. It is kept until purged and can be revived.
- **Full jitter**: a delay drawn uniformly between 0 and the ceiling.
- **Equal jitter**: half the ceiling plus a uniform draw over the other half.
- **Retrying job**: a queued job with at least one attempt behind it.
- **Stale job**: a running job whose worker stopped sending heartbeats for `STALE_AFTER`.
"""

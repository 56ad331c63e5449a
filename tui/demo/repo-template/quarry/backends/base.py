"""What a storage backend must provide. SQLite is the only one today."""

from __future__ import annotations

from typing import Any, Protocol

from quarry.job import Job, JobState


class Backend(Protocol):
    def insert(self, task: str, payload: dict[str, Any], *, enqueued_at: float, run_after: float) -> Job: ...

    def get(self, job_id: int) -> Job | None: ...

    def claim(self, worker_id: str, now: float) -> Job | None:
        """Atomically take the oldest runnable job, or return None."""
        ...

    def mark_succeeded(self, job_id: int, now: float) -> None: ...

    def mark_failed(self, job_id: int, now: float, error: str) -> None: ...

    def heartbeat(self, job_id: int, now: float) -> None: ...

    def requeue_stale(self, older_than: float) -> int:
        """Put back jobs whose worker stopped sending heartbeats; returns how many."""
        ...

    def counts(self) -> dict[JobState, int]: ...

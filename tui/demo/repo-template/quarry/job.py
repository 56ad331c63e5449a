"""A job: one call of a registered task, with its arguments and its history."""

from __future__ import annotations

import enum
import json
import time
from dataclasses import dataclass, field
from typing import Any


class JobState(str, enum.Enum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass
class Job:
    id: int
    task: str
    payload: dict[str, Any]
    state: JobState = JobState.QUEUED
    attempts: int = 0
    enqueued_at: float = field(default_factory=time.time)
    run_after: float = 0.0
    started_at: float | None = None
    finished_at: float | None = None
    worker_id: str | None = None
    heartbeat_at: float | None = None
    last_error: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> Job:
        return cls(
            id=row["id"],
            task=row["task"],
            payload=json.loads(row["payload"]),
            state=JobState(row["state"]),
            attempts=row["attempts"],
            enqueued_at=row["enqueued_at"],
            run_after=row["run_after"],
            started_at=row["started_at"],
            finished_at=row["finished_at"],
            worker_id=row["worker_id"],
            heartbeat_at=row["heartbeat_at"],
            last_error=row["last_error"],
        )

    @property
    def runtime(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at

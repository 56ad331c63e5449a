"""The public API: register tasks, enqueue jobs, inspect the queue."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from quarry.backends.base import Backend
from quarry.backends.sqlite import SQLiteBackend
from quarry.job import Job, JobState
from quarry.registry import Registry, TaskFunc


class Queue:
    def __init__(self, backend: Backend | str = "quarry.db") -> None:
        self.backend = SQLiteBackend(backend) if isinstance(backend, str) else backend
        self.registry = Registry()

    def task(self, name: str | None = None) -> Callable[[TaskFunc], TaskFunc]:
        """Decorator: `@queue.task()` registers a function under its own name."""

        def decorate(func: TaskFunc) -> TaskFunc:
            return self.registry.register(name or func.__name__, func)

        return decorate

    def enqueue(self, task: str, payload: dict[str, Any] | None = None, *, delay: float = 0.0) -> Job:
        if task not in self.registry.names():
            # Enqueueing a typo would only fail much later, in a worker log nobody reads.
            self.registry.get(task)
        now = time.time()
        return self.backend.insert(task, payload or {}, enqueued_at=now, run_after=now + delay)

    def get(self, job_id: int) -> Job | None:
        return self.backend.get(job_id)

    def counts(self) -> dict[JobState, int]:
        return self.backend.counts()

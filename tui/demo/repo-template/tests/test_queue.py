from pathlib import Path

import pytest

from quarry import JobState, Queue
from quarry.registry import UnknownTask


@pytest.fixture
def queue(tmp_path: Path) -> Queue:
    q = Queue(str(tmp_path / "jobs.db"))

    @q.task()
    def add(a: int, b: int) -> int:
        return a + b

    return q


def test_enqueue_then_get(queue: Queue) -> None:
    job = queue.enqueue("add", {"a": 1, "b": 2})
    assert queue.get(job.id).state is JobState.QUEUED


def test_enqueue_unknown_task_fails_early(queue: Queue) -> None:
    with pytest.raises(UnknownTask, match="no task named 'ad'"):
        queue.enqueue("ad", {})


def test_claim_takes_each_job_once(queue: Queue) -> None:
    first = queue.enqueue("add", {"a": 1, "b": 2})
    claimed = queue.backend.claim("w1", now=first.run_after)
    assert claimed is not None and claimed.id == first.id
    assert queue.backend.claim("w2", now=first.run_after) is None


def test_delayed_job_waits(queue: Queue) -> None:
    job = queue.enqueue("add", {"a": 1, "b": 2}, delay=30)
    assert queue.backend.claim("w1", now=job.enqueued_at) is None
    assert queue.backend.claim("w1", now=job.run_after) is not None

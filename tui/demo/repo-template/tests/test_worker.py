from pathlib import Path

from quarry import JobState, Queue, Worker


def test_failed_job_records_the_error(tmp_path: Path) -> None:
    queue = Queue(str(tmp_path / "jobs.db"))

    @queue.task()
    def explode() -> None:
        raise RuntimeError("boom")

    job = queue.enqueue("explode")
    assert Worker(queue).run_once()
    failed = queue.get(job.id)
    assert failed.state is JobState.FAILED
    assert "RuntimeError: boom" in failed.last_error


def test_success(tmp_path: Path) -> None:
    queue = Queue(str(tmp_path / "jobs.db"))
    seen: list[int] = []

    @queue.task()
    def record(n: int) -> None:
        seen.append(n)

    job = queue.enqueue("record", {"n": 7})
    Worker(queue).run_once()
    assert seen == [7]
    assert queue.get(job.id).state is JobState.SUCCEEDED

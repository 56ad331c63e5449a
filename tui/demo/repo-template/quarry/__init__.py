"""quarry: a small, durable background job queue backed by SQLite."""

from quarry.job import Job, JobState
from quarry.queue import Queue
from quarry.worker import Worker

__all__ = ["Job", "JobState", "Queue", "Worker"]
__version__ = "0.4.2"

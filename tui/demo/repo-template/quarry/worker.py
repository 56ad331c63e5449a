"""The worker loop: claim a job, run it, record the outcome, repeat."""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
import traceback
from types import FrameType

from quarry.job import Job
from quarry.queue import Queue

log = logging.getLogger("quarry.worker")

HEARTBEAT_INTERVAL = 10.0
# A job whose heartbeat is older than this is presumed orphaned by a dead worker.
STALE_AFTER = 60.0


class Worker:
    def __init__(self, queue: Queue, *, poll_interval: float = 1.0) -> None:
        self.queue = queue
        self.poll_interval = poll_interval
        self.worker_id = f"{socket.gethostname()}:{os.getpid()}"
        self._stopping = threading.Event()

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self._handle_stop)
        signal.signal(signal.SIGINT, self._handle_stop)

    def _handle_stop(self, signum: int, frame: FrameType | None) -> None:
        log.info("received signal %s, finishing the current job then stopping", signum)
        self._stopping.set()

    def stop(self) -> None:
        self._stopping.set()

    def run(self) -> None:
        log.info("worker %s started, tasks: %s", self.worker_id, ", ".join(self.queue.registry.names()))
        while not self._stopping.is_set():
            requeued = self.queue.backend.requeue_stale(time.time() - STALE_AFTER)
            if requeued:
                log.warning("requeued %d job(s) from workers that stopped heartbeating", requeued)
            if not self.run_once():
                self._stopping.wait(self.poll_interval)
        log.info("worker %s stopped", self.worker_id)

    def run_once(self) -> bool:
        """Run one job if there is one. Returns whether a job ran."""
        job = self.queue.backend.claim(self.worker_id, time.time())
        if job is None:
            return False
        self._execute(job)
        return True

    def _execute(self, job: Job) -> None:
        beating = threading.Event()
        heart = threading.Thread(target=self._heartbeat, args=(job.id, beating), daemon=True)
        heart.start()
        try:
            func = self.queue.registry.get(job.task)
            func(**job.payload)
        except Exception as exc:
            # Today a failure is final: the job stays failed until someone re-enqueues it.
            log.error("job %d (%s) failed on attempt %d: %s", job.id, job.task, job.attempts, exc)
            error = "".join(traceback.format_exception(exc))
            self.queue.backend.mark_failed(job.id, time.time(), error)
        else:
            self.queue.backend.mark_succeeded(job.id, time.time())
        finally:
            beating.set()
            heart.join()

    def _heartbeat(self, job_id: int, done: threading.Event) -> None:
        while not done.wait(HEARTBEAT_INTERVAL):
            self.queue.backend.heartbeat(job_id, time.time())

"""A plan run's state on disk: which plan phase runs in which session, and how each ended.

One JSON file per task under the repository's data folder (`plan-runs/<task>.json`, 0600),
so a restarted loupe, or `loupe task run implement --go` from a shell, continues where the
last one stopped. Changes are made under an exclusive lock on the task's lock file, so the
app and the CLI stepping one run at once never start a phase twice.
"""

from __future__ import annotations

import dataclasses
import fcntl
import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from tui import locations, private_files
from tui.phases.errors import PlanError

# A phase's status: waiting, its session at work, its checks running, or how it ended.
PENDING, RUNNING, CHECKING, DONE, CHECKS_FAILED, FAILED = (
    "pending", "running", "checking", "done", "checks-failed", "failed")
STOPPED = (CHECKS_FAILED, FAILED)


@dataclass
class PhaseProgress:
    number: int
    title: str
    status: str = PENDING
    session: str = ""
    started_at: float | None = None
    finished_at: float | None = None
    # The session was seen at work (not only in its first moments), so idle now means done.
    seen_working: bool = False
    checks_exit: int | None = None
    # Where the checks' output was saved.
    checks_log: str = ""
    # Why it stopped, or who marked it done.
    detail: str = ""

    @property
    def label(self) -> str:
        return f"Phase {self.number}" + (f": {self.title}" if self.title else "")


@dataclass
class PlanRun:
    task_dir: str
    task: str
    recipe: str
    plan: str
    # Start the next phase by itself once one is done (else wait for go).
    auto: bool
    # The plan had no `## Phase N` headings and runs as one phase.
    whole: bool
    phases: list[PhaseProgress]
    agent: str = ""
    created_at: float = field(default_factory=time.time)

    @property
    def current(self) -> PhaseProgress | None:
        """The phase being worked on or waiting to start; None when all are done."""
        return next((p for p in self.phases if p.status != DONE), None)

    @property
    def finished(self) -> bool:
        return self.current is None

    def previous(self, phase: PhaseProgress) -> PhaseProgress | None:
        index = self.phases.index(phase)
        return self.phases[index - 1] if index else None

    def phase_of_session(self, session_id: str) -> PhaseProgress | None:
        return next((p for p in self.phases if p.session == session_id), None)

    def summary(self) -> str:
        done = sum(1 for p in self.phases if p.status == DONE)
        current = self.current
        where = f"; {current.label}: {current.status}" if current else ""
        return f"{done}/{len(self.phases)} plan phases done{where}"

    def to_dict(self) -> dict[str, object]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> PlanRun:
        phases = [PhaseProgress(**p) for p in data.pop("phases")]
        return cls(phases=phases, **data)


class RunStore:
    """Plan runs of one repository's tasks."""

    def __init__(self, repo_root: Path) -> None:
        self.folder = locations.repo_data_dir(repo_root) / "plan-runs"

    def path(self, task_slug: str) -> Path:
        return self.folder / f"{task_slug}.json"

    def load(self, task_slug: str) -> PlanRun | None:
        path = self.path(task_slug)
        try:
            return PlanRun.from_dict(json.loads(path.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError, KeyError) as exc:
            raise PlanError(f"the plan run state {path} is unreadable ({exc}); delete it to start "
                            "the plan over") from exc

    def save(self, run: PlanRun) -> None:
        private_files.private_dir(self.folder)
        private_files.write_private(self.path(run.task), json.dumps(run.to_dict(), indent=2) + "\n")

    def delete(self, task_slug: str) -> None:
        self.path(task_slug).unlink(missing_ok=True)

    def log_path(self, task_slug: str, number: int) -> Path:
        return self.folder / f"{task_slug}.phase-{number}.checks.log"

    @contextmanager
    def locked(self, task_slug: str, *, wait: bool = True) -> Iterator[bool]:
        """Exclusive, across processes, for one task's run (released if the process dies).
        Yields False, without waiting, when `wait` is off and someone else holds it."""
        private_files.private_dir(self.folder)
        fd = private_files.open_private(self.folder / f"{task_slug}.lock", os.O_RDWR)
        try:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            yield True
        finally:
            os.close(fd)

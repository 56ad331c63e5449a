"""What runs on each task now, in a few words for its row in the task list.

    task_activity(tasks, snapshots, runs)  ->  {task folder: "2 live: research working · plan 1/3"}

Called on every tick of the session monitor, so folders are resolved once and remembered
(`_real`): resolving each task's folder several times a second would be wasted system calls.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path

from tui.phases.runs import PlanRun
from tui.sessions.model import Snapshot
from tui.sessions.status_file import State
from tui.tasks.model import Task

_STATE_WORDS = {State.NEEDS_INPUT: "NEEDS YOU"}


@lru_cache(maxsize=2048)
def _real(path: Path) -> str:
    return os.path.realpath(path)


def task_activity(tasks: Iterable[Task], snapshots: Sequence[Snapshot],
                  runs: Iterable[PlanRun] = ()) -> dict[Path, str]:
    """Per task folder with something running: its live sessions (phase and state) and its
    unfinished plan run; tasks with nothing running are left out."""
    live: dict[str, list[Snapshot]] = {}
    for snapshot in snapshots:
        folder = snapshot.session.task_dir
        if snapshot.live and folder is not None:
            live.setdefault(_real(folder), []).append(snapshot)
    plans = {run.task: run for run in runs if not run.finished}
    found: dict[Path, str] = {}
    for task in tasks:
        parts = []
        mine = live.get(_real(task.path), [])
        if mine:
            states = ", ".join(f"{s.session.phase or s.session.agent} {_STATE_WORDS.get(s.state, s.state.value)}"
                               for s in mine)
            parts.append(f"{len(mine)} live: {states}")
        run = plans.get(task.slug)
        if run is not None:
            done = sum(1 for p in run.phases if p.status == "done")
            current = run.current
            parts.append(f"plan {done}/{len(run.phases)}" + (f" ({current.status})" if current else ""))
        if parts:
            found[task.path] = " · ".join(parts)
    return found

"""A task's review rounds for its timeline, read from the review store (`tui.review`).

A round belongs to a task when it reviews one of the task's documents (a file in its
folder), or the diff of one of its sessions. The store is only read, and only when it
exists: showing a timeline never creates a review database.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path

from tui.errors import LoupeError
from tui.phases.timeline import RoundInfo, RoundsOfTask
from tui.review.model import Round, TargetKind, document_path
from tui.tasks.model import Task


def load_rounds(repo: Path) -> list[Round]:
    """Every review round of the repository ([] when there is no review store yet)."""
    from tui.review.store import ReviewStore, default_path

    if not default_path().is_file():
        return []
    try:
        with ReviewStore() as store:
            return store.rounds(repo)
    except (LoupeError, OSError):
        # A broken review store must not hide the rest of the timeline.
        return []


def rounds_of_task(rounds: Sequence[Round], repo: Path, session_ids: Collection[str]) -> RoundsOfTask:
    def of(task: Task) -> Iterator[RoundInfo]:
        folder = os.path.realpath(task.path)
        for found in rounds:
            path: Path | None = None
            if found.target.kind is TargetKind.DOCUMENT:
                path = document_path(repo, found.target.path)
                if os.path.dirname(os.path.realpath(path)) != folder:
                    continue
            elif found.target.session_id not in session_ids:
                continue
            verdict = f" · {found.verdict.label}" if found.verdict is not None else ""
            yield RoundInfo(id=str(found.id), at=found.submitted_at or found.created_at,
                            title=f"review round {found.id} of {found.target.label}",
                            state=f"{found.state.value}{verdict}", path=path)

    return of

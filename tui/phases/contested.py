"""Two writers, one file: which live sessions are set to write which artifact of a task.

A phase session records the artifact its recipe writes (`Session.output`, relative to its
`task_dir`) when it starts, so a config edited since cannot change the answer. Two live
sessions on one artifact would overwrite each other's work: starting the second one is
warned about (the CLI refuses it without `--anyway`), and the pane marks the file.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from tui.sessions.model import Session, Snapshot


def same_folder(a: Path | None, b: Path | None) -> bool:
    return a is not None and b is not None and os.path.realpath(a) == os.path.realpath(b)


def writers(snapshots: Iterable[Snapshot], task_dir: Path, output: str) -> list[Session]:
    """Live sessions set to write `output` of the task in `task_dir`."""
    if not output:
        return []
    return [s.session for s in snapshots
            if s.live and s.session.output == output and same_folder(s.session.task_dir, task_dir)]


def contested(task_dir: Path, snapshots: Iterable[Snapshot]) -> dict[str, list[Session]]:
    """The task's artifacts (by name) that two or more live sessions are set to write."""
    found: dict[str, list[Session]] = {}
    for snapshot in snapshots:
        session = snapshot.session
        if snapshot.live and session.output and same_folder(session.task_dir, task_dir):
            found.setdefault(session.output, []).append(session)
    return {name: sessions for name, sessions in found.items() if len(sessions) > 1}


def start_warning(snapshots: Iterable[Snapshot], task_dir: Path, output: str) -> str | None:
    """What to tell the user before a new session on `output` starts, or None when no live
    session is writing it."""
    busy = writers(snapshots, task_dir, output)
    if not busy:
        return None
    names = ", ".join(f"{s.number} ({s.agent}{', ' + s.phase if s.phase else ''})" for s in busy)
    several = len(busy) > 1
    return (f"session{'s' if several else ''} {names} {'are' if several else 'is'} already writing "
            f"{output} of task {Path(task_dir).name}; a second writer would overwrite "
            f"{'their' if several else 'its'} work. Stop {'them' if several else 'it'} first, "
            "or start anyway")

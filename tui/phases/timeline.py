"""A task's timeline: its sessions, threads, artifacts and review rounds, oldest first.

- Sessions started on the task (their `task_dir` is its folder), live and past, with their
  phase, plan phase, prompt and state.
- Threads filed under the task, and conversations of its sessions' built-in agents.
- Artifacts with their time and who probably wrote them: the session started to write that
  file, a session running in the task folder when it changed, or a session whose worktree
  changed it, such as one started by hand on the task (`diff_paths`: the files its diff
  names, `worktree_changes`; the caller may leave it out, a diff walks a worktree). Each
  session's diff is asked for once per timeline, however many artifacts there are.
  `tui.review.owners` answers a near question for review rounds (which session to send a
  round to: live ones, by worktree, task folder or diff, through a manager); these writers
  are of past sessions too, and a task folder alone does not make a writer, so the two
  stay apart until owners learns `Session.output` and a time window.
- Review rounds, from `rounds`: the review feature's adapter (`RoundsOfTask`), so this module
  needs nothing of it.
"""

from __future__ import annotations

import enum
import os
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui.phases.contested import contested, same_folder
from tui.phases.runs import PlanRun
from tui.sessions.status_file import State
from tui.tasks.model import Task

if TYPE_CHECKING:
    from tui.sessions.manager import SessionManager
    from tui.sessions.model import Session, Snapshot
    from tui.threads.model import Thread

# A file written this long after a session ended still counts as written while it ran
# (mtimes and the end time come from different clocks and polls).
_END_SLACK = 5.0


class Kind(enum.StrEnum):
    SESSION = "session"
    THREAD = "thread"
    ARTIFACT = "artifact"
    ROUND = "round"


@dataclass(frozen=True)
class Writer:
    session_id: str
    number: int
    reason: str


@dataclass(frozen=True)
class RoundInfo:
    """A review round, as the review feature describes it to the timeline."""

    id: str
    at: float
    title: str
    state: str
    path: Path | None = None


RoundsOfTask = Callable[[Task], Iterable[RoundInfo]]


@dataclass(frozen=True)
class Event:
    at: float
    kind: Kind
    # One line: "research · session 2 (claude)", an artifact's name, a thread's title...
    title: str
    phase: str = ""
    # A session's state (working, needs-input, idle, exited 1, removed), a round's state.
    state: str = ""
    # A session's prompt, a thread's kind.
    detail: str = ""
    session_id: str = ""
    thread_id: str = ""
    round_id: str = ""
    path: Path | None = None
    writers: tuple[Writer, ...] = ()
    plan_phase: int | None = None
    # An artifact that two live sessions are set to write.
    contested: bool = False
    # What the event is about (Session, Thread, Artifact or RoundInfo), for the UI to act on.
    ref: Any = field(default=None, compare=False, repr=False)

    def to_dict(self) -> dict[str, Any]:
        out = {key: getattr(self, key) for key in (
            "at", "title", "phase", "state", "detail", "session_id", "thread_id", "round_id",
            "plan_phase", "contested")}
        out["kind"] = str(self.kind)
        out["path"] = str(self.path) if self.path else None
        out["writers"] = [{"session_id": w.session_id, "number": w.number, "reason": w.reason}
                          for w in self.writers]
        return out


def sessions_of(task: Task, sessions: Iterable[Session]) -> list[Session]:
    return [s for s in sessions if same_folder(s.task_dir, task.path)]


def timeline(
    task: Task,
    *,
    sessions: Sequence[Session],
    snapshots: Mapping[str, Snapshot] | None = None,
    threads: Sequence[Thread] = (),
    rounds: RoundsOfTask | None = None,
    run: PlanRun | None = None,
    diff_paths: Callable[[Session], Iterable[str]] | None = None,
    now: float | None = None,
) -> list[Event]:
    """Everything that happened on `task`, oldest first.

    `sessions`: every session of the repository (removed ones too, for the past); `snapshots`
    by session id: the live ones' states (from `SessionManager.poll`).
    """
    now = time.time() if now is None else now
    states = snapshots or {}
    mine = sessions_of(task, sessions)
    events = [_session_event(s, states.get(s.id), run) for s in mine]
    events += _thread_events(task, threads, {s.id for s in mine})
    busy = contested(task.path, states.values())
    changed = _once_each(diff_paths) if diff_paths is not None else None
    for artifact in task.artifacts:
        writers = _writers(artifact.name, artifact.path, artifact.mtime, mine, changed, now)
        events.append(Event(at=artifact.mtime, kind=Kind.ARTIFACT, title=artifact.name,
                            phase=artifact.phase or "", path=artifact.path, writers=writers,
                            contested=artifact.name in busy, ref=artifact))
    for found in rounds(task) if rounds is not None else ():
        events.append(Event(at=found.at, kind=Kind.ROUND, title=found.title, state=found.state,
                            round_id=found.id, path=found.path, ref=found))
    return sorted(events, key=lambda e: e.at)


def _session_event(session: Session, snapshot: Snapshot | None, run: PlanRun | None) -> Event:
    plan_phase = run.phase_of_session(session.id) if run is not None else None
    phase = session.phase or "session"
    where = f" · {plan_phase.label}" if plan_phase else ""
    return Event(at=session.created_at, kind=Kind.SESSION,
                 title=f"{phase}{where} · session {session.number} ({session.agent})",
                 phase=session.phase, state=_state(session, snapshot), detail=session.prompt,
                 session_id=session.id, plan_phase=plan_phase.number if plan_phase else None,
                 ref=session)


def _state(session: Session, snapshot: Snapshot | None) -> str:
    if session.removed_at is not None:
        return "removed"
    if snapshot is None:
        return "exited" if session.ended_at is not None else "unknown"
    if snapshot.state is State.EXITED:
        return "exited" if snapshot.exit_code is None else f"exited {snapshot.exit_code}"
    return snapshot.state.value


def _thread_events(task: Task, threads: Sequence[Thread], session_ids: set[str]) -> list[Event]:
    events = []
    for thread in threads:
        filed = thread.task is not None and same_folder(Path(thread.task), task.path)
        if filed or thread.meta.get("session") in session_ids:
            events.append(Event(at=thread.created_at.timestamp(), kind=Kind.THREAD,
                                title=thread.title or "(untitled thread)", detail=thread.kind,
                                thread_id=thread.id, session_id=str(thread.meta.get("session") or ""),
                                ref=thread))
    return events


def worktree_changes(manager: SessionManager) -> Callable[[Session], list[str]]:
    """`timeline`'s `diff_paths` from the session manager: the files each session's diff
    names (on any host). Live and ended sessions alike: an ended session's worktree stays
    until it is removed, and with it what the session changed. Blocking: call it off the UI
    loop."""
    def paths(session: Session) -> list[str]:
        if session.removed_at is not None:
            return []
        return [changed.path for changed in manager.diff(session).files]

    return paths


def _once_each(diff_paths: Callable[[Session], Iterable[str]]) -> Callable[[Session], frozenset[str]]:
    """`diff_paths` asked once per session; a diff that fails (worktree gone, host
    unreachable) names nothing, so a broken worktree does not hide the rest of the timeline."""
    known: dict[str, frozenset[str]] = {}

    def paths(session: Session) -> frozenset[str]:
        if session.id not in known:
            try:
                known[session.id] = frozenset(diff_paths(session))
            except Exception:  # noqa: BLE001 - any failure of one diff: see above
                known[session.id] = frozenset()
        return known[session.id]

    return paths


def _writers(name: str, path: Path, mtime: float, sessions: Sequence[Session],
             diff_paths: Callable[[Session], frozenset[str]] | None, now: float) -> tuple[Writer, ...]:
    found: list[Writer] = []
    for session in sessions:
        if session.output == name:
            reason = "it was started to write it"
        elif session.in_place and session.created_at <= mtime <= _end(session, now) + _END_SLACK:
            reason = "it ran in the task folder when the file changed"
        elif diff_paths is not None and not session.in_place and _in_diff(session, path, diff_paths):
            reason = "its diff changed it"
        else:
            continue
        found.append(Writer(session.id, session.number, reason))
    return tuple(found)


def _end(session: Session, now: float) -> float:
    return min(t for t in (session.ended_at, session.removed_at, now) if t is not None)


def _in_diff(session: Session, path: Path, diff_paths: Callable[[Session], frozenset[str]]) -> bool:
    try:
        relative = Path(os.path.realpath(path)).relative_to(os.path.realpath(session.repo)).as_posix()
    except ValueError:
        return False
    return relative in diff_paths(session)

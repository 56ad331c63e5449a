"""Which session wrote a document, so a round goes back to it by default.

A session owns a document when the document is in its worktree, or in the task folder it
was started on, or when its diff changed a file at the document's path. Live sessions come
first (only they can act on a round), then the closer reason, then the newest session.
Sessions come from the `SessionManager` API (`poll`, `diff`), read-only.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui.sessions.manager import SessionManager
    from tui.sessions.model import Session

# Reasons, closest first.
WORKTREE = "it is in the session's worktree"
TASK_FOLDER = "it is in the task folder the session works on"
CHANGED = "the session's diff changed it"
_ORDER = {WORKTREE: 0, TASK_FOLDER: 1, CHANGED: 2}


@dataclass(frozen=True, slots=True)
class Owner:
    session: Session
    reason: str
    live: bool


def owners(manager: SessionManager, path: Path, *, look_in_diffs: bool = True) -> list[Owner]:
    """Sessions that may have written `path`, likeliest first.

    Diffs are only computed (one per live session) when no worktree or task folder holds
    the document: a diff costs a walk of the session's files.
    """
    target = path.resolve()
    found: dict[str, Owner] = {}
    snapshots = manager.poll(set())
    for snapshot in snapshots:
        session = snapshot.session
        if _inside(target, session.worktree):
            found[session.id] = Owner(session, WORKTREE, snapshot.live)
        elif session.task_dir is not None and _inside(target, session.task_dir):
            found[session.id] = Owner(session, TASK_FOLDER, snapshot.live)
    if look_in_diffs and not any(owner.live for owner in found.values()):
        relative = _relative(target, manager.root)
        for snapshot in snapshots:
            session = snapshot.session
            if session.id in found or not snapshot.live or relative is None:
                continue
            try:
                changed = {file.path for file in manager.diff(session).files}
            except Exception:  # noqa: BLE001 - a broken worktree must not hide the other owners
                continue
            if relative in changed:
                found[session.id] = Owner(session, CHANGED, True)
    return sorted(found.values(), key=lambda o: (not o.live, _ORDER[o.reason], -o.session.created_at))


def default_owner(candidates: list[Owner]) -> Owner | None:
    """The session a round goes to unless the user picks another: the likeliest live one."""
    return next((owner for owner in candidates if owner.live), None)


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder.resolve())
    except (ValueError, OSError):
        return False
    return True


def _relative(path: Path, root: Path) -> str | None:
    try:
        return path.relative_to(root.resolve()).as_posix()
    except ValueError:
        return None

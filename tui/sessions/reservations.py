"""A worktree made for a session whose record is kept on another machine.

A session on an SSH host is recorded on the machine that started it, but its worktree is made
on the host (`loupe host-op create-worktree`), and the names come back only when that returns.
A start killed in that moment would leave a worktree and branch there that no record names. So
the host writes the names into the session's own files folder there, under its worktree lock
and before the folder and branch exist; discarding or removing the session there reads them
when the record it is given has none. Removing the session's files folder forgets them.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from tui.private_files import write_private
from tui.sessions.local_files import session_files
from tui.sessions.model import Session
from tui.sessions.worktrees import NewWorktree

FILE_NAME = "worktree.json"


def reserve(session_id: str, created: NewWorktree, base_commit: str) -> None:
    """Write down the worktree about to be made for `session_id` on this machine."""
    if not session_id.isalnum():
        raise ValueError(f"not a session id: {session_id!r}")
    folder = session_files(session_id).folder
    folder.mkdir(parents=True, exist_ok=True)
    record = {"path": str(created.path), "branch": created.branch, "name": created.name,
              "base_commit": base_commit}
    write_private(folder / FILE_NAME, json.dumps(record))


def forget(session_id: str) -> None:
    """The start heard the names: the record that started it names the worktree now."""
    if session_id.isalnum():
        (session_files(session_id).folder / FILE_NAME).unlink(missing_ok=True)


def recall(session: Session) -> Session:
    """`session` with the worktree made for it here, if its record names none but one was
    reserved (its start was killed while the worktree was being made)."""
    if not session.in_place or not session.id.isalnum():
        return session
    try:
        record = json.loads((session_files(session.id).folder / FILE_NAME).read_text(encoding="utf-8"))
        return dataclasses.replace(session, worktree=Path(record["path"]), branch=str(record["branch"]),
                                   worktree_name=str(record["name"]), base_commit=str(record["base_commit"]))
    except (OSError, ValueError, KeyError, TypeError):
        return session

"""One look at a session's diff: what to show (everything, or only what changed since you
last looked), what to remember as seen afterwards, and the comments to place on it.

"Since you last looked" is exact for the built-in agent, which records the worktree's tree
after every turn: the diff from the latest turn you saw to the worktree now. Other agents
record nothing, so their diff is narrowed to the hunks not seen yet (`tui.review.viewed`).
Blocking (git, SQLite, files): call it from a worker thread.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui.diffs import FileDiff
from tui.review.errors import ReviewError
from tui.review.model import Round, Target
from tui.review.tracking import Tracked, track_rounds
from tui.review.turns import Turn, diff_since, last_seen_turn, mark_turn_seen, turns
from tui.review.viewed import file_keys, since_last_look
from tui.sessions.model import LOCAL_HOST

if TYPE_CHECKING:
    from pathlib import Path

    from tui.review.session_files import FileSource
    from tui.review.store import ReviewStore
    from tui.sessions.model import Session
    from tui.threads.store import ThreadStore


@dataclass(frozen=True, slots=True)
class DiffLook:
    files: tuple[FileDiff, ...]
    # "3 new or changed hunk(s) since you last looked; 5 seen before", "" for the whole diff.
    summary: str
    # Only part of the diff is shown (what changed since the last look).
    narrowed: bool
    # The diff is from a turn's recorded tree, not the session's base: its old side is that
    # turn's code, which a comment must not call "the code before your change".
    since_turn: Turn | None = None
    # The built-in agent's latest turn, to remember as seen once this look is on screen.
    latest_turn: Turn | None = None


def look(store: ReviewStore, threads: ThreadStore | None, session: Session, files: Sequence[FileDiff],
         *, everything: bool) -> DiffLook:
    """What to show of `files` (the session's whole diff, from its base)."""
    # Turns are diffed with pygit2 here: only for a session on this machine.
    recorded = turns(threads, session.id) if threads is not None and session.host == LOCAL_HOST else []
    latest = recorded[-1] if recorded else None
    if everything:
        return DiffLook(tuple(files), "", False, latest_turn=latest)
    seen_turn = last_seen_turn(store, session.id, recorded) if recorded else None
    if seen_turn is not None:
        try:
            since = diff_since(session, seen_turn.tree)
        except ReviewError:
            since = None  # the tree is gone: fall back to hunks
        if since is not None:
            label = (f"changes since turn {seen_turn.number} ({seen_turn.label}), the last you looked at"
                     if since else f"nothing new since turn {seen_turn.number}, the last you looked at")
            return DiffLook(tuple(since), label, True, since_turn=seen_turn, latest_turn=latest)
    narrowed = since_last_look(files, store.viewed(session.id))
    if narrowed.first_look:
        return DiffLook(tuple(files), "", False, latest_turn=latest)
    return DiffLook(narrowed.files, narrowed.summary, True, latest_turn=latest)


def mark_seen(store: ReviewStore, session_id: str, files: Sequence[FileDiff],
              units: Iterable[tuple[int, int | None]], turn: Turn | None = None) -> None:
    """Remember the hunks that were on screen ((file, hunk) indexes into `files`, hunk None
    for a file without hunks), and the agent's latest turn once any of them was."""
    keys = []
    for file_index, hunk in units:
        if 0 <= file_index < len(files):
            found = file_keys(files[file_index])
            if hunk is None or hunk < len(found):
                keys.append(found[hunk or 0])
    if keys:
        store.mark_viewed(session_id, keys)
    if turn is not None:
        mark_turn_seen(store, session_id, turn)


@dataclass(frozen=True, slots=True)
class DiffComments:
    tracked: list[Tracked]
    rounds: dict[int, Round]

    @property
    def draft(self) -> Round | None:
        return next((r for r in self.rounds.values() if r.is_draft), None)


def diff_comments(store: ReviewStore, repo: Path, session_id: str, files: FileSource) -> DiffComments:
    """Every comment made on the session's diff, placed in its files now (`files`, where
    the session runs)."""
    rounds = {r.id: r for r in store.rounds(repo, session_id=session_id) if r.target == Target.diff(session_id)}
    comments = store.comments(rounds) if rounds else []
    return DiffComments(track_rounds(rounds.values(), comments, {session_id: files}), rounds)

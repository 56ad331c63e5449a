"""A built-in agent's work turn by turn: what changed since the turn you last looked at.

The built-in agent records the worktree as a git tree after each turn (the `snapshot` of
its reply, `tui.agent.snapshot`). For its sessions "since you last looked" can be exact: the
diff from the tree of the turn you last looked at to the worktree now. Other agents record
no trees; their diff is narrowed hunk by hunk instead (`tui.review.viewed`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui.diffs import FileDiff, parse_unified_diff
from tui.review.errors import ReviewError

if TYPE_CHECKING:
    from tui.review.store import ReviewStore
    from tui.sessions.model import Session
    from tui.threads.store import ThreadStore

# How a looked-at turn is remembered among a session's viewed hunks.
_TREE_KEY = "tree:"


@dataclass(frozen=True, slots=True)
class Turn:
    # 1-based, in the order the agent worked.
    number: int
    message_id: str
    # The worktree's git tree after this turn.
    tree: str
    label: str


def turns(threads: ThreadStore, session_id: str) -> list[Turn]:
    """The turns of the session's built-in agent that recorded a tree, oldest first; empty
    for other agents."""
    from tui.agent.fork import ForkError, agent_thread_of_session, fork_points

    try:
        thread = agent_thread_of_session(threads, session_id)
    except ForkError:
        return []
    found: list[Turn] = []
    seen: set[str] = set()
    for point in fork_points(threads.history(thread.id)):
        if point.snapshot and point.message.snapshot and point.snapshot not in seen:
            seen.add(point.snapshot)
            found.append(Turn(len(found) + 1, point.message.id, point.snapshot, point.label))
    return found


def diff_since(session: Session, tree: str) -> list[FileDiff]:
    """What differs between the worktree now and `tree` (a recorded turn), untracked files
    included."""
    import pygit2

    from tui.sessions.worktrees import GENERATED_FILES, open_repo

    repo = open_repo(session.worktree)
    try:
        recorded = repo[tree].peel(pygit2.Tree)
    except (KeyError, ValueError, pygit2.GitError) as exc:
        raise ReviewError(f"the tree {tree[:10]} recorded by the agent is gone from the repository: {exc}") from exc
    flags = (pygit2.enums.DiffOption.INCLUDE_UNTRACKED | pygit2.enums.DiffOption.RECURSE_UNTRACKED_DIRS
             | pygit2.enums.DiffOption.SHOW_UNTRACKED_CONTENT)
    diff = recorded.diff_to_workdir(flags=flags)
    diff.find_similar()
    return [f for f in parse_unified_diff(diff.patch or "") if f.path not in GENERATED_FILES]


def mark_turn_seen(store: ReviewStore, session_id: str, turn: Turn) -> None:
    store.mark_viewed(session_id, [_TREE_KEY + turn.tree])


def last_seen_turn(store: ReviewStore, session_id: str, among: list[Turn]) -> Turn | None:
    """The latest of `among` marked seen, or None."""
    seen = {key[len(_TREE_KEY):] for key in store.viewed(session_id) if key.startswith(_TREE_KEY)}
    return next((turn for turn in reversed(among) if turn.tree in seen), None)

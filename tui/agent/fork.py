"""Fork a built-in agent's session at one of its messages: the conversation and the code.

"Fork this session at message M" means:

1. a new thread at M (the store's fork: one row, nothing copied). M is where a conversation
   can safely go on: a turn whose tool calls all have results is forked after its last
   result, so the fork never starts between a call and its answer;
2. a commit of the worktree as recorded at M (the `snapshot` tree written after that turn),
   whose parent is the session's base commit, reachable from no branch;
3. a new session, in a new worktree started from that commit, running
   `loupe agent --thread <fork>`, which continues the conversation from M.

The original thread, session, worktree and branch are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui.agent.errors import AgentError
from tui.agent.tools import describe_call
from tui.threads.model import Message, Role, Status, Thread

if TYPE_CHECKING:
    from tui.sessions.manager import SessionManager
    from tui.sessions.model import Session
    from tui.threads.store import ThreadStore


@dataclass(frozen=True)
class ForkPoint:
    # The message the user picks: the prompt, or one of the agent's replies.
    message: Message
    # Where the fork's conversation ends: the message, or the last result of its tool calls.
    fork_at: str
    # The worktree as recorded after that turn (a git tree id), if any was recorded.
    snapshot: str | None
    # 1-based position among the fork points, for the picker.
    number: int
    label: str


class ForkError(AgentError):
    """The session cannot be forked there (no agent thread, an unsafe point, no snapshot)."""


def agent_thread_of_session(store: ThreadStore, session_id: str) -> Thread:
    """The thread the built-in agent of `session_id` works on (the newest, if several)."""
    mine = [t for t in store.list_threads(kind="agent", include_archived=True) if t.meta.get("session") == session_id]
    if mine:
        # Ids sort by creation time.
        return max(mine, key=lambda t: t.id)
    raise ForkError(
        f"session {session_id} has no loupe agent conversation; only sessions running "
        "`loupe agent` can be forked at a message"
    )


def fork_points(history: list[Message]) -> list[ForkPoint]:
    """The places an agent conversation can be forked at, oldest first.

    The first user prompt (the code before the agent did anything) and every finished
    assistant turn whose tool calls all got results.
    """
    points: list[ForkPoint] = []
    last_snapshot: str | None = None
    answered = {m.tool_call_id: i for i, m in enumerate(history) if m.role is Role.TOOL}
    for index, message in enumerate(history):
        if message.snapshot:
            last_snapshot = message.snapshot
        if message.role is Role.USER:
            fork_at = message.id
        elif message.role is Role.ASSISTANT and message.status is Status.COMPLETE:
            calls = [c.get("id") for c in message.tool_calls or []]
            if any(c not in answered for c in calls):
                continue
            fork_at = history[max(answered[c] for c in calls)].id if calls else message.id
        else:
            continue
        snapshot = message.snapshot or last_snapshot
        points.append(ForkPoint(message, fork_at, snapshot, len(points) + 1, _label(message)))
    return points


def _label(message: Message) -> str:
    if message.role is Role.USER:
        return "prompt: " + _first_line(message.content)
    parts = []
    if message.content.strip():
        parts.append(_first_line(message.content))
    for call in message.tool_calls or []:
        function = call.get("function") or {}
        parts.append(describe_call(str(function.get("name", "")), str(function.get("arguments") or "")))
    return " · ".join(parts) or "(empty reply)"


def _first_line(text: str, limit: int = 80) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def find_fork_point(history: list[Message], message_id: str) -> ForkPoint:
    for point in fork_points(history):
        if message_id in (point.message.id, point.fork_at):
            return point
    raise ForkError(
        "that message is not a place to fork at: pick the prompt or a finished reply of the agent "
        "(not one that failed or whose tool calls have not all run)"
    )


@dataclass(frozen=True)
class ForkedSession:
    session: Session
    thread: Thread
    point: ForkPoint
    # The commit the new worktree started from (the code at the fork point).
    commit: str


def fork_session(
    manager: SessionManager, store: ThreadStore, session: Session, message_id: str, *, prompt: str = ""
) -> ForkedSession:
    """Fork `session` (running the built-in agent) at `message_id`; see the module docstring."""
    from tui.agent.snapshot import commit_snapshot
    from tui.sessions.worktrees import Base

    thread = agent_thread_of_session(store, session.id)
    point = find_fork_point(store.history(thread.id), message_id)
    if point.snapshot:
        commit = commit_snapshot(
            session.repo, point.snapshot, session.base_commit,
            f"loupe: code of session {session.number} ({session.task}) at message {point.number}\n\n"
            f"Recorded by the built-in agent in thread {thread.id}, message {point.message.id}.",
        )
    else:
        commit = session.base_commit
    fork = store.fork(thread.id, at=point.fork_at, title=f"{thread.title} (fork at {point.number})")
    try:
        started = manager.start(
            task=f"{session.task} fork", prompt=prompt, agent=session.agent, base=commit,
            agent_args=["--thread", fork.id], recorded_base=Base(session.base_commit, session.base_branch),
        )
    except BaseException:
        store.delete_thread(fork.id)
        raise
    new = started.session
    fork = store.set_meta(fork.id, {**fork.meta, "session": new.id, "cwd": str(new.worktree)})
    return ForkedSession(new, fork, point, commit)

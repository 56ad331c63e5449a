"""Submitting a round: fix its message, then send it to a session, a thread or the clipboard.

Submitting re-anchors every comment in the file as it is now and stores that anchor, so
"addressed" later means "changed after the agent got the round". The message goes to a
session through its queue (`SessionManager.send`): typed in now, or held until the agent
is idle. Rounds to one session keep their order: while anything waits in its queue, a
round sent "now" waits behind it. A session that has ended leaves the round undelivered,
with the reason; `retry` sends it again (to the same session or another).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

from tui.errors import LoupeError
from tui.review.anchoring import DocumentIndex
from tui.review.errors import ReviewError
from tui.review.model import (
    Anchor,
    Comment,
    Destination,
    Round,
    RoundState,
    Scope,
    Side,
    TargetKind,
    Verdict,
    document_path,
)
from tui.review.render import render_round
from tui.review.session_files import FileSource, session_files
from tui.review.store import ReviewStore
from tui.text_files import read_text

if TYPE_CHECKING:
    from tui.sessions.manager import SessionManager
    from tui.sessions.model import Session
    from tui.threads.store import ThreadStore


@dataclass(frozen=True, slots=True)
class Sent:
    round: Round
    # The markdown as sent (what "copy" puts on the clipboard).
    text: str
    session: Session | None = None
    # Waiting in the session's queue for the agent to be idle.
    queued: bool = False


# -- preparing -----------------------------------------------------------------------------


_SentAnchors = dict[int, tuple[Anchor, str | None]]


def _rebased(round_: Round, comments: list[Comment], files: FileSource | None) -> tuple[_SentAnchors, frozenset[int]]:
    """Each comment's anchor in the file as it is now (a diff's: in `files`, where its
    session runs), with the hash of the text it covers; and the ids of comments whose text
    is gone."""
    sent: _SentAnchors = {}
    orphaned: set[int] = set()
    paths = sorted({c.path for c in comments if c.side is not Side.OLD})
    if round_.target.kind is TargetKind.DIFF:
        texts = dict(files.texts(paths)) if files is not None and paths else {}
    else:
        texts = {path: read_text(document_path(round_.repo, path)) for path in paths}
    indexes = {path: DocumentIndex(text) if text is not None else None for path, text in texts.items()}
    for comment in comments:
        if comment.side is Side.OLD:
            sent[comment.id] = (comment.anchor, None)
            continue
        index = indexes.get(comment.path)
        placement = index.place(comment.anchor) if index is not None else None
        if index is None or placement is None or not placement.found:
            orphaned.add(comment.id)
            sent[comment.id] = (comment.anchor, None)
            continue
        if comment.anchor.scope is Scope.SECTION:
            anchor = index.anchor_section(placement.first_line)
        else:
            anchor = index.anchor(placement.start, placement.end)
        sent[comment.id] = (anchor, index.span_hash(placement))
    return sent, frozenset(orphaned)


def _display_paths(round_: Round, reader: Path | None) -> Callable[[str], str]:
    """Paths as the reader can open them. A session reads from its worktree (`reader`), so a
    document elsewhere is named by its absolute path; people (threads, clipboard) read the
    repository's paths."""
    if round_.target.kind is TargetKind.DIFF or reader is None:
        return lambda path: path

    def display(path: str) -> str:
        absolute = document_path(round_.repo, path).resolve()
        try:
            return absolute.relative_to(reader.resolve()).as_posix()
        except ValueError:
            return str(absolute)

    return display


@dataclass(frozen=True, slots=True)
class _Prepared:
    round: Round
    text: str
    sent: _SentAnchors


def _prepare(store: ReviewStore, round_id: int, verdict: Verdict, *, reader: Path | None,
             manager: SessionManager | None) -> _Prepared:
    """The message for a draft, its comments re-anchored in the files as they are now (a
    diff's on its session's host, through `manager`, or one opened for it)."""
    round_ = store.round(round_id)
    if not round_.is_draft:
        raise ReviewError(f"round {round_id} was already submitted ({round_.state.value}); "
                          f"`loupe review retry {round_id}` sends it again")
    comments = store.comments([round_id])
    if not comments and verdict is not Verdict.APPROVE:
        raise ReviewError(f"round {round_id} has no comments; add one, or approve")
    session_id = round_.target.session_id
    if session_id is not None and any(c.side is not Side.OLD for c in comments):
        with session_files(manager, round_.repo, session_id) as files:
            sent, orphaned = _rebased(round_, comments, files)
    else:
        sent, orphaned = _rebased(round_, comments, None)
    rebased = [replace(c, anchor=sent[c.id][0]) for c in comments]
    text = render_round(round_, rebased, verdict, display_path=_display_paths(round_, reader), orphaned=orphaned)
    return _Prepared(round_, text, sent)


# -- destinations --------------------------------------------------------------------------


def submit_to_session(store: ReviewStore, manager: SessionManager, round_id: int, verdict: Verdict,
                      session: Session, *, when_idle: bool = False) -> Sent:
    """Submit and type the round into `session` (or queue it until the agent is idle)."""
    ready = _prepare(store, round_id, verdict, reader=session.worktree, manager=manager)
    round_ = store.mark_submitted(round_id, verdict=verdict, destination=Destination.SESSION, message=ready.text,
                                  sent=ready.sent, to_session=session.id, when_idle=when_idle)
    return _send(store, manager, round_, ready.text, session, when_idle)


def submit_to_thread(store: ReviewStore, threads: ThreadStore, round_id: int, verdict: Verdict,
                     thread_id: str, *, manager: SessionManager | None = None) -> Sent:
    """Submit and add the round to a chat thread as your message (no reply is started)."""
    ready = _prepare(store, round_id, verdict, reader=None, manager=manager)
    threads.append(thread_id, "user", ready.text)
    store.mark_submitted(round_id, verdict=verdict, destination=Destination.THREAD, message=ready.text,
                         sent=ready.sent, to_thread=thread_id)
    return Sent(store.mark_sent(round_id, to_thread=thread_id, delivered=True), ready.text)


def submit_copy(store: ReviewStore, round_id: int, verdict: Verdict, *,
                manager: SessionManager | None = None) -> Sent:
    """Submit and return the message for the clipboard; it counts as delivered (to you)."""
    ready = _prepare(store, round_id, verdict, reader=None, manager=manager)
    store.mark_submitted(round_id, verdict=verdict, destination=Destination.COPY, message=ready.text, sent=ready.sent)
    return Sent(store.mark_sent(round_id, delivered=True), ready.text)


def submit_to_new_session(store: ReviewStore, manager: SessionManager, round_id: int, verdict: Verdict, *,
                          task: str, task_dir: Path | None = None, agent: str | None = None) -> Sent:
    """Submit and start a session on the task with the round as its prompt (for a plan no
    live session owns). The round stays a draft when the session cannot start."""
    if store.round(round_id).target.kind is not TargetKind.DOCUMENT:
        raise ReviewError("a diff round goes to its own session; send it there, or copy it")
    # The new worktree may hold an older copy of the document: name it by its absolute path.
    ready = _prepare(store, round_id, verdict, reader=_NOWHERE, manager=manager)
    session = manager.start(task=task, prompt=ready.text, agent=agent, task_dir=task_dir).session
    store.mark_submitted(round_id, verdict=verdict, destination=Destination.SESSION, message=ready.text,
                         sent=ready.sent, to_session=session.id)
    # Agents that take no prompt argument get it through the queue.
    waiting = manager.store.pending(session.id)
    queue_id = waiting[0].id if waiting else None
    round_ = store.mark_sent(round_id, to_session=session.id, queue_id=queue_id, delivered=queue_id is None)
    return Sent(round_, ready.text, session, queued=queue_id is not None)


# A worktree no document is in.
_NOWHERE = Path("/nonexistent/loupe/review")


def _send(store: ReviewStore, manager: SessionManager, round_: Round, text: str, session: Session,
          when_idle: bool) -> Sent:
    behind = bool(manager.store.pending(session.id))
    try:
        manager.send([session], text, when_idle=when_idle or behind)
    except LoupeError as exc:  # a session that ended, or whose host is unreachable
        return Sent(store.mark_undelivered(round_.id, str(exc)), text, session)
    # `send` reports the session served, not which text: ours may still wait behind another.
    waiting = [q for q in manager.store.pending(session.id) if q.text == text]
    queue_id = waiting[0].id if waiting else None
    updated = store.mark_sent(round_.id, to_session=session.id, queue_id=queue_id,
                              delivered=queue_id is None, when_idle=when_idle)
    return Sent(updated, text, session, queued=queue_id is not None)


def retry(store: ReviewStore, manager: SessionManager, round_id: int, session: Session | None = None, *,
          when_idle: bool = False) -> Sent:
    """Send an undelivered (or still queued) round again: to `session`, else where it went."""
    round_ = store.round(round_id)
    if round_.state is RoundState.DRAFT:
        raise ReviewError(f"round {round_id} is a draft; submit it first")
    if round_.state is RoundState.DELIVERED:
        raise ReviewError(f"round {round_id} was already delivered; `loupe review show {round_id}` prints it")
    if round_.queue_id is not None and manager.store.queued_state(round_.queue_id) == "pending":
        raise ReviewError(f"round {round_id} is still queued for session {round_.to_session}; "
                          "it is typed in when the agent is idle")
    target = session or manager.get(round_.to_session or "")
    text = round_.message
    if target.id != round_.to_session:
        comments = store.comments([round_id])
        orphaned = frozenset(c.id for c in comments if c.sent_hash is None and c.side is not Side.OLD)
        text = render_round(round_, comments, round_.verdict or Verdict.COMMENT,
                            display_path=_display_paths(round_, target.worktree), orphaned=orphaned)
        store.set_message(round_id, text)
    return _send(store, manager, round_, text, target, when_idle)


def refresh(store: ReviewStore, manager: SessionManager, *, poll: bool = True) -> list[Round]:
    """Settle rounds waiting in session queues: delivered, or undelivered when the session
    ended first. Returns the rounds that changed (cheap when none wait).

    A poll records sessions that ended, which drops their queues; a caller that has just
    polled (the app's monitor, after `deliver_queued`) passes `poll=False`.
    """
    waiting = [r for r in store.rounds(manager.root, states=[RoundState.SUBMITTED]) if r.queue_id is not None]
    if not waiting:
        return []
    if poll:
        manager.poll(set())
    changed = []
    for round_ in waiting:
        state = manager.store.queued_state(round_.queue_id)  # type: ignore[arg-type]
        if state == "delivered":
            changed.append(store.mark_sent(round_.id, queue_id=None, delivered=True, when_idle=round_.when_idle))
        elif state == "dropped":
            changed.append(store.mark_undelivered(
                round_.id, f"session {round_.to_session} ended before it was idle; retry to send it again"))
        elif state == "undelivered":
            failed = [q.failure for q in manager.store.undelivered(round_.to_session) if q.id == round_.queue_id]
            changed.append(store.mark_undelivered(
                round_.id, f"session {round_.to_session} did not take it ({''.join(failed[:1])}); retry to send it again"))
    return changed

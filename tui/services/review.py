"""The review part of the app's services: the review store, draft rounds, submitting, and a
watcher that notices what other processes did (an agent's `loupe review resolve`).

Everything here blocks (SQLite, reading files, sessions): views call it from thread
workers. Whatever changes the store emits `ReviewChanged` at once; the watcher emits it too
when another process changed the store (its change stamp moved), `CommentsResolved` for
new resolutions, and `RoundSettled` when a round waiting in a session's queue was typed in
or dropped.

A round reviews a `Target`: a document (artifact panes) or a session's diff (the diff view).
`choices(round_id)` lists where it can go; `submit(round_id, SubmitRequest)` sends it there.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tui.errors import LoupeError
from tui.events import CommentsResolved, Emit, ReviewChanged, RoundSettled, nowhere
from tui.review.errors import ReviewError
from tui.review.model import Comment, Destination, Round, Side, Target, TargetKind, Verdict, document_path
from tui.workspace import Workspace

if TYPE_CHECKING:
    from tui.diffs import FileDiff, Hunk
    from tui.review.delivery import Sent
    from tui.review.diff_look import DiffComments
    from tui.review.session_files import FileSource
    from tui.review.questions import Question
    from tui.review.store import ReviewStore
    from tui.review.tracking import DocumentReview
    from tui.services.sessions import SessionService
    from tui.services.threads import ThreadServices
    from tui.sessions.manager import SessionManager
    from tui.sessions.model import Session

# How often the watcher looks at the store's change stamp (one tiny query).
POLL_SECONDS = 0.5
# How long a submit waits for the session manager to open (it opens after the first frame).
MANAGER_WAIT_SECONDS = 15.0


@dataclass(frozen=True)
class SubmitRequest:
    """Where a round goes, with which verdict: what the submit dialog returns."""

    verdict: Verdict
    destination: Destination
    # SESSION: the session to type it into; None with `new_session`.
    session_id: str | None = None
    # SESSION: start a session on the document's task with the round as its prompt.
    new_session: bool = False
    thread_id: str | None = None
    # SESSION: hold it in the queue until the agent is idle.
    when_idle: bool = False


@dataclass(frozen=True)
class SessionChoice:
    id: str
    label: str
    live: bool
    # Why it is offered first ("it is in the session's worktree"), "" for any other session.
    reason: str = ""


@dataclass(frozen=True)
class ThreadChoice:
    id: str
    title: str


@dataclass(frozen=True)
class SubmitChoices:
    """Where a round can go: what the submit dialog offers."""

    round: Round
    # "2 comments · 1 answer", for the dialog's heading.
    summary: str
    sessions: tuple[SessionChoice, ...]
    # The session the round goes to unless you pick another (the live one that wrote it).
    default_session: str | None
    threads: tuple[ThreadChoice, ...]
    # A document round can start a session on its task (`SubmitRequest.new_session`).
    can_start_session: bool
    # Why sessions are not offered ("" when they are).
    sessions_problem: str = ""


class ReviewService:
    def __init__(self, workspace: Workspace, sessions: SessionService, threads: ThreadServices,
                 emit: Emit = nowhere, *, store_path: Path | None = None) -> None:
        self.workspace = workspace
        self._sessions = sessions
        self._threads = threads
        self._emit = emit
        self._store_path = store_path
        self._store: ReviewStore | None = None
        self._lock = threading.Lock()
        self._closed = False

    @property
    def repo(self) -> Path:
        return self.workspace.root

    @property
    def store(self) -> ReviewStore:
        """The review store, opened on first use (blocking: off the UI loop)."""
        with self._lock:
            if self._closed:
                raise ReviewError("the app is closing")
            if self._store is None:
                from tui.review.store import ReviewStore

                self._store = ReviewStore(self._store_path)
            return self._store

    @property
    def closed(self) -> bool:
        """Whether the app closed the service (its store is gone for good)."""
        return self._closed

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._store is not None:
                self._store.close()
                self._store = None

    def changed(self, round_: Round | None = None) -> None:
        """Tell the panes that this process changed the store."""
        paths = sessions = None
        if round_ is not None:
            paths = frozenset({round_.target.path}) if round_.target.kind is TargetKind.DOCUMENT else frozenset()
            sessions = frozenset({round_.target.session_id}) if round_.target.session_id else frozenset()
        self._emit(ReviewChanged(self.store.stamp(), paths, sessions))

    # -- documents -------------------------------------------------------------------------

    def document(self, path: Path, text: str | None) -> DocumentReview:
        """Every comment on `path` placed in `text` (the version on screen; None: gone)."""
        from tui.review.tracking import document_review

        return document_review(self.store, self.repo, path, text)

    def questions(self, text: str) -> list[Question]:
        from tui.review.anchoring import DocumentIndex
        from tui.review.questions import find_questions

        return find_questions(DocumentIndex(text))

    def comment_on_text(self, path: Path, text: str, start: int, end: int, body: str) -> Comment:
        from tui.review import commenting

        return self._added(commenting.comment_on_text(self.store, self._doc(path, text), start, end, body))

    def comment_on_lines(self, path: Path, text: str, first_line: int, last_line: int, body: str) -> Comment:
        from tui.review import commenting

        return self._added(commenting.comment_on_lines(self.store, self._doc(path, text), first_line, last_line, body))

    def comment_on_section(self, path: Path, text: str, line: int, body: str) -> Comment:
        from tui.review import commenting

        return self._added(commenting.comment_on_section(self.store, self._doc(path, text), line, body))

    def answer(self, path: Path, text: str, question: Question, body: str) -> Comment:
        from tui.review import commenting

        return self._added(commenting.answer(self.store, self._doc(path, text), question, body))

    def edit(self, comment_id: int, body: str) -> Comment:
        return self._added(self.store.edit_comment(comment_id, body))

    def delete(self, comment_id: int) -> None:
        round_ = self.store.round(self.store.comment(comment_id).round_id)
        self.store.delete_comment(comment_id)
        self.changed(round_)

    def resolve(self, comment_id: int, note: str = "") -> Comment:
        return self._added(self.store.resolve(comment_id, by="you", note=note))

    def unresolve(self, comment_id: int) -> Comment:
        return self._added(self.store.unresolve(comment_id))

    def discard(self, round_id: int) -> None:
        round_ = self.store.round(round_id)
        self.store.discard(round_id)
        self.changed(round_)

    def draft(self, target: Target) -> Round:
        return self.store.draft(self.repo, target)

    def _doc(self, path: Path, text: str):  # noqa: ANN202 - commenting.Document, imported lazily
        from tui.review.commenting import Document

        return Document(self.repo, path, text)

    def _added(self, comment: Comment) -> Comment:
        self.changed(self.store.round(comment.round_id))
        return comment

    # -- submitting ------------------------------------------------------------------------

    def manager(self, wait: float = MANAGER_WAIT_SECONDS) -> SessionManager:
        """The app's session manager, waiting for it to open (it opens after the first frame)."""
        self._sessions.opened.wait(wait)
        manager = self._sessions.manager
        if manager is None:
            raise ReviewError(self._sessions.problem or "sessions are not available yet; try again")
        return manager

    def choices(self, round_id: int) -> SubmitChoices:
        """Where the round can go: sessions (the one that wrote it first), threads, a new session."""
        from tui.review.tracking import count, track_rounds

        store = self.store
        round_ = store.round(round_id)
        comments = store.comments([round_id])
        notes = sum(1 for c in comments if c.kind.value == "note")
        answers = len(comments) - notes
        summary = " · ".join(p for p in (_plural(notes, "comment"), _plural(answers, "answer")) if p) or "no comments"
        try:
            orphaned = count(track_rounds([round_], comments, self._files_of(round_))).orphaned
        except LoupeError:
            orphaned = 0  # its session's host cannot be reached now: submitting says so
        if orphaned:
            summary += f" ({orphaned} orphaned)"
        sessions: list[SessionChoice] = []
        default: str | None = None
        problem = ""
        try:
            manager = self.manager(wait=2.0)
        except ReviewError as exc:
            problem = str(exc)
        else:
            sessions, default = self._session_choices(manager, round_)
        threads: tuple[ThreadChoice, ...] = ()
        if self._threads.store is not None:
            threads = tuple(ThreadChoice(t.id, t.title) for t in self._threads.store.list_threads(kind="chat")[:50])
        return SubmitChoices(
            round=round_, summary=summary, sessions=tuple(sessions), default_session=default, threads=threads,
            can_start_session=round_.target.kind is TargetKind.DOCUMENT and not problem,
            sessions_problem=problem,
        )

    def _session_choices(self, manager: SessionManager, round_: Round) -> tuple[list[SessionChoice], str | None]:
        from tui.review.owners import default_owner, owners

        snapshots = {s.session.id: s for s in manager.poll(set())}
        if round_.target.kind is TargetKind.DIFF:
            found = snapshots.get(round_.target.session_id or "")
            ranked = [(found.session, "its diff", found.live)] if found is not None else []
            default = found.session.id if found is not None and found.live else None
        else:
            candidates = owners(manager, document_path(round_.repo, round_.target.path))
            ranked = [(o.session, o.reason, o.live) for o in candidates]
            owner = default_owner(candidates)
            default = owner.session.id if owner is not None else None
        seen = {session.id for session, _, _ in ranked}
        others = [(s.session, "", s.live) for s in snapshots.values() if s.session.id not in seen and s.live]
        choices = [SessionChoice(session.id, session.label, live, reason)
                   for session, reason, live in ranked + sorted(others, key=lambda o: o[0].number)]
        return choices, default

    def submit(self, round_id: int, request: SubmitRequest) -> Sent:
        """Submit the draft round `round_id` where `request` says (blocking). A round sent to a
        session that has ended is kept as undelivered (`Sent.round.state`), to retry."""
        from tui.review import delivery

        store = self.store
        if request.destination is Destination.COPY:
            sent = delivery.submit_copy(store, round_id, request.verdict, manager=self._manager_if_open())
        elif request.destination is Destination.THREAD:
            if self._threads.store is None or not request.thread_id:
                raise ReviewError("pick a chat thread (the thread store is not open yet)")
            sent = delivery.submit_to_thread(store, self._threads.store, round_id, request.verdict,
                                             request.thread_id, manager=self._manager_if_open())
        elif request.new_session:
            round_ = store.round(round_id)
            path = document_path(round_.repo, round_.target.path)
            sent = delivery.submit_to_new_session(store, self.manager(), round_id, request.verdict,
                                                  task=path.parent.name, task_dir=path.parent)
        else:
            manager = self.manager()
            if not request.session_id:
                raise ReviewError("pick the session to send the round to")
            sent = delivery.submit_to_session(store, manager, round_id, request.verdict,
                                              manager.get(request.session_id), when_idle=request.when_idle)
        self._sessions.wake()
        self.changed(sent.round)
        return sent

    def retry(self, round_id: int, session_id: str | None = None, *, when_idle: bool = False) -> Sent:
        """Send an undelivered round again: to `session_id`, else where it went."""
        from tui.review import delivery

        manager = self.manager()
        session = manager.get(session_id) if session_id else None
        sent = delivery.retry(self.store, manager, round_id, session, when_idle=when_idle)
        self._sessions.wake()
        self.changed(sent.round)
        return sent

    def rounds(self, *, path: str | None = None, session_id: str | None = None) -> list[Round]:
        return self.store.rounds(self.repo, path=path, session_id=session_id)

    def _manager_if_open(self) -> SessionManager | None:
        return self._sessions.manager

    def _files_of(self, round_: Round) -> dict[str, FileSource]:
        manager = self._sessions.manager
        session_id = round_.target.session_id
        if session_id is None or manager is None:
            return {}
        from tui.review.session_files import HostFiles

        try:
            return {session_id: HostFiles(manager, manager.get(session_id))}
        except LoupeError:  # a removed session: its comments count as orphaned
            return {}

    # -- session diffs ---------------------------------------------------------------------

    def diff_comments(self, session: Session) -> DiffComments:
        """Every comment on the session's diff, placed in its files as they are now, where
        it runs (blocking: its host may be another machine)."""
        from tui.review.diff_look import diff_comments
        from tui.review.session_files import HostFiles

        return diff_comments(self.store, self.repo, session.id, HostFiles(self.manager(), session))

    def comment_on_diff(self, session: Session, file: FileDiff, hunk: Hunk, side: Side, first_line: int,
                        last_line: int, body: str) -> Comment:
        """A note on lines of a hunk of the session's diff as shown; refused (`StaleHunk`)
        when the file where the session runs no longer has those lines."""
        from tui.review.commenting import comment_on_diff
        from tui.review.session_files import HostFiles

        files = HostFiles(self.manager(), session)
        return self._added(comment_on_diff(self.store, self.repo, session.id, files, file, hunk, side,
                                           first_line, last_line, body))

    # -- watching --------------------------------------------------------------------------

    def run(self, stop: threading.Event, emit: Emit, *, interval: float = POLL_SECONDS,
            clock: Callable[[], float] = time.time) -> None:
        """Until `stop`: emit `ReviewChanged` when any process changed the store, with
        `CommentsResolved` for new resolutions; settle rounds waiting in session queues."""
        try:
            store = self.store
            stamp = store.stamp()
        except ReviewError as exc:
            from tui.events import Notice

            emit(Notice(f"Reviews are unavailable: {exc}", title="Review", severity="warning"))
            return
        since = clock()
        while not stop.wait(interval):
            try:
                self._settle(emit)
                now_stamp = store.stamp()
                if now_stamp == stamp:
                    continue
                stamp = now_stamp
                resolved = store.resolved_since(since, self.repo)
                if resolved:
                    since = max(c.resolution.at for c in resolved if c.resolution is not None)
                emit(ReviewChanged(stamp))
                if resolved:
                    emit(CommentsResolved(tuple(resolved)))
            except ReviewError:
                if self._closed:
                    return
                continue  # busy or briefly locked: look again next time

    def _settle(self, emit: Emit) -> None:
        manager = self._sessions.manager
        if manager is None:
            return
        from tui.review import delivery

        # The monitor polls the sessions (and delivers queued text): no poll of our own.
        for round_ in delivery.refresh(self.store, manager, poll=False):
            emit(RoundSettled(round_))


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s") if count else ""

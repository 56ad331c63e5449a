"""Each comment's status as the agent rewrites what it commented on.

- resolved: someone ran `loupe review resolve` on it;
- orphaned: its text is gone (or the whole file is);
- addressed: its round was sent, and the text it covers changed since;
- open: otherwise.

`track` places every comment of one document with one `DocumentIndex`, which is what keeps
a pane with 200 comments cheap to refresh after each rewrite.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tui.review.anchoring import DocumentIndex, Placement, PlacementStatus
from tui.review.model import Comment, Kind, Round, Side, Status, document_key, document_path
from tui.review.store import ReviewStore
from tui.text_files import read_text

if TYPE_CHECKING:
    from tui.review.session_files import FileSource


@dataclass(frozen=True, slots=True)
class Tracked:
    comment: Comment
    placement: Placement
    status: Status


@dataclass(frozen=True, slots=True)
class Counts:
    open: int = 0
    addressed: int = 0
    orphaned: int = 0
    resolved: int = 0

    @property
    def total(self) -> int:
        return self.open + self.addressed + self.orphaned + self.resolved

    @property
    def label(self) -> str:
        """`2 open · 1 addressed`, leaving out the zeros ("no comments" when empty)."""
        parts = [f"{count} {name}" for name, count in
                 (("open", self.open), ("addressed", self.addressed), ("orphaned", self.orphaned),
                  ("resolved", self.resolved)) if count]
        return " · ".join(parts) or "no comments"


def status_of(comment: Comment, round_: Round, placement: Placement, span_hash: str | None) -> Status:
    if comment.resolution is not None:
        return Status.RESOLVED
    if not placement.found:
        return Status.ORPHANED
    if round_.is_draft or comment.sent_hash is None:
        return Status.OPEN
    return Status.ADDRESSED if span_hash != comment.sent_hash else Status.OPEN


def track(comments: Iterable[Comment], rounds: Mapping[int, Round], index: DocumentIndex | None) -> list[Tracked]:
    """Place and judge comments on one document; `index` None means the document is gone."""
    tracked = []
    for comment in comments:
        anchor = comment.anchor
        if comment.side is Side.OLD:
            # The old side of a diff is the session's base: it does not change under the comment.
            placement = Placement(PlacementStatus.EXACT, anchor.first_line, anchor.last_line, -1, -1)
            status = Status.RESOLVED if comment.resolution else Status.OPEN
        elif index is None:
            placement = Placement(PlacementStatus.ORPHANED, anchor.first_line, anchor.last_line, -1, -1, 0.0)
            status = status_of(comment, rounds[comment.round_id], placement, None)
        else:
            placement = index.place(anchor)
            status = status_of(comment, rounds[comment.round_id], placement, index.span_hash(placement))
        tracked.append(Tracked(comment, placement, status))
    return tracked


def count(tracked: Iterable[Tracked]) -> Counts:
    totals = {status: 0 for status in Status}
    for item in tracked:
        totals[item.status] += 1
    return Counts(totals[Status.OPEN], totals[Status.ADDRESSED], totals[Status.ORPHANED], totals[Status.RESOLVED])


@dataclass(frozen=True, slots=True)
class DocumentReview:
    """Every comment made on one document, placed in the text on screen: what a pane's
    margin and its round summary show."""

    key: str
    tracked: list[Tracked]
    rounds: dict[int, Round]

    @property
    def draft(self) -> Round | None:
        return next((r for r in self.rounds.values() if r.is_draft), None)

    def at_line(self, line: int) -> list[Tracked]:
        """Comments whose text covers `line` now (orphaned ones are nowhere)."""
        return [t for t in self.tracked
                if t.placement.found and t.placement.first_line <= line <= t.placement.last_line]

    def counts(self, round_id: int) -> Counts:
        return count(t for t in self.tracked if t.comment.round_id == round_id)

    def answers(self, question: str) -> list[Tracked]:
        """Answers given to the question with this text (`questions.Question.text`)."""
        return [t for t in self.tracked if t.comment.kind is Kind.ANSWER and t.comment.question == question]


def document_review(store: ReviewStore, repo: Path, path: Path, text: str | None) -> DocumentReview:
    """The comments on `path` (every round) placed in `text`, the version shown (None: the
    file is gone). One index for all of them: cheap enough for each live reload."""
    key = document_key(repo, path)
    rounds = {r.id: r for r in store.rounds(repo, path=key)}
    comments = store.comments(rounds) if rounds else []
    index = DocumentIndex(text) if text is not None else None
    return DocumentReview(key, track(comments, rounds, index), rounds)


def track_rounds(rounds: Iterable[Round], comments: Iterable[Comment],
                 sessions: Mapping[str, FileSource] | None = None) -> list[Tracked]:
    """Track comments of any rounds, reading each file they are on once: a document here, a
    diff's files where its session runs (`sessions` by session id; a session not given
    counts as gone: its comments are orphaned). A session's files are read in one go."""
    by_id = {r.id: r for r in rounds}
    ordered = list(comments)
    sources = sessions or {}
    documents: dict[Path, list[Comment]] = {}
    in_sessions: dict[str, dict[str, list[Comment]]] = {}
    texts: list[tuple[str | None, list[Comment]]] = []
    for comment in ordered:
        round_ = by_id[comment.round_id]
        session_id = round_.target.session_id
        if session_id is None:
            documents.setdefault(document_path(round_.repo, comment.path), []).append(comment)
        elif session_id in sources:
            in_sessions.setdefault(session_id, {}).setdefault(comment.path, []).append(comment)
        else:
            texts.append((None, [comment]))
    texts += [(read_text(path), group) for path, group in documents.items()]
    for session_id, files in in_sessions.items():
        # The old side is the session's base: placed without reading anything.
        wanted = [path for path, group in files.items() if any(c.side is not Side.OLD for c in group)]
        found = sources[session_id].texts(wanted) if wanted else {}
        texts += [(found.get(path), group) for path, group in files.items()]
    results: dict[int, Tracked] = {}
    for text, group in texts:
        for item in track(group, by_id, DocumentIndex(text) if text is not None else None):
            results[item.comment.id] = item
    return [results[c.id] for c in ordered]

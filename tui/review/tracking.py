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

from tui.review.anchoring import DocumentIndex, Placement, PlacementStatus
from tui.review.model import Comment, Kind, Round, Side, Status, document_key, document_path
from tui.review.store import ReviewStore

# Past this size a file is not read for tracking (its comments show as where they were).
MAX_DOCUMENT_BYTES = 32 * 1024 * 1024


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


def read_text(path: Path) -> str | None:
    """A document's text as tracking sees it; None when it is missing, unreadable, too big
    or binary (its comments then count as orphaned)."""
    try:
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace")


def comment_file(round_: Round, comment: Comment, worktrees: Mapping[str, Path]) -> Path | None:
    """The file a comment's text lives in now: the document, or for a diff comment the file
    in its session's worktree (`worktrees` by session id; None when unknown)."""
    if round_.target.session_id is not None:
        worktree = worktrees.get(round_.target.session_id)
        return worktree / comment.path if worktree is not None else None
    return document_path(round_.repo, comment.path)


def track_rounds(rounds: Iterable[Round], comments: Iterable[Comment],
                 worktrees: Mapping[str, Path] | None = None) -> list[Tracked]:
    """Track comments of any rounds, reading each file they are on once."""
    by_id = {r.id: r for r in rounds}
    ordered = list(comments)
    groups: dict[Path | None, list[Comment]] = {}
    for comment in ordered:
        file = comment_file(by_id[comment.round_id], comment, worktrees or {})
        groups.setdefault(file, []).append(comment)
    results: dict[int, Tracked] = {}
    for file, group in groups.items():
        text = read_text(file) if file is not None else None
        for item in track(group, by_id, DocumentIndex(text) if text is not None else None):
            results[item.comment.id] = item
    return [results[c.id] for c in ordered]

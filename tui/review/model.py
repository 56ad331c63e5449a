"""What a review is made of: rounds of comments, each anchored by the text it quotes.

Lines are 1-based and inclusive everywhere in this package (`first_line`..`last_line`), as
`path:line` reads; character offsets are 0-based indexes into the document's text.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from tui.review.errors import NotCommentable, ReviewError


class Kind(StrEnum):
    NOTE = "note"
    # An answer to one of a design doc's open questions (`tui.review.questions`).
    ANSWER = "answer"


class Scope(StrEnum):
    # The quoted text itself: a selection, or whole lines.
    TEXT = "text"
    # A heading and everything up to the next heading of the same or a higher level; only
    # the heading line is quoted, so the section follows its heading wherever it moves.
    SECTION = "section"


class Side(StrEnum):
    """Which side of a session diff a comment is on."""

    OLD = "old"
    NEW = "new"


class RoundState(StrEnum):
    DRAFT = "draft"
    # Its message is fixed and on its way (typed in, or waiting in the session's queue).
    SUBMITTED = "submitted"
    DELIVERED = "delivered"
    # The session it went to had ended; `retry` sends it again.
    UNDELIVERED = "undelivered"


class Verdict(StrEnum):
    APPROVE = "approve"
    REQUEST_CHANGES = "request_changes"
    COMMENT = "comment"

    @property
    def label(self) -> str:
        return {"approve": "approved", "request_changes": "changes requested",
                "comment": "comments"}[self.value]

    @classmethod
    def parse(cls, value: str) -> Verdict:
        """Accepts `request-changes` as well as `request_changes` (command lines use dashes)."""
        try:
            return cls(value.strip().lower().replace("-", "_"))
        except ValueError:
            raise ReviewError(f"unknown verdict '{value}'; use approve, request-changes or comment") from None


class Destination(StrEnum):
    SESSION = "session"
    THREAD = "thread"
    COPY = "copy"


class Status(StrEnum):
    """A comment's state as the agent works."""

    OPEN = "open"
    # The text it was anchored to changed after the round was sent.
    ADDRESSED = "addressed"
    # Its text is gone from the document (or the document is).
    ORPHANED = "orphaned"
    # The agent (or you) marked it handled with `loupe review resolve`.
    RESOLVED = "resolved"


class PlacementStatus(StrEnum):
    EXACT = "exact"
    MOVED = "moved"
    FUZZY = "fuzzy"
    ORPHANED = "orphaned"


@dataclass(frozen=True, slots=True)
class Placement:
    """Where an anchor is in a version of its document (`anchoring.DocumentIndex.place`).

    Orphaned placements keep the lines the anchor had, for reference.
    """

    status: PlacementStatus
    first_line: int
    last_line: int
    # Character span of the anchored text (a section's whole text); (-1, -1) when orphaned.
    start: int
    end: int
    # 1.0 for text found as it was; the word similarity of an edited one; 0.0 when orphaned.
    score: float = 1.0

    @property
    def found(self) -> bool:
        return self.status is not PlacementStatus.ORPHANED


class TargetKind(StrEnum):
    DOCUMENT = "document"
    DIFF = "diff"


@dataclass(frozen=True, slots=True)
class Target:
    """What a round reviews: one document, or one session's diff."""

    kind: TargetKind
    # A document's path: relative to the repository when inside it, else absolute.
    path: str = ""
    # The session whose diff this is (diff rounds only).
    session_id: str | None = None

    @classmethod
    def document(cls, path: str) -> Target:
        return cls(TargetKind.DOCUMENT, path, None)

    @classmethod
    def diff(cls, session_id: str) -> Target:
        return cls(TargetKind.DIFF, "", session_id)

    @property
    def label(self) -> str:
        return self.path if self.kind is TargetKind.DOCUMENT else f"the diff of session {self.session_id}"


@dataclass(frozen=True, slots=True)
class Anchor:
    """Where a comment points, as it was when the comment was made (or its round sent)."""

    quote: str
    # Up to `anchoring.CONTEXT_CHARS` characters either side: they decide between duplicates.
    before: str
    after: str
    first_line: int
    last_line: int
    # Offset of `quote` in the document, and the document's hash and line count then.
    offset: int
    doc_hash: str
    doc_lines: int
    scope: Scope = Scope.TEXT

    @property
    def lines(self) -> str:
        """`12` or `12-14`, as in `path:12-14`."""
        return str(self.first_line) if self.first_line == self.last_line else f"{self.first_line}-{self.last_line}"


@dataclass(frozen=True, slots=True)
class Resolution:
    # A session id (`$LOUPE_SESSION` of the agent that ran `loupe review resolve`), or "you".
    by: str
    note: str
    at: float


@dataclass(frozen=True, slots=True)
class Comment:
    id: int
    round_id: int
    kind: Kind
    # The document's path (as in `Target.path`), or the file's path within a session diff.
    path: str
    anchor: Anchor
    body: str
    created_at: float
    # Diff comments: which side, and the hunk (`viewed.hunk_key`) it was made on.
    side: Side | None = None
    hunk: str | None = None
    # Answers: the question as the document asked it.
    question: str = ""
    # Hash of the anchored text when the round was submitted: "addressed" once it differs.
    sent_hash: str | None = None
    resolution: Resolution | None = None

    @property
    def location(self) -> str:
        """`path:line` or `path:first-last`, as agents and editors read it."""
        return f"{self.path}:{self.anchor.lines}"


@dataclass(frozen=True, slots=True)
class Round:
    id: int
    repo: Path
    target: Target
    state: RoundState
    created_at: float
    verdict: Verdict | None = None
    destination: Destination | None = None
    to_session: str | None = None
    to_thread: str | None = None
    when_idle: bool = False
    # The session queue's row holding the message while it waits for the agent to be idle.
    queue_id: int | None = None
    # The markdown sent, fixed at submission.
    message: str = ""
    # Why the last delivery failed, for the round's undelivered state.
    error: str = ""
    submitted_at: float | None = None
    delivered_at: float | None = None

    @property
    def is_draft(self) -> bool:
        return self.state is RoundState.DRAFT


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


def document_key(repo: Path, path: Path) -> str:
    """How a document is named in the store: relative to `repo` when inside it, else absolute.

    Relative names survive moving the repository and read well in messages to agents.
    """
    resolved = path.resolve()
    try:
        key = resolved.relative_to(repo.resolve()).as_posix()
    except ValueError:
        key = str(resolved)
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        # The store keeps names as text; bytes that are not UTF-8 (surrogateescape'd) would
        # fail deep in SQLite. The document still shows; it only carries no comments.
        raise NotCommentable(
            f"{ascii(path.name)} cannot carry review comments: its name is not UTF-8; rename it to comment"
        ) from None
    return key


def document_path(repo: Path, key: str) -> Path:
    candidate = Path(key)
    return candidate if candidate.is_absolute() else repo / candidate

"""From the comments placed in one version of a document to what its pane shows: gutter
marks by block, one line about each comment, and the header's summary of its rounds.

Apart from `tui.views.artifact_review`, which imports it when comments are first placed:
the review model it needs is not loaded before a document's first screen.
"""

from __future__ import annotations

import bisect

from tui.docs.blocks import MarkdownDoc
from tui.review.model import Kind, Scope, Status
from tui.review.tracking import DocumentReview, Tracked
from tui.views.review_rounds import round_summary
from widgets.artifact_gutter import NOTES, strongest
from widgets.artifact_review_bar import ReviewMarks

_STATUS_NOTE = {Status.OPEN: "open", Status.ADDRESSED: "addressed", Status.RESOLVED: "resolved"}


def note_of(item: Tracked, draft: bool) -> str:
    if item.status is Status.ORPHANED:
        return ""
    return "draft" if draft and item.status is Status.OPEN else _STATUS_NOTE[item.status]


def describe(item: Tracked, draft: bool = False) -> str:
    """One line about a comment: its mark, id, lines, status, and what it says."""
    comment = item.comment
    status = "orphaned: its text is gone" if item.status is Status.ORPHANED else (
        "draft" if draft and item.status is Status.OPEN else item.status.value)
    glyph = NOTES.get(note_of(item, draft), ("⚠", ""))[0]
    where = item.placement.first_line if item.placement.first_line == item.placement.last_line \
        else f"{item.placement.first_line}-{item.placement.last_line}"
    what = "answer" if comment.kind is Kind.ANSWER else ("section" if comment.anchor.scope is Scope.SECTION else "")
    body = " ".join(comment.body.split())
    line = f"{glyph} [{comment.id}] line {where} · {status}{' · ' + what if what else ''}: {body}"
    if comment.resolution is not None:
        by = comment.resolution.by
        line += f" — resolved by {'you' if by == 'you' else 'session ' + by}"
        if comment.resolution.note:
            line += f": {' '.join(comment.resolution.note.split())}"
    return line


def review_marks(review: DocumentReview, doc: MarkdownDoc | None) -> ReviewMarks:
    """Gutter marks, lines and the header's summary for the comments placed in `doc`."""
    if not review.tracked:
        return ReviewMarks()
    starts = [block.start for block in doc.blocks] if doc is not None else []
    statuses: dict[int, set[str]] = {}
    details: dict[int, list[str]] = {}
    orphaned: list[str] = []
    for item in review.tracked:
        draft = review.rounds[item.comment.round_id].is_draft
        span = blocks_of(item, starts)
        if span is None:
            orphaned.append(describe(item, draft))
            continue
        first, last = span
        note = note_of(item, draft)
        for block in range(first, last + 1):
            statuses.setdefault(block, set()).add(note)
        details.setdefault(first, []).append(describe(item, draft))
    return ReviewMarks(summary(review), {b: strongest(s) for b, s in statuses.items()}, details, orphaned)


def blocks_of(item: Tracked, starts: list[int]) -> tuple[int, int] | None:
    """The blocks (first, last) a placed comment is marked on, by the blocks' first lines
    (0-based); a section comment on its heading only. None when its text is gone."""
    placement = item.placement
    if not placement.found or not starts:
        return None
    first = max(0, bisect.bisect_right(starts, placement.first_line - 1) - 1)
    last = first if item.comment.anchor.scope is Scope.SECTION \
        else max(first, bisect.bisect_right(starts, placement.last_line - 1) - 1)
    return first, last


def summary(review: DocumentReview) -> str:
    return round_summary(review.tracked, review.rounds, "r")

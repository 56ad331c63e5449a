"""Comments on a real document file, followed through the agent's rewrites: open,
addressed, orphaned, resolved, and a round's counts."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.review import delivery
from tui.review.anchoring import DocumentIndex
from tui.review.commenting import Document, answer, comment_on_lines, comment_on_section, comment_on_text
from tui.review.errors import ReviewError
from tui.review.model import Status, Verdict
from tui.review.questions import find_questions
from tui.review.store import ReviewStore
from tui.review.tracking import count, document_review, track_rounds

PLAN = """\
# Plan

## Phase 1: schema

Add the dead_at column to jobs.

## Phase 2: worker

Compute the next delay with full jitter.

## Open questions

1. Should retries be per task?
"""


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    path = tmp_path / "repo" / "tasks" / "retry" / "05-plan.md"
    path.parent.mkdir(parents=True)
    path.write_text(PLAN)
    return path


def document(plan: Path) -> Document:
    return Document(plan.parents[2], plan, plan.read_text())


def statuses(store: ReviewStore, round_id: int) -> dict[int, Status]:
    round_ = store.round(round_id)
    return {t.comment.id: t.status for t in track_rounds([round_], store.comments([round_id]))}


def test_a_comment_goes_from_open_to_addressed_when_its_text_changes_after_sending(
        store: ReviewStore, plan: Path) -> None:
    doc = document(plan)
    note = comment_on_lines(store, doc, 5, None, "Say which migration adds it")
    other = comment_on_lines(store, doc, 9, None, "Cap the delay")
    assert note.path == "tasks/retry/05-plan.md"
    # Before sending, edits move the comment along but it stays open.
    plan.write_text(PLAN.replace("Add the dead_at column", "Add a dead_at column"))
    assert statuses(store, note.round_id) == {note.id: Status.OPEN, other.id: Status.OPEN}
    sent = delivery.submit_copy(store, note.round_id, Verdict.REQUEST_CHANGES)
    assert "> Add a dead_at column to jobs." in sent.text  # the text as it was when sent
    assert statuses(store, note.round_id) == {note.id: Status.OPEN, other.id: Status.OPEN}
    # The agent rewrites: moves everything down and edits the first anchored line only.
    plan.write_text("Preface.\n\n" + PLAN.replace("Add the dead_at column to jobs.",
                                                   "Add the dead_at column to jobs (migration 2)."))
    assert statuses(store, note.round_id) == {note.id: Status.ADDRESSED, other.id: Status.OPEN}


def test_deleted_text_and_a_deleted_file_orphan_their_comments(store: ReviewStore, plan: Path) -> None:
    doc = document(plan)
    note = comment_on_lines(store, doc, 9, None, "Cap the delay")
    kept = comment_on_lines(store, doc, 5, None, "Fine")
    delivery.submit_copy(store, note.round_id, Verdict.COMMENT)
    plan.write_text(PLAN.replace("## Phase 2: worker\n\nCompute the next delay with full jitter.\n\n", ""))
    assert statuses(store, note.round_id) == {note.id: Status.ORPHANED, kept.id: Status.OPEN}
    plan.unlink()
    assert statuses(store, note.round_id) == {note.id: Status.ORPHANED, kept.id: Status.ORPHANED}


def test_an_orphaned_comment_is_kept_and_said_so_in_the_round(store: ReviewStore, plan: Path) -> None:
    doc = document(plan)
    note = comment_on_lines(store, doc, 9, None, "Cap the delay")
    plan.write_text(PLAN.replace("Compute the next delay with full jitter.", "Retries are out of scope."))
    sent = delivery.submit_copy(store, note.round_id, Verdict.REQUEST_CHANGES)
    assert "(This text is no longer in the file.)" in sent.text
    assert store.comment(note.id).sent_hash is None
    assert statuses(store, note.round_id) == {note.id: Status.ORPHANED}


def test_resolved_wins_and_a_round_counts_each_status(store: ReviewStore, plan: Path) -> None:
    doc = document(plan)
    a = comment_on_lines(store, doc, 5, None, "one")
    b = comment_on_section(store, doc, 7, "two")
    c = comment_on_text(store, doc, PLAN.index("dead_at column"), PLAN.index("dead_at column") + 14, "three")
    (question,) = find_questions(DocumentIndex(doc.text))
    d = answer(store, doc, question, "Yes, per task")
    delivery.submit_copy(store, a.round_id, Verdict.REQUEST_CHANGES)
    store.resolve(a.id, by="s1", note="done")
    # The section's body changes (addressed), the selected words' line is gone (orphaned).
    plan.write_text(PLAN.replace("Compute the next delay with full jitter.", "Compute the next delay.")
                    .replace("Add the dead_at column to jobs.\n\n", ""))
    round_ = store.round(a.round_id)
    tracked = track_rounds([round_], store.comments([round_.id]))
    assert {t.comment.id: t.status for t in tracked} == {
        a.id: Status.RESOLVED, b.id: Status.ADDRESSED, c.id: Status.ORPHANED, d.id: Status.OPEN}
    counts = count(tracked)
    assert (counts.open, counts.addressed, counts.orphaned, counts.resolved) == (1, 1, 1, 1)
    assert counts.label == "1 open · 1 addressed · 1 orphaned · 1 resolved"


def test_a_selection_whose_line_was_edited_counts_as_addressed(store: ReviewStore, plan: Path) -> None:
    doc = document(plan)
    start = PLAN.index("full jitter")
    note = comment_on_text(store, doc, start, start + len("full jitter"), "Which jitter?")
    delivery.submit_copy(store, note.round_id, Verdict.COMMENT)
    plan.write_text(PLAN.replace("with full jitter.", "with equal jitter."))
    (tracked,) = track_rounds([store.round(note.round_id)], store.comments([note.round_id]))
    assert tracked.status is Status.ADDRESSED
    assert tracked.placement.first_line == 9


def test_only_an_approval_may_have_no_comments(store: ReviewStore, plan: Path) -> None:
    draft = store.draft(plan.parents[2], document(plan).target)
    with pytest.raises(ReviewError, match="no comments; add one, or approve"):
        delivery.submit_copy(store, draft.id, Verdict.REQUEST_CHANGES)
    sent = delivery.submit_copy(store, draft.id, Verdict.APPROVE)
    assert "Verdict: **approved**" in sent.text
    with pytest.raises(ReviewError, match="already submitted"):
        delivery.submit_copy(store, draft.id, Verdict.APPROVE)


def test_a_pane_gets_every_comment_of_its_document_placed_in_the_text_it_shows(
        store: ReviewStore, plan: Path) -> None:
    doc = document(plan)
    sent = comment_on_lines(store, doc, 5, None, "first round")
    delivery.submit_copy(store, sent.round_id, Verdict.REQUEST_CHANGES)
    drafted = comment_on_section(store, doc, 7, "second round, still a draft")
    other = plan.with_name("06-other.md")
    other.write_text(PLAN)
    comment_on_lines(store, Document(doc.repo, other, PLAN), 5, None, "another document")
    shown = "Preface.\n\n" + PLAN  # the agent's new version, as the pane shows it
    review = document_review(store, doc.repo, plan, shown)
    assert [t.comment.id for t in review.tracked] == [sent.id, drafted.id]
    assert review.draft is not None and review.draft.id == drafted.round_id
    assert [t.comment.id for t in review.at_line(7)] == [sent.id]
    assert [t.comment.id for t in review.at_line(11)] == [drafted.id]
    assert review.counts(sent.round_id).open == 1
    (question,) = find_questions(DocumentIndex(shown))
    assert review.answers(question.text) == []
    answered = answer(store, Document(doc.repo, plan, shown), question, "Per task")
    again = document_review(store, doc.repo, plan, shown)
    assert [t.comment.id for t in again.answers(question.text)] == [answered.id]
    gone = document_review(store, doc.repo, plan, None)
    assert {t.status for t in gone.tracked} == {Status.ORPHANED}

"""Re-anchoring comments after an agent rewrites the document: moved, edited, deleted and
duplicated text, selections inside a line, and whole sections."""

from __future__ import annotations

import pytest

from tui.review.anchoring import DocumentIndex, PlacementStatus, reanchor
from tui.review.errors import NotCommentable
from tui.review.model import Scope

PLAN = """\
# Plan

Intro paragraph that sets the scene.

## Phase 1: schema

Add the dead_at column to jobs.
Backfill it from last_error timestamps.

## Phase 2: worker

Compute the next delay with full jitter.
Call schedule_retry on the backend.

## Phase 3: docs

Write the upgrade notes.
"""


def lines_of(text: str, first: int, last: int) -> str:
    return "\n".join(text.split("\n")[first - 1:last])


def test_an_unchanged_document_keeps_every_anchor_where_it_was() -> None:
    index = DocumentIndex(PLAN)
    anchor = index.anchor_lines(12, 13)
    placement = reanchor(anchor, PLAN)
    assert placement.status is PlacementStatus.EXACT
    assert (placement.first_line, placement.last_line) == (12, 13)
    assert PLAN[placement.start:placement.end] == lines_of(PLAN, 12, 13)


def test_text_pushed_down_by_an_insertion_is_found_as_moved() -> None:
    anchor = DocumentIndex(PLAN).anchor_lines(12, 12)
    rewritten = PLAN.replace("## Phase 1", "A new paragraph.\n\nAnother one.\n\n## Phase 1")
    placement = reanchor(anchor, rewritten)
    assert placement.status is PlacementStatus.MOVED
    assert lines_of(rewritten, placement.first_line, placement.last_line) == "Compute the next delay with full jitter."


def test_a_moved_section_takes_its_comments_along() -> None:
    index = DocumentIndex(PLAN)
    note = index.anchor_lines(7, 8)
    section = index.anchor_section(5)
    phase1 = PLAN[PLAN.index("## Phase 1"):PLAN.index("## Phase 2")]
    swapped = PLAN.replace(phase1, "").replace("## Phase 3", phase1 + "## Phase 3")
    moved = reanchor(note, swapped)
    assert moved.status is PlacementStatus.MOVED
    assert swapped[moved.start:moved.end] == "Add the dead_at column to jobs.\nBackfill it from last_error timestamps."
    placed = DocumentIndex(swapped).place(section)
    assert placed.status is PlacementStatus.MOVED
    assert swapped[placed.start:placed.end] == phase1.rstrip("\n")


def test_an_edited_anchor_is_found_fuzzily_where_it_now_is() -> None:
    anchor = DocumentIndex(PLAN).anchor_lines(12, 13)
    edited = PLAN.replace("Compute the next delay with full jitter.",
                          "Compute the next delay with full jitter, capped at ten minutes.")
    placement = reanchor(anchor, "Preface.\n\n" + edited)
    assert placement.status is PlacementStatus.FUZZY
    assert 0.6 <= placement.score < 1.0
    assert (placement.first_line, placement.last_line) == (14, 15)


def test_a_line_that_grew_around_the_quote_is_still_found() -> None:
    anchor = DocumentIndex(PLAN).anchor_lines(17, 17)
    assert anchor.quote == "Write the upgrade notes."
    grown = PLAN.replace("Write the upgrade notes.",
                         "Write the upgrade notes, with a table of every new setting and its default.")
    placement = reanchor(anchor, grown)
    assert placement.status is PlacementStatus.FUZZY
    assert placement.first_line == 17


def test_an_edited_anchor_that_also_moved_is_still_found() -> None:
    anchor = DocumentIndex(PLAN).anchor_lines(7, 8)
    phase1 = PLAN[PLAN.index("## Phase 1"):PLAN.index("## Phase 2")]
    edited = phase1.replace("Backfill it from last_error timestamps.", "Backfill it from the attempts table.")
    rewritten = PLAN.replace(phase1, "").replace("## Phase 3", edited + "## Phase 3")
    placement = reanchor(anchor, rewritten)
    assert placement.status is PlacementStatus.FUZZY
    assert lines_of(rewritten, placement.first_line, placement.last_line) == (
        "Add the dead_at column to jobs.\nBackfill it from the attempts table."
    )


def test_a_deleted_anchor_is_orphaned_and_keeps_its_old_lines() -> None:
    anchor = DocumentIndex(PLAN).anchor_lines(12, 13)
    phase2 = PLAN[PLAN.index("## Phase 2"):PLAN.index("## Phase 3")]
    placement = reanchor(anchor, PLAN.replace(phase2, ""))
    assert placement.status is PlacementStatus.ORPHANED
    assert not placement.found
    assert (placement.first_line, placement.last_line) == (12, 13)


def test_a_rewrite_beyond_recognition_orphans_the_anchor() -> None:
    anchor = DocumentIndex(PLAN).anchor_lines(12, 13)
    rewritten = PLAN.replace("Compute the next delay with full jitter.\nCall schedule_retry on the backend.",
                             "Retries are out of scope; see ticket 41.")
    assert reanchor(anchor, rewritten).status is PlacementStatus.ORPHANED


def test_duplicated_text_goes_to_the_copy_with_the_same_context() -> None:
    doc = "## A\n\nRun the tests.\n\n## B\n\nRun the tests.\n\n## C\n"
    index = DocumentIndex(doc)
    second = index.anchor_lines(7, 7)
    # Both copies move; only the second still has "## B" before it.
    rewritten = "# Title\n\n" + doc
    placement = reanchor(second, rewritten)
    assert placement.status is PlacementStatus.MOVED
    assert placement.first_line == 9
    assert lines_of(rewritten, placement.first_line - 2, placement.first_line - 2) == "## B"


def test_duplicated_text_with_equal_context_goes_to_the_nearest_copy() -> None:
    block = "Same heading\n\nRepeated line.\n\n"
    doc = block * 4
    index = DocumentIndex(doc)
    third = index.anchor_lines(11, 11)
    assert index.lines[10] == "Repeated line."
    placement = reanchor(third, "extra\n" + doc)
    # Every copy now has identical context; the one nearest line 11 is line 12 (pushed by one).
    assert placement.first_line == 12


CODE = """\
## Config

    value_1 = plan.cheap(1, name="one")
    value_2 = plan.cheap(2, name="two")
    value_3 = plan.cheap(3, name="three")
    value_4 = plan.cheap(4, name="four")

## Elsewhere

    value_2 = plan.cheap(2, name="two")
"""


def test_a_deleted_line_among_look_alikes_is_orphaned_not_moved_to_a_neighbour() -> None:
    anchor = DocumentIndex(CODE).anchor_lines(4)
    assert anchor.quote.strip() == 'value_2 = plan.cheap(2, name="two")'
    without = CODE.replace('    value_2 = plan.cheap(2, name="two")\n', "", 1)
    # A copy of the line survives elsewhere, but nothing of its context does.
    placement = reanchor(anchor, without.replace("## Elsewhere\n\n    value_2", "## Elsewhere\n\n    value_9"))
    assert placement.status is PlacementStatus.ORPHANED


def test_an_edited_line_stays_put_even_when_a_copy_of_its_old_text_is_elsewhere() -> None:
    index = DocumentIndex(CODE)
    start = CODE.index('plan.cheap(2')
    selection = index.anchor(start, start + len("plan.cheap(2"))
    line = index.anchor_lines(4)
    edited = CODE.replace('    value_2 = plan.cheap(2, name="two")\n    value_3',
                          '    value_2 = plan.cheap(2, name="two", retries=3)\n    value_3')
    assert reanchor(line, edited).status is PlacementStatus.FUZZY
    assert reanchor(line, edited).first_line == 4
    # The selected words are still on that line: exactly there, not on the copy.
    placed = reanchor(selection, edited)
    assert placed.status is PlacementStatus.EXACT
    assert (placed.first_line, edited[placed.start:placed.end]) == (4, "plan.cheap(2")


def test_a_selection_inside_a_line_stays_on_those_characters() -> None:
    index = DocumentIndex(PLAN)
    start = PLAN.index("full jitter")
    anchor = index.anchor(start, start + len("full jitter"))
    assert (anchor.first_line, anchor.last_line) == (12, 12)
    rewritten = PLAN.replace("## Phase 2: worker\n", "## Phase 2: worker\n\nA note first.\n")
    placement = reanchor(anchor, rewritten)
    assert placement.status is PlacementStatus.MOVED
    assert rewritten[placement.start:placement.end] == "full jitter"
    assert placement.first_line == 14


def test_a_section_anchor_spans_to_the_next_heading_of_its_level() -> None:
    doc = "# T\n\n## A\n\na\n\n### A.1\n\nsub\n\n## B\n\nb\n"
    index = DocumentIndex(doc)
    anchor = index.anchor_section(8)  # inside A.1
    assert anchor.scope is Scope.SECTION and anchor.quote == "### A.1"
    placement = index.place(index.anchor_section(4))
    assert doc[placement.start:placement.end] == "## A\n\na\n\n### A.1\n\nsub"


def test_headings_inside_code_fences_are_not_sections() -> None:
    doc = "## Real\n\n```\n## not a heading\n```\n\ntext\n\n## Next\n"
    assert DocumentIndex(doc).section_lines(7) == (1, 5 + 2)


def test_comments_on_blank_or_missing_text_are_refused() -> None:
    index = DocumentIndex(PLAN)
    with pytest.raises(NotCommentable, match="blank"):
        index.anchor_lines(2)
    with pytest.raises(NotCommentable, match="outside the document"):
        index.anchor_lines(40)
    with pytest.raises(NotCommentable, match="not in the document"):
        index.anchor_quote("nowhere to be found", 3)
    with pytest.raises(NotCommentable, match="before the first heading"):
        DocumentIndex("no heading here\n").anchor_section(1)


def test_a_quote_is_taken_from_the_occurrence_nearest_the_line_given() -> None:
    doc = "Run the tests.\n\nmiddle\n\nRun the tests.\n"
    assert DocumentIndex(doc).anchor_quote("the tests", 5).first_line == 5
    assert DocumentIndex(doc).anchor_quote("the tests", 1).first_line == 1


def test_the_span_hash_changes_exactly_when_the_anchored_text_does() -> None:
    anchor = DocumentIndex(PLAN).anchor_lines(17, 17)
    moved = DocumentIndex("Preface.\n\n" + PLAN)
    edited = DocumentIndex(PLAN.replace("Write the upgrade notes.", "Write the upgrade notes twice."))
    original = DocumentIndex(PLAN)
    assert moved.span_hash(moved.place(anchor)) == original.span_hash(original.place(anchor))
    assert edited.span_hash(edited.place(anchor)) != original.span_hash(original.place(anchor))

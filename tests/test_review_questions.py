"""Finding a design doc's questions, with the lines an answer anchors to."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.review.anchoring import DocumentIndex
from tui.review.errors import NotCommentable
from tui.review.model import Scope
from tui.review.questions import find_questions, question

DEMO = Path(__file__).resolve().parent.parent / "tui" / "demo" / "artifacts" / "retry-backoff"


def questions_of(text: str) -> list[tuple[str, int, int, str]]:
    return [(q.kind, q.first_line, q.last_line, q.text) for q in find_questions(DocumentIndex(text))]


def test_headings_and_items_that_ask_are_questions() -> None:
    doc = (
        "# Design\n\n"
        "## Q1: Where does the retry live?\n\n"
        "- In the worker.\n"
        "- Should the backend decide? It only sees a string.\n\n"
        "## Decisions\n\n"
        "Done.\n"
    )
    assert questions_of(doc) == [
        ("heading", 3, 3, "Q1: Where does the retry live?"),
        ("item", 6, 6, "Should the backend decide?"),
    ]


def test_every_item_under_an_open_questions_heading_is_a_question() -> None:
    doc = (
        "## Open questions\n\n"
        "1. **Clock skew between workers**: run_after is wall-clock time.\n"
        "   It is a problem later.\n"
        "   - an option, not a question\n"
        "2. Is it safe? Maybe.\n\n"
        "Some closing words that are not a question.\n\n"
        "## Next steps\n\n"
        "- Write the code.\n"
    )
    assert questions_of(doc) == [
        ("item", 3, 5, "Clock skew between workers"),
        ("item", 6, 6, "Is it safe?"),
    ]


def test_question_marks_in_code_and_front_matter_do_not_count() -> None:
    doc = (
        "---\ntitle: why?\n---\n"
        "# Notes\n\n"
        "```\n- is this code?\n## nor this?\n```\n\n"
        "    - indented code?\n\n"
        "- Plain item.\n"
    )
    assert questions_of(doc) == []


def test_the_demo_design_discussion_has_its_five_decisions_and_five_open_questions() -> None:
    found = find_questions(DocumentIndex((DEMO / "03-design-discussion.md").read_text()))
    assert [q.kind for q in found] == ["heading"] * 5 + ["item"] * 5
    assert found[0].text == "Q1: Where does the retry decision live?"
    assert found[6].text == "Should give_up_on match subclasses?"
    assert found[9].text == "Clock skew between workers"
    assert found[5].section == "Open questions"
    assert [q.number for q in found] == list(range(1, 11))


def test_items_ending_in_a_reference_after_the_question_mark_count() -> None:
    found = find_questions(DocumentIndex((DEMO / "01-research-questions.md").read_text()))
    assert found[0].text == "Where does a failure get recorded, and what is stored?"
    assert found[0].first_line == 10
    assert len(found) >= 11


def test_an_answer_to_a_heading_anchors_to_its_section_and_to_an_item_its_lines() -> None:
    doc = "## Q1: Where?\n\nBody.\n\n## Open questions\n\n1. Why?\n   More.\n"
    index = DocumentIndex(doc)
    heading, item = find_questions(index)
    section = heading.anchor(index)
    assert section.scope is Scope.SECTION and section.quote == "## Q1: Where?"
    placed = index.place(section)
    assert (placed.first_line, placed.last_line) == (1, 3)
    lines = item.anchor(index)
    assert lines.quote == "1. Why?\n   More."


def test_question_numbers_are_checked() -> None:
    index = DocumentIndex("## Why?\n")
    assert question(index, 1).text == "Why?"
    with pytest.raises(NotCommentable, match="no question 2; the document has 1"):
        question(index, 2)

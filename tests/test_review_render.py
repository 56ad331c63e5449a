"""A submitted round as the one markdown message the agent receives."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.review import delivery
from tui.review.anchoring import DocumentIndex
from tui.review.commenting import Document, answer, comment_on_lines
from tui.review.model import Verdict
from tui.review.questions import find_questions
from tui.review.render import MAX_QUOTE_LINES
from tui.review.store import ReviewStore

DOC = """\
# Design

## Q1: Where does the retry live?

In the worker.

## Open questions

1. Should retries be per task?
2. Do we need a cap?

## Notes

Plain \x1b[31mred\x1b[0m text from an agent.
"""


@pytest.fixture
def doc(tmp_path: Path) -> Document:
    path = tmp_path / "design.md"
    path.write_text(DOC)
    return Document(tmp_path, path, DOC)


def test_verdict_first_then_notes_with_location_and_quote_then_answers_by_question(
        store: ReviewStore, doc: Document) -> None:
    note = comment_on_lines(store, doc, 5, None, "Why not the backend?")
    questions = find_questions(DocumentIndex(doc.text))
    first = answer(store, doc, questions[1], "Yes.")
    second = answer(store, doc, questions[1], "But global by default.")
    other = answer(store, doc, questions[2], "Ten minutes.")
    text = delivery.submit_copy(store, note.round_id, Verdict.REQUEST_CHANGES).text
    lines = text.split("\n")
    assert lines[0] == f"# Review round {note.round_id} of `design.md`"
    assert lines[2].startswith("Verdict: **changes requested**") and "(1 comment, 3 answers)" in lines[2]
    assert f"## [{note.id}] `design.md:5`\n\n> In the worker.\n\nWhy not the backend?\n" in text
    per_task = text.index("### Should retries be per task? (`design.md:9`)")
    assert per_task < text.index(f"[{first.id}] Yes.") < text.index(f"[{second.id}] But global by default.")
    assert text.index("### Do we need a cap? (`design.md:10`)") < text.index(f"[{other.id}] Ten minutes.")
    assert text.count("### Should retries be per task?") == 1
    assert "`loupe review resolve ID --note" in text and f"loupe review show {note.round_id}" in text


def test_control_characters_from_documents_and_comments_are_shown_not_sent(
        store: ReviewStore, doc: Document) -> None:
    note = comment_on_lines(store, doc, 14, None, "bell \x07 and \x1b]0;title\x07")
    text = delivery.submit_copy(store, note.round_id, Verdict.COMMENT).text
    assert "\x1b" not in text and "\x07" not in text
    assert "> Plain ␛[31mred␛[0m text from an agent." in text
    assert "bell ␇ and ␛]0;title␇" in text


def test_long_quotes_are_cut_and_section_comments_say_so(store: ReviewStore, tmp_path: Path) -> None:
    body = "\n".join(f"line {n}" for n in range(1, 40))
    path = tmp_path / "long.md"
    path.write_text(f"# Long\n\n{body}\n")
    doc = Document(tmp_path, path, path.read_text())
    note = comment_on_lines(store, doc, 3, 41, "Too long")
    text = delivery.submit_copy(store, note.round_id, Verdict.COMMENT).text
    assert f"> line {MAX_QUOTE_LINES}\n> … ({39 - MAX_QUOTE_LINES} more lines)" in text
    assert f"> line {MAX_QUOTE_LINES + 1}\n" not in text

"""Making comments: on a selection, lines or a section of a document, as an answer to one of
its questions, or on lines of a session's diff.

Each goes into the draft round of its document (or session diff), created on first use.
The text a comment is made on is the text shown to the user: the caller passes it, so a
comment never anchors to a version the user did not see. Diff comments check the file as it
is now too, where the session runs (`session_files`), and are refused when the code under
the hunk has changed since the diff was shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from tui.diffs import FileDiff, Hunk
from tui.review.anchoring import CONTEXT_CHARS, DocumentIndex
from tui.review.errors import NotCommentable, StaleHunk
from tui.review.model import Anchor, Comment, Kind, Side, Target, document_key, text_hash
from tui.review.questions import Question
from tui.review.session_files import FileSource
from tui.review.store import ReviewStore
from tui.review.viewed import hunk_key


@dataclass(frozen=True, slots=True)
class Document:
    """A document as the user sees it: where it is, and the text on screen."""

    repo: Path
    path: Path
    text: str

    @property
    def key(self) -> str:
        return document_key(self.repo, self.path)

    @property
    def target(self) -> Target:
        return Target.document(self.key)


def comment_on_text(store: ReviewStore, doc: Document, start: int, end: int, body: str) -> Comment:
    """A note on the characters `start`..`end` of the document (a selection)."""
    return _add(store, doc, DocumentIndex(doc.text).anchor(start, end), body)


def comment_on_lines(store: ReviewStore, doc: Document, first_line: int, last_line: int | None,
                     body: str) -> Comment:
    return _add(store, doc, DocumentIndex(doc.text).anchor_lines(first_line, last_line), body)


def comment_on_quote(store: ReviewStore, doc: Document, quote: str, near_line: int, body: str) -> Comment:
    """A note on `quote` (the occurrence nearest to `near_line`): `--quote` on the command line."""
    return _add(store, doc, DocumentIndex(doc.text).anchor_quote(quote, near_line), body)


def comment_on_section(store: ReviewStore, doc: Document, line: int, body: str) -> Comment:
    """A note on the section `line` lies in (heading to the next heading)."""
    return _add(store, doc, DocumentIndex(doc.text).anchor_section(line), body)


def answer(store: ReviewStore, doc: Document, question: Question, body: str) -> Comment:
    """An answer to one of the document's questions (`questions.find_questions`)."""
    anchor = question.anchor(DocumentIndex(doc.text))
    return _add(store, doc, anchor, body, kind=Kind.ANSWER, question=question.text)


def _add(store: ReviewStore, doc: Document, anchor: Anchor, body: str, *, kind: Kind = Kind.NOTE,
         question: str = "") -> Comment:
    draft = store.draft(doc.repo, doc.target)
    return store.add_comment(draft.id, path=doc.key, anchor=anchor, body=body, kind=kind, question=question)


# -- session diffs -------------------------------------------------------------------------


def comment_on_diff(
    store: ReviewStore,
    repo: Path,
    session_id: str,
    files: FileSource,
    file: FileDiff,
    hunk: Hunk,
    side: Side,
    first_line: int,
    last_line: int | None,
    body: str,
) -> Comment:
    """A note on lines of one hunk of a session's diff, as it was shown (`file`, `hunk`).

    Lines are numbered on `side` (old: the session's base, new: its worktree, read from
    `files`). Refused with `StaleHunk` when the worktree's file no longer has the hunk's new
    lines where the diff put them: the agent changed that code after the diff was computed.
    """
    last_line = last_line or first_line
    if file.status == "binary":
        raise NotCommentable(f"{file.path} is a binary file: it has no lines to comment on")
    if side is Side.NEW and file.status == "deleted":
        raise NotCommentable(f"{file.path} was deleted: comment on the old side")
    numbered = [line for line in hunk.lines if line.kind != "\\"
                and (line.new if side is Side.NEW else line.old) is not None]
    numbers = {(line.new if side is Side.NEW else line.old): line for line in numbered}
    chosen = [numbers.get(n) for n in range(first_line, last_line + 1)]
    if first_line > last_line or any(line is None for line in chosen):
        raise NotCommentable(
            f"{file.path}:{first_line}-{last_line} is not all on the {side.value} side of hunk {hunk.header}"
        )
    current = files.texts([file.path]).get(file.path) if file.status != "deleted" else ""
    _check_current(file.path, hunk, current)
    if side is Side.NEW:
        anchor = DocumentIndex(current or "").anchor_lines(first_line, last_line)
    else:
        anchor = _old_side_anchor(numbered, first_line, last_line)
    draft = store.draft(repo, Target.diff(session_id))
    return store.add_comment(draft.id, path=file.path, anchor=anchor, body=body, side=side,
                             hunk=hunk_key(file.path, hunk))


def _check_current(path: str, hunk: Hunk, current: str | None) -> None:
    expected = [(line.new, line.text) for line in hunk.lines if line.new is not None and line.kind != "\\"]
    if not expected:
        return
    if current is None:
        raise StaleHunk(f"{path} is gone from the worktree since this diff was shown; refresh the diff")
    lines = current.split("\n")
    for number, text in expected:
        if number > len(lines) or lines[number - 1] != text:
            raise StaleHunk(
                f"{path}:{expected[0][0]}-{expected[-1][0]} changed since this diff was shown "
                "(the agent is still editing it); refresh the diff and comment again"
            )


def _old_side_anchor(numbered: list, first_line: int, last_line: int) -> Anchor:
    """The base file is not re-read (it never changes under a session): the hunk's old lines
    stand in for it."""
    texts = [line.text for line in numbered]
    olds = [line.old for line in numbered]
    start, end = olds.index(first_line), olds.index(last_line) + 1
    quote = "\n".join(texts[start:end])
    before = "\n".join(texts[:start])
    after = "\n".join(texts[end:])
    return Anchor(
        quote=quote,
        before=(before + "\n" if before else "")[-CONTEXT_CHARS:],
        after=("\n" + after if after else "")[:CONTEXT_CHARS],
        first_line=first_line,
        last_line=last_line,
        offset=len(before) + (1 if before else 0),
        doc_hash=text_hash("\n".join(texts)),
        doc_lines=olds[-1],
    )

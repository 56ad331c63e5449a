"""The review loop of one artifact pane: comments, answers and rounds on the document shown.

An invisible child of the document view (as its `FileFollower` is). It places every comment
made on the document in the version on screen, off the UI loop, after each reload and each
change to the review store (this app's, or an agent's `loupe review resolve`), and hands the
pane its marks. It answers the pane's `ReviewRequested`: comment on the selection (or the
paragraph at the top) or the section, answer a question, list the comments, submit the
draft round. Comments anchor to the text on screen, never to a version the reader did not see.
"""

from __future__ import annotations

import bisect
from pathlib import Path
from typing import TYPE_CHECKING

from textual import getters, on
from textual.widget import Widget

from tui.app_base import AppBase
from tui.channel import Received, received
from tui.docs.source_span import blocks_span, find_selection, lines_of, lines_span
from tui.errors import LoupeError
from tui.events import CommentsResolved, ReviewChanged, RoundSettled
from tui.views.startup import after_startup
from widgets.artifact_pane import ArtifactPane

# The review model, its store and its dialogs are imported where they are used: a document's
# first screen needs none of them (its comments are placed after it is shown).
if TYPE_CHECKING:
    from tui.dialogs.comment import Picked
    from tui.docs.blocks import MarkdownDoc
    from tui.review.questions import Question
    from tui.review.tracking import DocumentReview, Tracked
    from tui.views.review_edits import CommentEdits
    from widgets.artifact_review_bar import ReviewMarks

    # A document's comments placed in one version of it, and what the pane shows of them.
    Placed = tuple[DocumentReview, ReviewMarks]


class DocumentReviewer(Widget):
    app = getters.app(AppBase)

    DEFAULT_CSS = "DocumentReviewer { display: none; }"

    def __init__(self, path: Path, pane: ArtifactPane) -> None:
        super().__init__()
        self.path = path
        self.pane = pane
        self.review: DocumentReview | None = None
        # The document the marks were made for.
        self._doc: MarkdownDoc | None = None
        self._edits: CommentEdits | None = None

    def on_mount(self) -> None:
        self.app.channel.subscribe(self, ReviewChanged, CommentsResolved, RoundSettled)

    @property
    def edits(self) -> CommentEdits:
        if self._edits is None:
            from tui.views.review_edits import CommentEdits
            from tui.views.review_marks import describe

            self._edits = CommentEdits(self, describe)
        return self._edits

    @property
    def service(self):  # noqa: ANN201 - tui.services.review.ReviewService
        return self.app.services.review

    @property
    def key(self) -> str:
        from tui.review.model import document_key

        return document_key(self.service.repo, self.path)

    # -- placing comments (worker thread), showing them (UI loop) ---------------------------

    def place(self, doc: MarkdownDoc | None) -> Placed | None:
        """The comments placed in `doc` (None: the file is gone), blocking: the document's
        loader calls it in its worker, so a new version and its comments show together.
        None when the store cannot be read now (the next change looks again), and while the
        app makes its first screen: the comments of the document it shows are placed once
        that is shown (the review model and its store are not imported before)."""
        if not self.app.first_screen_shown:
            return None
        from tui.views.review_marks import review_marks

        try:
            review = self.service.document(self.path, doc.text if doc is not None else None)
        except LoupeError:
            return None
        return review, review_marks(review, doc)

    def shown(self, doc: MarkdownDoc | None, placed: Placed | None) -> None:
        """`doc` is on screen now, with its comments `placed` in its load (or not yet)."""
        self._doc = doc
        if placed is not None:
            self._show(doc, *placed)
        else:
            after_startup(self, lambda: self.refresh_review(doc) if doc is self._doc else None)

    def refresh_review(self, doc: MarkdownDoc | None) -> None:
        """Place the comments in `doc` (the version on screen) in a worker, then show them."""
        self._doc = doc

        def place() -> None:
            placed = self.place(doc)
            if placed is not None:
                self.app.call_from_thread(self._show, doc, *placed)

        self.run_worker(place, thread=True, group="review-place", exclusive=True, exit_on_error=False)

    def _show(self, doc: MarkdownDoc | None, review: DocumentReview, marks: ReviewMarks) -> None:
        if doc is not self._doc or not self.is_mounted:
            return  # a newer version is on screen: its own placing follows
        self.review = review
        self.pane.show_review(marks)

    @on(received(ReviewChanged))
    def _store_changed(self, message: Received[ReviewChanged]) -> None:
        paths = message.event.paths
        if paths is None or self.key in paths:
            self.refresh_review(self._doc)

    @on(received(CommentsResolved))
    def _resolved(self, message: Received[CommentsResolved]) -> None:
        mine = [c for c in message.event.comments if c.path == self.key and c.resolution is not None]
        for comment in mine:
            resolution = comment.resolution
            assert resolution is not None
            who = "you" if resolution.by == "you" else f"session {resolution.by}"
            note = f": {resolution.note}" if resolution.note else ""
            self.notify(f"[{comment.id}] {comment.location} resolved by {who}{note}", title="Review", markup=False)

    @on(received(RoundSettled))
    def _settled(self, message: Received[RoundSettled]) -> None:
        if message.event.round.target.path == self.key:
            from tui.views.review_rounds import notify_settled

            notify_settled(self.app, message.event.round, "r")

    # -- requests from the pane -------------------------------------------------------------

    def request(self, action: str) -> None:
        doc = self.pane.view.doc
        if doc is None or self._doc is None:
            return
        {"comment": self._comment, "section": self._comment_section, "answer": self._answer,
         "submit": self._submit, "comments": self._list, "edit": self._edit, "delete": self._delete,
         "discard": self._discard}[action](doc)

    def _comment(self, doc: MarkdownDoc) -> None:
        from tui.dialogs.comment import CommentScreen

        view = self.pane.view
        selection = view.selection
        blocks = selection.blocks() if not selection.empty else None
        if blocks is None:
            block = view.focus_row()[0]
            blocks = (block, block)
        words = selection.source_words() if not selection.empty else ""
        found = find_selection(doc, *blocks, words) if words else None
        text, path = doc.text, self.path
        if found is not None and not selection.whole_lines:
            start, end = found
            save = lambda body: self.service.comment_on_text(path, text, start, end, body)  # noqa: E731
        else:
            start, end = found or blocks_span(doc, *blocks)
            first, last = lines_of(text, start, end)
            start, end = lines_span(text, first, last)
            save = lambda body: self.service.comment_on_lines(path, text, first, last, body)  # noqa: E731
        if not text[start:end].strip():
            self.notify("Nothing to comment on there: select some text (v, or drag).", severity="warning")
            return
        first, last = lines_of(text, start, end)
        where = f"line {first}" if first == last else f"lines {first}-{last}"
        self.app.push_screen(CommentScreen(f"Comment on {self.path.name}, {where}", text[start:end], save=save),
                             self._saved)

    def _comment_section(self, doc: MarkdownDoc) -> None:
        from tui.dialogs.comment import CommentScreen

        block = self.pane.view.focus_row()[0]
        headings = doc.heading_indices
        position = bisect.bisect_right(headings, block) - 1
        if position < 0:
            self.notify("There is no heading above here: comment on lines instead (c).", severity="warning")
            return
        heading = doc.blocks[headings[position]]
        text, path, line = doc.text, self.path, heading.start + 1
        save = lambda body: self.service.comment_on_section(path, text, line, body)  # noqa: E731
        title = heading.title or "(untitled)"
        self.app.push_screen(CommentScreen(f"Comment on the section {title}", heading.source, save=save),
                             self._saved)

    def _answer(self, doc: MarkdownDoc) -> None:
        from tui.review.model import Kind

        text, path = doc.text, self.path
        row_line = doc.blocks[self.pane.view.focus_row()[0]].start + 1 if doc.blocks else 1
        answered = frozenset(t.comment.question for t in (self.review.tracked if self.review else ())
                             if t.comment.kind is Kind.ANSWER)

        def find() -> None:
            questions = self.service.questions(text)
            self.app.call_from_thread(self._ask, questions, row_line, answered, text, path)

        self.run_worker(find, thread=True, group="review-questions", exclusive=True, exit_on_error=False)

    def _ask(self, questions: list[Question], row_line: int, answered: frozenset[str], text: str, path: Path) -> None:
        from tui.dialogs.comment import AnswerScreen

        if not questions:
            self.notify(f"{self.path.name} asks no questions (headings or items ending in ?, "
                        "or a section named 'Open questions').", severity="warning")
            return
        initial = next((i for i, q in enumerate(questions) if q.last_line >= row_line), len(questions) - 1)
        save = lambda question, body: self.service.answer(path, text, question, body)  # noqa: E731
        self.app.push_screen(AnswerScreen(f"Answer a question of {self.path.name}", questions, save=save,
                                          initial=initial, answered=answered), self._saved)

    def _saved(self, result: object) -> None:
        if result is not None:
            self.pane.view.selection.clear()
            self.pane.view.refresh()
            self.pane.view.refresh_bindings()

    def _list(self, doc: MarkdownDoc) -> None:
        from tui.dialogs.comment import CommentsScreen
        from tui.views.review_marks import describe

        tracked = self.review.tracked if self.review else []
        lines = [(t.comment.id, describe(t)) for t in tracked]
        self.app.push_screen(CommentsScreen(f"Comments on {self.path.name}", lines), self._picked)

    def _picked(self, choice: Picked | None) -> None:
        review = self.review
        found = next((t for t in (review.tracked if review else ()) if choice and t.comment.id == choice.comment_id),
                     None)
        if choice is None or review is None or found is None:
            return
        if choice.action != "go":
            self.edits.run(choice.action, found, review.rounds)
            return
        doc = self.pane.view.doc
        if doc is not None and found.placement.found:
            self.pane.view.scroll_to_block(doc.block_at_line(found.placement.first_line - 1), center=True)

    # -- changing drafts --------------------------------------------------------------------

    def _edit(self, doc: MarkdownDoc) -> None:
        if self.review is not None:
            self.edits.act("edit", self._here(doc), self.review.rounds)

    def _delete(self, doc: MarkdownDoc) -> None:
        if self.review is not None:
            self.edits.act("delete", self._here(doc), self.review.rounds)

    def _discard(self, doc: MarkdownDoc) -> None:
        review = self.review
        self.edits.discard(review.draft if review else None, review.tracked if review else (), self.path.name)

    def _here(self, doc: MarkdownDoc) -> list[Tracked]:
        """The comments where the reader is: on the selected blocks, else on the block they
        are at, else on the blocks in view (as the bar under the text lists them)."""
        view = self.pane.view
        selected = view.selection.blocks() if not view.selection.empty else None
        first, last = selected or (view.focus_row()[0],) * 2
        found = self._on_blocks(doc, first, last)
        if not found and selected is None:
            shown = view.visible_blocks()
            found = self._on_blocks(doc, shown.start, shown.stop - 1)
        return found

    def _on_blocks(self, doc: MarkdownDoc, first: int, last: int) -> list[Tracked]:
        from tui.views.review_marks import blocks_of

        starts = [block.start for block in doc.blocks]
        found = []
        for item in self.review.tracked if self.review else ():
            span = blocks_of(item, starts)
            if span is not None and span[0] <= last and first <= span[1]:
                found.append(item)
        return found

    def _submit(self, doc: MarkdownDoc) -> None:
        from tui.dialogs.submit_round import SubmitRoundScreen
        from tui.review.model import RoundState, Target

        service = self.service
        target = Target.document(self.key)

        def prepare() -> None:
            draft = service.store.find_draft(service.repo, target)
            undelivered = [r for r in service.rounds(path=self.key) if r.state is RoundState.UNDELIVERED]
            if draft is None or not service.store.comments([draft.id]):
                if undelivered:
                    self.app.call_from_thread(self._retry, undelivered[-1].id)
                    return
                draft = service.draft(target)  # approving needs no comments
            choices = service.choices(draft.id)
            self.app.call_from_thread(
                self.app.push_screen,
                SubmitRoundScreen(choices, submit=lambda request: service.submit(draft.id, request)),
                self._sent,
            )

        self.run_worker(prepare, thread=True, group="review-submit", exclusive=True, exit_on_error=False)

    def _retry(self, round_id: int) -> None:
        """The round was not delivered (its session had ended): pick a session to send it to."""
        from tui.dialogs.submit_round import SubmitRoundScreen

        service = self.service

        def prepare() -> None:
            choices = service.choices(round_id)
            submit = lambda request: service.retry(round_id, request.session_id,  # noqa: E731
                                                   when_idle=request.when_idle)
            self.app.call_from_thread(self.app.push_screen, SubmitRoundScreen(choices, submit=submit, retry=True),
                                      self._sent)

        self.run_worker(prepare, thread=True, group="review-submit", exclusive=True, exit_on_error=False)

    def _sent(self, sent: object) -> None:
        from tui.views.review_rounds import notify_sent

        notify_sent(self.app, sent, "r")


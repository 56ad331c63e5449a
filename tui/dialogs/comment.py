"""Write a review comment, or an answer to one of a document's questions.

Both save through a job run on a thread (`Dialog.run_then_dismiss`): a refusal (the text is
blank, the round was sent meanwhile) is shown in the dialog, with what was typed kept.
Quotes and questions come from documents agents wrote: they are shown as plain text.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Button, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from tui.dialogs.base import Dialog
from tui.review.questions import Question
from widgets.plain_text import plain_text

# Lines of the quoted text shown above the comment.
QUOTE_LINES = 6


def quoted(text: str) -> str:
    lines = text.strip("\n").split("\n")
    shown = [f"> {line}" for line in lines[:QUOTE_LINES]]
    if len(lines) > QUOTE_LINES:
        shown.append(f"> … ({len(lines) - QUOTE_LINES} more lines)")
    return "\n".join(shown)


class CommentScreen(Dialog[object]):
    """A comment on `quote`; `save(body)` stores it, and the dialog dismisses with its result."""

    SIZE = "wide"
    BUSY_LABEL = "Saving…"
    BINDINGS = [Binding("ctrl+s", "save", "Save", id="comment.save")]

    def __init__(self, heading: str, quote: str, *, save: Callable[[str], object], body: str = "") -> None:
        super().__init__(heading)
        self._quote = quote
        self._save = save
        self._body = body

    def compose_body(self) -> ComposeResult:
        yield Static(plain_text(quoted(self._quote)), classes="dialog-help", id="quote")
        yield TextArea(self._body, id="body")

    def compose_buttons(self) -> ComposeResult:
        yield Button("Cancel", id="cancel")
        yield Button("Save (ctrl+s)", id="save", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#body", TextArea).focus()

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        body = self.query_one("#body", TextArea).text
        if not body.strip():
            self.show_error("Write the comment first (escape to leave without one).")
            return
        self.run_then_dismiss(lambda: self._save(body), failure="Could not save the comment")


class AnswerScreen(Dialog[object]):
    """Pick one of the document's questions and answer it; `save(question, body)` stores it."""

    SIZE = "wide"
    BUSY_LABEL = "Saving…"
    BINDINGS = [Binding("ctrl+s", "save", "Save", id="answer.save")]

    def __init__(self, heading: str, questions: Sequence[Question], *, save: Callable[[Question, str], object],
                 initial: int = 0, answered: frozenset[str] = frozenset()) -> None:
        super().__init__(heading)
        self._questions = list(questions)
        self._save = save
        self._initial = initial
        self._answered = answered

    def compose_body(self) -> ComposeResult:
        yield OptionList(*(self._option(q) for q in self._questions), id="questions")
        yield Label("Your answer", classes="dialog-label")
        yield TextArea(id="body")

    def _option(self, question: Question) -> Option:
        done = "  (answered)" if question.text in self._answered else ""
        return Option(plain_text(f"{question.number:>2}. line {question.first_line}: {question.text}{done}"),
                      id=str(question.number))

    def compose_buttons(self) -> ComposeResult:
        yield Button("Cancel", id="cancel")
        yield Button("Save (ctrl+s)", id="save", variant="primary")

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = min(self._initial, len(self._questions) - 1)
        self.query_one("#body", TextArea).focus()

    @on(OptionList.OptionSelected)
    def _picked(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.query_one("#body", TextArea).focus()

    @property
    def question(self) -> Question | None:
        highlighted = self.query_one(OptionList).highlighted
        return self._questions[highlighted] if highlighted is not None else None

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        question = self.question
        body = self.query_one("#body", TextArea).text
        if question is None:
            self.show_error("Pick the question you answer.")
            return
        if not body.strip():
            self.show_error("Write the answer first (escape to leave without one).")
            return
        self.run_then_dismiss(lambda: self._save(question, body), failure="Could not save the answer")


@dataclass(frozen=True, slots=True)
class Picked:
    """A comment picked in `CommentsScreen`, and what to do with it ("go", "edit", "delete")."""

    action: str
    comment_id: int


class CommentsScreen(Dialog[Picked]):
    """Comments with their status: enter goes to one, `e` edits it, `x` deletes it (drafts
    only: the owner says so of a sent one). `actions` limits what the keys offer (a list
    shown to pick the comment to edit dismisses with "edit" on enter)."""

    SIZE = "wide"
    BINDINGS = [
        Binding("e", "pick('edit')", "Edit comment", id="comments.edit"),
        Binding("x,delete", "pick('delete')", "Delete comment", id="comments.delete"),
    ]

    def __init__(self, heading: str, comments: Sequence[tuple[int, str]], *, enter: str = "go",
                 help: str = "enter goes to it · e edits it · x deletes it (comments not sent yet)") -> None:
        super().__init__(heading)
        self._comments = list(comments)
        self._enter = enter
        self._help = help

    def compose_body(self) -> ComposeResult:
        if not self._comments:
            yield Static("No comments yet: select text (v, or drag) and press c.", classes="dialog-help")
            return
        yield OptionList(*(Option(plain_text(line), id=str(cid)) for cid, line in self._comments), id="comments")
        yield Static(self._help, classes="dialog-help")

    def on_mount(self) -> None:
        for options in self.query(OptionList):
            options.highlighted = 0
            options.focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(Picked(self._enter, int(event.option.id or 0)))

    def action_pick(self, action: str) -> None:
        options = self.query(OptionList)
        highlighted = options.first().highlighted if options else None
        if highlighted is not None:
            self.dismiss(Picked(action, int(options.first().get_option_at_index(highlighted).id or 0)))

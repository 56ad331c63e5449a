"""Dialogs of the chat: edit a message, map a message into N questions, reduce branches back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import Button, Input, RadioButton, RadioSet, SelectionList, Static, TextArea
from textual.widgets.selection_list import Selection

from tui.dialogs.base import Dialog
from widgets.plain_text import plain_text


@dataclass(frozen=True)
class EditResult:
    text: str
    # Ask the model again from the edited message (only for user messages).
    rerun: bool


class EditMessageScreen(Dialog[EditResult]):
    """Edit a message. The original stays: the edit becomes a sibling (‹ n/m ›)."""

    SIZE = "wide"
    BINDINGS = [
        Binding("ctrl+s", "save(True)", "Save and rerun", id="edit.rerun"),
        Binding("ctrl+o", "save(False)", "Save only", id="edit.save"),
    ]

    def __init__(self, text: str, *, role: str) -> None:
        super().__init__(f"Edit {'your message' if role == 'user' else 'the reply'}")
        self._text = text
        self._role = role

    @property
    def can_rerun(self) -> bool:
        return self._role == "user"

    def compose_body(self) -> ComposeResult:
        yield Static(
            "The original is kept; the edit becomes a sibling you can switch back from (‹ n/m ›).",
            classes="dialog-help",
        )
        yield TextArea(self._text, soft_wrap=True, id="edit-text")

    def compose_buttons(self) -> ComposeResult:
        yield Button("Cancel (esc)", id="cancel")
        yield Button("Save only (ctrl+o)", id="save")
        if self.can_rerun:
            yield Button("Save and rerun (ctrl+s)", id="rerun", variant="primary")

    def on_mount(self) -> None:
        area = self.query_one(TextArea)
        area.focus()
        area.move_cursor(area.document.end)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "save" and parameters and parameters[0] is True and not self.can_rerun:
            return None
        return True

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id in ("save", "rerun"):
            self.action_save(event.button.id == "rerun")

    def action_save(self, rerun: bool) -> None:
        text = self.query_one(TextArea).text
        if not text.strip():
            self.show_error("The message is empty; write something or press escape.")
        elif text == self._text:
            self.show_error("Nothing changed.")
        else:
            self.dismiss(EditResult(text, rerun and self.can_rerun))


class MapScreen(Dialog[list[str]]):
    """Fork N branches from one message, one follow-up question each; they run in parallel."""

    SIZE = "wide"
    BINDINGS = [
        Binding("ctrl+s", "run", "Run all", id="map.run"),
        Binding("ctrl+n", "add", "Add question", id="map.add"),
    ]

    MAX_BRANCHES = 8

    def __init__(self, excerpt: str, questions: int = 3) -> None:
        super().__init__("Map: one branch per question")
        self._excerpt = excerpt
        self._initial = max(1, min(questions, self.MAX_BRANCHES))

    def compose_body(self) -> ComposeResult:
        yield Static(
            plain_text(
                f"Each question forks a branch after “{self._excerpt}” and runs in parallel. "
                "Empty lines are skipped. Reduce them back later with ctrl+r in the parent thread."
            ),
            classes="dialog-help",
        )
        with VerticalScroll(id="questions"):
            for index in range(self._initial):
                yield self._question(index)

    def compose_buttons(self) -> ComposeResult:
        yield Button("Cancel (esc)", id="cancel")
        yield Button("Add question (ctrl+n)", id="add")
        yield Button("Run all (ctrl+s)", id="run", variant="primary")

    def _question(self, index: int) -> Input:
        return Input(placeholder=f"Question {index + 1}", classes="question")

    def on_mount(self) -> None:
        self.query(Input).first().focus()

    def questions(self) -> list[str]:
        return [field.value.strip() for field in self.query(".question").results(Input) if field.value.strip()]

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        fields = list(self.query(".question").results(Input))
        index = fields.index(event.input)
        if index + 1 < len(fields):
            fields[index + 1].focus()
        else:
            self.action_add()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "add":
            self.action_add()
        elif event.button.id == "run":
            self.action_run()

    def action_add(self) -> None:
        fields = list(self.query(".question").results(Input))
        if len(fields) >= self.MAX_BRANCHES:
            self.show_error(f"At most {self.MAX_BRANCHES} branches at once.")
            return
        field = self._question(len(fields))
        self.query_one("#questions").mount(field)
        field.focus()

    def action_run(self) -> None:
        questions = self.questions()
        if not questions:
            self.show_error("Write at least one question.")
            return
        self.dismiss(questions)


@dataclass(frozen=True)
class BranchChoice:
    """A branch offered for reduce: a thread forked from the current one."""

    thread_id: str
    title: str
    # The branch's last reply, shortened, so the user can tell branches apart.
    excerpt: str
    ready: bool = True


@dataclass(frozen=True)
class ReduceResult:
    thread_ids: list[str]
    mode: Literal["synthesis", "concatenation"]


class ReduceScreen(Dialog[ReduceResult]):
    """Choose branches to bring back into this thread as one new message, and how."""

    SIZE = "wide"
    BINDINGS = [Binding("ctrl+s", "reduce", "Reduce", id="reduce.run")]

    def __init__(self, branches: list[BranchChoice], *, can_synthesise: bool = True) -> None:
        super().__init__("Reduce branches into this thread")
        self._branches = branches
        self._can_synthesise = can_synthesise

    def compose_body(self) -> ComposeResult:
        yield Static(
            "The chosen branches come back as one new message here, with the branches recorded "
            "as its sources. Branches still writing are not offered until they finish.",
            classes="dialog-help",
        )
        yield SelectionList[str](
            *(
                Selection(plain_text(f"{b.title} — {b.excerpt}"), b.thread_id, b.ready, disabled=not b.ready)
                for b in self._branches
            )
        )
        with RadioSet():
            yield RadioButton(
                "Synthesis: the model writes one answer from the branches",
                value=self._can_synthesise,
                id="synthesis",
                disabled=not self._can_synthesise,
            )
            yield RadioButton(
                "Concatenation: the branches' last replies, one after another",
                value=not self._can_synthesise,
                id="concatenation",
            )

    def compose_buttons(self) -> ComposeResult:
        yield Button("Cancel (esc)", id="cancel")
        yield Button("Reduce (ctrl+s)", id="reduce", variant="primary")

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "reduce":
            self.action_reduce()

    def action_reduce(self) -> None:
        chosen = list(self.query_one(SelectionList).selected)
        if not chosen:
            self.show_error("Choose at least one branch (space toggles).")
            return
        pressed = self.query_one(RadioSet).pressed_button
        mode: Literal["synthesis", "concatenation"] = (
            "synthesis" if pressed is not None and pressed.id == "synthesis" else "concatenation"
        )
        self.dismiss(ReduceResult(chosen, mode))

"""Small modal dialogs: yes/no confirmation and a one-line text prompt."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Button, Input, Static

from tui.dialogs.base import Dialog
from tui.terminal_text import visible
from widgets.plain_text import plain_text


class ConfirmScreen(Dialog[bool]):
    """Ask before something that cannot be undone. Dismisses with True to go ahead (escape:
    None)."""

    SIZE = "narrow"
    BINDINGS = [
        Binding("n", "answer(False)", "Cancel", id="confirm.no"),
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
    ]

    def __init__(self, title: str, body: str, *, confirm: str = "Delete", danger: bool = True) -> None:
        super().__init__(title)
        self._body = body
        self._confirm = confirm
        self._danger = danger

    def compose_body(self) -> ComposeResult:
        yield Static(plain_text(self._body), classes="dialog-body")

    def compose_buttons(self) -> ComposeResult:
        yield Button("Cancel (n)", id="cancel")
        yield Button(plain_text(f"{self._confirm} (y)"), id="confirm",
                     variant="error" if self._danger else "primary")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "confirm":
            self.dismiss(True)

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class PromptScreen(Dialog[str]):
    """Ask for one line of text (a title, a name). Dismisses with None on escape.

    `allow_empty`: an empty answer is an answer (e.g. "no title: name it later"), not a slip.
    """

    SIZE = "narrow"

    def __init__(
        self, title: str, value: str = "", *, placeholder: str = "", action: str = "OK", allow_empty: bool = False
    ) -> None:
        super().__init__(title)
        self._allow_empty = allow_empty
        self._value = value
        self._placeholder = placeholder
        self._action = action

    def compose_body(self) -> ComposeResult:
        # Input draws its value as it is: a thread title's controls would reach the terminal.
        yield Input(visible(self._value), placeholder=self._placeholder)

    def compose_buttons(self) -> ComposeResult:
        yield Button("Cancel", id="cancel")
        yield Button(f"{self._action} (enter)", id="ok", variant="primary")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self._submit()

    def _submit(self) -> None:
        value = self.query_one(Input).value.strip()
        if not value and not self._allow_empty:
            self.show_error("Type something first, or press escape to cancel.")
            return
        self.dismiss(value)

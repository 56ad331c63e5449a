"""Small modal dialogs: yes/no confirmation and a one-line text prompt."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

DIALOG_CSS = """
ConfirmScreen, PromptScreen {
    align: center middle;
}
ConfirmScreen > Vertical, PromptScreen > Vertical {
    width: 64;
    max-width: 90%;
    height: auto;
    padding: 1 2;
    border: thick $primary 60%;
    background: $surface;
}
ConfirmScreen .dialog-title, PromptScreen .dialog-title {
    text-style: bold;
    margin-bottom: 1;
}
ConfirmScreen .dialog-body {
    color: $text-muted;
    margin-bottom: 1;
}
ConfirmScreen Horizontal, PromptScreen Horizontal {
    height: auto;
    align-horizontal: right;
    margin-top: 1;
}
ConfirmScreen Button, PromptScreen Button {
    margin-left: 2;
}
"""


class ConfirmScreen(ModalScreen[bool]):
    """Ask before something that cannot be undone. Dismisses with True to go ahead."""

    DEFAULT_CSS = DIALOG_CSS
    BINDINGS = [
        Binding("escape,n", "answer(False)", "Cancel", id="confirm.cancel"),
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
    ]

    def __init__(self, title: str, body: str, *, confirm: str = "Delete", danger: bool = True) -> None:
        super().__init__()
        self._title = title
        self._body = body
        self._confirm = confirm
        self._danger = danger

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self._title, classes="dialog-title")
            yield Static(self._body, classes="dialog-body")
            with Horizontal():
                yield Button("Cancel (n)", id="cancel")
                yield Button(
                    f"{self._confirm} (y)", id="confirm", variant="error" if self._danger else "primary"
                )

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm")

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)


class PromptScreen(ModalScreen[str | None]):
    """Ask for one line of text (a title, a name). Dismisses with None on escape."""

    DEFAULT_CSS = DIALOG_CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="prompt.cancel")]

    def __init__(self, title: str, value: str = "", *, placeholder: str = "", action: str = "OK") -> None:
        super().__init__()
        self._title = title
        self._value = value
        self._placeholder = placeholder
        self._action = action

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self._title, classes="dialog-title")
            yield Input(self._value, placeholder=self._placeholder)
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button(f"{self._action} (enter)", id="ok", variant="primary")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self._submit()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self._submit()
        else:
            self.dismiss(None)

    def _submit(self) -> None:
        value = self.query_one(Input).value.strip()
        if not value:
            self.notify("Type something first, or press escape to cancel.", severity="warning", timeout=3)
            return
        self.dismiss(value)

    def action_cancel(self) -> None:
        self.dismiss(None)

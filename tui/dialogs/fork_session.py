"""Pick the message to fork a built-in agent's session at, and what the fork should do next."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from tui.agent.fork import ForkPoint
from tui.dialogs.base import Dialog
from widgets.plain_text import plain_text


@dataclass(frozen=True)
class ForkRequest:
    point: ForkPoint
    # A new instruction for the fork; empty to let it carry on from the fork point.
    prompt: str


class ForkSessionScreen(Dialog[ForkRequest]):
    SIZE = "wide"

    def __init__(self, session_label: str, points: list[ForkPoint]) -> None:
        super().__init__(f"Fork {session_label} at a message")
        self._points = points

    def compose_body(self) -> ComposeResult:
        yield Static(
            "The fork gets the conversation up to that message and a new worktree with the "
            "code as it was then. The session itself is not touched.",
            classes="dialog-help",
        )
        yield OptionList(*(self._option(p) for p in self._points), id="fork-points")
        yield Input(placeholder="New instruction for the fork (optional; empty: carry on)", id="fork-prompt")

    def compose_buttons(self) -> ComposeResult:
        yield Button("Cancel", id="cancel")
        yield Button("Fork", id="fork", variant="primary")

    @staticmethod
    def _option(point: ForkPoint) -> Option:
        code = "" if point.snapshot else "  (no code recorded: starts from the session's base)"
        return Option(plain_text(f"{point.number:>3}  {point.label}{code}"), id=str(point.number))

    def on_mount(self) -> None:
        options = self.query_one(OptionList)
        options.highlighted = len(self._points) - 1 if self._points else None
        options.focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self._fork()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "fork":
            self._fork()

    def _fork(self) -> None:
        highlighted = self.query_one(OptionList).highlighted
        if highlighted is None:
            self.show_error("Pick the message to fork at first.")
            return
        self.dismiss(ForkRequest(self._points[highlighted], self.query_one(Input).value.strip()))

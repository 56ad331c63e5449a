"""Pick the message to fork a built-in agent's session at, and what the fork should do next."""

from __future__ import annotations

from dataclasses import dataclass

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, OptionList, Static
from textual.widgets.option_list import Option

from tui.agent.fork import ForkPoint


@dataclass(frozen=True)
class ForkRequest:
    point: ForkPoint
    # A new instruction for the fork; empty to let it carry on from the fork point.
    prompt: str


class ForkSessionScreen(ModalScreen[ForkRequest | None]):
    DEFAULT_CSS = """
    ForkSessionScreen {
        align: center middle;
    }
    ForkSessionScreen > Vertical {
        width: 96;
        max-width: 95%;
        height: auto;
        max-height: 90%;
        padding: 1 2;
        border: thick $primary 60%;
        background: $surface;
    }
    ForkSessionScreen .dialog-title {
        text-style: bold;
    }
    ForkSessionScreen .dialog-body {
        color: $text-muted;
        margin-bottom: 1;
    }
    ForkSessionScreen OptionList {
        height: auto;
        max-height: 16;
        margin-bottom: 1;
    }
    ForkSessionScreen Horizontal {
        height: auto;
        align-horizontal: right;
        margin-top: 1;
    }
    ForkSessionScreen Button {
        margin-left: 2;
    }
    """
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="fork_session.cancel")]

    def __init__(self, session_label: str, points: list[ForkPoint]) -> None:
        super().__init__()
        self._label = session_label
        self._points = points

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(f"Fork {self._label} at a message", classes="dialog-title")
            yield Static(
                "The fork gets the conversation up to that message and a new worktree with the "
                "code as it was then. The session itself is not touched.",
                classes="dialog-body",
            )
            yield OptionList(*(self._option(p) for p in self._points), id="fork-points")
            yield Input(placeholder="New instruction for the fork (optional; empty: carry on)", id="fork-prompt")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Fork", id="fork", variant="primary")

    @staticmethod
    def _option(point: ForkPoint) -> Option:
        code = "" if point.snapshot else "  (no code recorded: starts from the session's base)"
        return Option(f"{point.number:>3}  {point.label}{code}", id=str(point.number))

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
        else:
            self.dismiss(None)

    def _fork(self) -> None:
        highlighted = self.query_one(OptionList).highlighted
        if highlighted is None:
            self.notify("Pick the message to fork at first.", severity="warning")
            return
        self.dismiss(ForkRequest(self._points[highlighted], self.query_one(Input).value.strip()))

    def action_cancel(self) -> None:
        self.dismiss(None)

"""The one base of loupe's dialogs: the frame, escape to close, the error line, the busy state.

    class AskName(Dialog[str]):
        def __init__(self) -> None:
            super().__init__("Name it")

        def compose_body(self) -> ComposeResult:
            yield Input(id="name")

        def compose_buttons(self) -> ComposeResult:
            yield Button("Cancel", id="cancel")
            yield Button("OK", id="ok", variant="primary")

- Escape, and a button with id "cancel", dismiss with None; not while busy, because the
  dialog is what shows how the work under way ended.
- `show_error(text)` shows one line of plain text above the buttons; "" hides it.
- `busy(True)` disables the primary button and labels it `BUSY_LABEL`; `busy(False)` restores
  it. `run_then_dismiss(job)` does both around a job run on a thread.

The frame's style is in `themes/dialogs.tcss`. The heading and the error line are plain text:
file names, thread titles and agents' questions are data, never markup.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Literal, TypeVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from themes import DIALOGS_TCSS
from widgets.plain_text import plain_text

ResultType = TypeVar("ResultType")
Size = Literal["narrow", "normal", "wide", "full"]


class Dialog(ModalScreen[ResultType]):
    # Also loaded by the app; named here so a dialog is framed in any host app (tests' too).
    CSS_PATH = [DIALOGS_TCSS]
    BINDINGS = [Binding("escape", "close", "Close", id="dialog.close")]
    # The frame's width: see themes/dialogs.tcss.
    SIZE: ClassVar[Size] = "normal"
    BUSY_LABEL: ClassVar[str] = "Working…"

    def __init__(self, heading: str) -> None:
        super().__init__()
        self.heading = heading
        self._idle_label: Content | None = None

    def compose(self) -> ComposeResult:
        with Vertical(classes=f"dialog-frame -{self.SIZE}"):
            yield Static(plain_text(self.heading), classes="dialog-title")
            yield from self.compose_body()
            yield Static(id="error", classes="dialog-error")
            buttons = list(self.compose_buttons())
            if buttons:
                with Horizontal(classes="dialog-buttons"):
                    yield from buttons

    def compose_body(self) -> ComposeResult:
        yield from ()

    def compose_buttons(self) -> ComposeResult:
        yield from ()

    @property
    def is_busy(self) -> bool:
        return self._idle_label is not None

    def action_close(self) -> None:
        if not self.is_busy:
            self.dismiss(None)

    @on(Button.Pressed, "#cancel")
    def _cancel_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_close()

    def show_error(self, text: str) -> None:
        error = self.query_one("#error", Static)
        error.update(plain_text(text))
        error.set_class(bool(text), "-shown")

    def busy(self, on: bool) -> None:
        button = self.query_one(".dialog-buttons Button.-primary", Button)
        if on and self._idle_label is None:
            self._idle_label = button.label
            button.label = self.BUSY_LABEL
            button.disabled = True
        elif not on and self._idle_label is not None:
            button.label = self._idle_label
            button.disabled = False
            self._idle_label = None

    def run_then_dismiss(self, job: Callable[[], ResultType], *, failure: str) -> None:
        """Run `job` on a thread while busy; dismiss with its result, or show
        "<failure>: <error>" and stay, with everything typed kept, so the user can try again."""
        if self.is_busy:
            return
        self.show_error("")
        self.busy(True)
        self._run(job, failure)

    @work(thread=True, exclusive=True, group="dialog-job")
    def _run(self, job: Callable[[], ResultType], failure: str) -> None:
        try:
            result = job()
        except Exception as exc:  # noqa: BLE001 - the dialog reports any failure and stays open
            self.app.call_from_thread(self._failed, f"{failure}: {exc}")
        else:
            self.app.call_from_thread(self.dismiss, result)

    def _failed(self, text: str) -> None:
        self.busy(False)
        self.show_error(text)

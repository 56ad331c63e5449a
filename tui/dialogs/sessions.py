"""Dialogs for agent sessions: start one, send text, and quit while agents run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label, Select, Static, TextArea
from textual.worker import Worker, WorkerState

DIALOG_CSS = """
NewSessionScreen, SendTextScreen, QuitSessionsScreen {
    align: center middle;
}
NewSessionScreen > Vertical, SendTextScreen > Vertical, QuitSessionsScreen > Vertical {
    width: 76;
    max-width: 95%;
    height: auto;
    max-height: 95%;
    padding: 1 2;
    border: thick $primary 60%;
    background: $surface;
}
NewSessionScreen .dialog-title, SendTextScreen .dialog-title, QuitSessionsScreen .dialog-title {
    text-style: bold;
    margin-bottom: 1;
}
NewSessionScreen Label {
    color: $text-muted;
    margin-top: 1;
}
NewSessionScreen TextArea {
    height: 6;
}
NewSessionScreen .dialog-error, SendTextScreen .dialog-error {
    color: $error;
    margin-top: 1;
}
QuitSessionsScreen .dialog-body {
    color: $text-muted;
}
NewSessionScreen Horizontal, SendTextScreen Horizontal, QuitSessionsScreen Horizontal {
    height: auto;
    align-horizontal: right;
    margin-top: 1;
}
NewSessionScreen Horizontal Button, SendTextScreen Horizontal Button,
QuitSessionsScreen Horizontal Button {
    margin-left: 2;
}
"""


@dataclass(frozen=True)
class StartRequest:
    agent: str
    task: str
    prompt: str
    base: str
    fetch: bool
    task_dir: Path | None = None


class NewSessionScreen(ModalScreen[object | None]):
    """Agent kind, task, prompt and base. Starting runs `start` off the UI loop; a failure
    is shown here, with everything typed kept, so the user can fix it and try again."""

    DEFAULT_CSS = DIALOG_CSS
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="new_session.cancel"),
        Binding("ctrl+s", "start", "Start", id="new_session.start"),
    ]

    def __init__(
        self,
        kinds: list[tuple[str, str]],
        *,
        start: Callable[[StartRequest], object],
        default_kind: str,
        base: str = "HEAD",
        task: str = "",
        task_dir: Path | None = None,
    ) -> None:
        super().__init__()
        self._kind_options = kinds
        self._start_session = start
        self._initial_kind = default_kind if any(k == default_kind for k, _ in kinds) else kinds[0][0]
        self._initial_base = base
        self._task_name = task
        self._task_folder = task_dir

    def compose(self) -> ComposeResult:
        with Vertical():
            title = "New agent session"
            if self._task_folder is not None:
                title += f" for task {self._task_name}"
            yield Static(title, classes="dialog-title")
            yield Label("Agent")
            yield Select(
                [(f"{name} - {description}" if description else name, name) for name, description in self._kind_options],
                value=self._initial_kind,
                allow_blank=False,
                id="agent",
            )
            yield Label("Task (names the branch loupe/<task>/<n>)")
            yield Input(self._task_name, placeholder="e.g. fix-login", id="task")
            yield Label("Prompt" + (f" (the task folder {self._task_folder} is passed along)" if self._task_folder else ""))
            yield TextArea(id="prompt")
            yield Label("Start from (branch or commit)")
            yield Input(self._initial_base, placeholder="HEAD", id="base")
            yield Checkbox("Fetch from the remote first", id="fetch")
            yield Static("", classes="dialog-error", id="error")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Start (ctrl+s)", id="start", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#error").display = False
        self.query_one("#task" if not self._task_name else "#prompt").focus()

    def request(self) -> StartRequest:
        return StartRequest(
            agent=str(self.query_one("#agent", Select).value),
            task=self.query_one("#task", Input).value.strip(),
            prompt=self.query_one("#prompt", TextArea).text.strip(),
            base=self.query_one("#base", Input).value.strip() or "HEAD",
            fetch=self.query_one("#fetch", Checkbox).value,
            task_dir=self._task_folder,
        )

    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        button = self.query_one("#start", Button)
        if button.disabled:
            return
        request = self.request()
        button.disabled = True
        button.label = "Starting..."
        self.run_worker(lambda: self._start_session(request), thread=True, exit_on_error=False,
                        group="start-session", name="start-session")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_start()

    @on(Worker.StateChanged)
    def _started(self, event: Worker.StateChanged) -> None:
        if event.worker.name != "start-session":
            return
        if event.state is WorkerState.SUCCESS:
            self.dismiss(event.worker.result)
        elif event.state in (WorkerState.ERROR, WorkerState.CANCELLED):
            error = self.query_one("#error", Static)
            error.update(f"Could not start: {event.worker.error}")
            error.display = True
            button = self.query_one("#start", Button)
            button.disabled = False
            button.label = "Start (ctrl+s)"

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


@dataclass(frozen=True)
class SendRequest:
    text: str
    when_idle: bool


class SendTextScreen(ModalScreen[SendRequest | None]):
    """Text to type into one or several sessions, now or once they are idle."""

    DEFAULT_CSS = DIALOG_CSS
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="send.cancel")]

    def __init__(self, title: str, *, when_idle: bool = False) -> None:
        super().__init__()
        self._dialog_title = title
        self._idle_default = when_idle

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Static(self._dialog_title, classes="dialog-title")
            yield Input(placeholder="text to type, then Enter", id="text")
            yield Checkbox("Send when idle (queue it instead of interrupting)", self._idle_default,
                           id="when-idle")
            yield Static("", classes="dialog-error", id="error")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Send (enter)", id="send", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#error").display = False
        self.query_one("#text", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#send")
    def _send(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        text = self.query_one("#text", Input).value
        if not text.strip():
            error = self.query_one("#error", Static)
            error.update("Type something to send, or press escape.")
            error.display = True
            return
        self.dismiss(SendRequest(text, self.query_one("#when-idle", Checkbox).value))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


class QuitSessionsScreen(ModalScreen[str]):
    """Quitting while agents run: they keep running unless the user stops them.

    Dismisses with "keep", "stop" or "cancel".
    """

    DEFAULT_CSS = DIALOG_CSS
    BINDINGS = [
        Binding("escape", "choose('cancel')", "Cancel", id="quit.cancel"),
        Binding("k,q", "choose('keep')", "Quit, keep running", id="quit.keep"),
        Binding("s", "choose('stop')", "Stop all and quit", id="quit.stop"),
    ]

    def __init__(self, live: list[str], socket: str) -> None:
        super().__init__()
        self._live_lines = live
        self._tmux_socket = socket

    def compose(self) -> ComposeResult:
        count = len(self._live_lines)
        noun = "session is" if count == 1 else "sessions are"
        with Vertical():
            yield Static(f"{count} agent {noun} still running", classes="dialog-title")
            yield Static(
                "They keep running in tmux after loupe quits, and the next loupe shows them "
                f"again. Attach from a terminal with: tmux -L {self._tmux_socket} attach\n\n"
                + "\n".join(f"  {line}" for line in self._live_lines[:8]),
                classes="dialog-body",
            )
            with Horizontal():
                yield Button("Cancel (esc)", id="cancel")
                yield Button("Stop all and quit (s)", id="stop", variant="error")
                yield Button("Quit, keep running (k)", id="keep", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(str(event.button.id))

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)

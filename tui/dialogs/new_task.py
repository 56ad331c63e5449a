"""The "New task" dialog: a title and the ticket text become a task folder with `ticket.md`.

The dialog gets a `create(title, text) -> folder` callable and runs it in a thread; it closes
only once the task exists, so an error (a read-only disk, a tasks path that is a file) is shown
in the dialog and nothing the user typed is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static, TextArea

from tui.errors import LoupeError


class NewTaskScreen(ModalScreen[Path | None]):
    DEFAULT_CSS = """
    NewTaskScreen {
        align: center middle;
    }
    NewTaskScreen > #new-task-dialog {
        width: 76;
        max-width: 95%;
        height: auto;
        max-height: 90%;
        padding: 1 2;
        border: round $primary;
        background: $surface;
    }
    NewTaskScreen #new-task-heading {
        text-style: bold;
        margin-bottom: 1;
    }
    NewTaskScreen Label {
        color: $text-muted;
    }
    NewTaskScreen #new-task-ticket {
        height: 10;
        margin-bottom: 1;
    }
    NewTaskScreen #new-task-title {
        margin-bottom: 1;
    }
    NewTaskScreen #new-task-error {
        color: $error;
        height: auto;
        display: none;
    }
    NewTaskScreen #new-task-error.-shown {
        display: block;
    }
    NewTaskScreen #new-task-where {
        color: $text-muted;
        height: auto;
    }
    NewTaskScreen #new-task-buttons {
        height: auto;
        align-horizontal: right;
        margin-top: 1;
    }
    NewTaskScreen Button {
        margin-left: 2;
    }
    """
    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="new_task.cancel"),
        Binding("ctrl+s", "create", "Create task", id="new_task.create", priority=True),
    ]

    def __init__(self, create: Callable[[str, str], Path], *, where: str) -> None:
        super().__init__()
        self._create = create
        self._where = where
        self._busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="new-task-dialog"):
            yield Static("New task", id="new-task-heading")
            yield Label("Title")
            yield Input(placeholder="What needs doing, in one line", id="new-task-title")
            yield Label("Ticket (markdown, optional)")
            yield TextArea(id="new-task-ticket", soft_wrap=True, language="markdown")
            yield Static(id="new-task-error")
            yield Static(f"Creates {self._where}/<title>/ticket.md · ctrl+s creates · esc cancels", id="new-task-where")
            with Horizontal(id="new-task-buttons"):
                yield Button("Cancel", id="new-task-cancel")
                yield Button("Create", variant="primary", id="new-task-create")

    def on_mount(self) -> None:
        self.query_one("#new-task-title", Input).focus()

    @on(Input.Submitted, "#new-task-title")
    def _title_entered(self) -> None:
        # Enter in the title goes on to the ticket, as in a form; ctrl+s creates from anywhere.
        self.query_one("#new-task-ticket", TextArea).focus()

    @on(Button.Pressed, "#new-task-create")
    def _create_pressed(self) -> None:
        self.action_create()

    @on(Button.Pressed, "#new-task-cancel")
    def _cancel_pressed(self) -> None:
        self.action_cancel()

    def action_cancel(self) -> None:
        if not self._busy:
            self.dismiss(None)

    def action_create(self) -> None:
        if self._busy:
            return
        title = self.query_one("#new-task-title", Input).value
        if not title.strip():
            self._show_error("Give the task a title.")
            self.query_one("#new-task-title", Input).focus()
            return
        self._busy = True
        self.query_one("#new-task-create", Button).disabled = True
        self._run_create(title.strip(), self.query_one("#new-task-ticket", TextArea).text)

    @work(thread=True, group="new-task")
    def _run_create(self, title: str, text: str) -> None:
        try:
            folder = self._create(title, text)
        except (LoupeError, OSError) as exc:
            self.app.call_from_thread(self._failed, str(exc))
        else:
            self.app.call_from_thread(self.dismiss, folder)

    def _failed(self, message: str) -> None:
        self._busy = False
        self.query_one("#new-task-create", Button).disabled = False
        self._show_error(f"Could not create the task: {message}")

    def _show_error(self, message: str) -> None:
        error = self.query_one("#new-task-error", Static)
        error.update(message)
        error.add_class("-shown")

"""The "New task" dialog: a title and the ticket text become a task folder with `ticket.md`.

The dialog gets a `create(title, text) -> folder` callable and runs it in a thread; it closes
only once the task exists, so an error (a read-only disk, a tasks path that is a file) is shown
in the dialog and nothing the user typed is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Button, Input, Label, Static, TextArea

from tui.dialogs.base import Dialog
from widgets.focus import FormInput, focus_now
from widgets.plain_text import plain_text


class NewTaskScreen(Dialog[Path]):
    BINDINGS = [Binding("ctrl+s", "create", "Create task", id="new_task.create", priority=True)]
    BUSY_LABEL = "Creating…"

    def __init__(self, create: Callable[[str, str], Path], *, where: str) -> None:
        super().__init__("New task")
        self._create = create
        self._where = where

    def compose_body(self) -> ComposeResult:
        yield Label("Title", classes="dialog-label")
        # Enter goes on to the ticket, as in a form (at once: what is typed next is the ticket's).
        yield FormInput(
            placeholder="What needs doing, in one line",
            id="new-task-title",
            then=lambda: self.query_one("#new-task-ticket", TextArea),
        )
        yield Label("Ticket (markdown, optional)", classes="dialog-label")
        yield TextArea(id="new-task-ticket", soft_wrap=True, language="markdown")
        yield Static(
            # One line at 80 columns (esc is in the footer), so the dialog fits 80x24 whole.
            plain_text(f"Creates {self._where}/<title>/ticket.md · ctrl+s creates"),
            classes="dialog-body",
            id="new-task-where",
        )

    def compose_buttons(self) -> ComposeResult:
        yield Button("Cancel", id="cancel")
        yield Button("Create", variant="primary", id="new-task-create")

    def on_mount(self) -> None:
        focus_now(self.query_one("#new-task-title", Input))

    @on(Button.Pressed, "#new-task-create")
    def action_create(self) -> None:
        if self.is_busy:
            return
        title = self.query_one("#new-task-title", Input).value.strip()
        if not title:
            self.show_error("Give the task a title.")
            self.query_one("#new-task-title", Input).focus()
            return
        text = self.query_one("#new-task-ticket", TextArea).text
        self.run_then_dismiss(lambda: self._create(title, text), failure="Could not create the task")

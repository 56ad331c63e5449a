"""Send text to one or several agent sessions: several lines, `@task/artifact` references.

The text area is the chat's composer (`widgets.chat.composer.Composer`): enter starts a new
line, ctrl+s sends, and `@` completes the task artifacts the app knows. The references are
expanded when the text is sent (`tui.references.expand_for_model`, as chat does for the
model), so the agent gets the artifact's content as it is on disk then.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.widgets import Button, Checkbox

from tui.dialogs.base import Dialog
from widgets.chat.composer import Composer


@dataclass(frozen=True)
class SendRequest:
    text: str
    when_idle: bool


class SendMessageScreen(Dialog[SendRequest]):
    SIZE = "wide"

    def __init__(self, title: str, *, when_idle: bool = False,
                 references: Callable[[], list[str]] | None = None) -> None:
        super().__init__(title)
        self._idle_default = when_idle
        # Blocking (it scans the tasks folder): called on a thread once the dialog shows.
        self._references = references

    def compose_body(self) -> ComposeResult:
        yield Composer("Text to type into the session · enter: new line · ctrl+s sends · "
                       "@task/artifact attaches a doc", id="text")
        yield Checkbox("Send when idle (queue it instead of interrupting)", self._idle_default,
                       id="when-idle")

    def compose_buttons(self) -> ComposeResult:
        yield Button("Cancel", id="cancel")
        yield Button("Send (ctrl+s)", id="send", variant="primary")

    def on_mount(self) -> None:
        self.query_one(Composer).focus_input()
        if self._references is not None:
            self._load_references(self._references)

    @work(thread=True, exit_on_error=False, group="send-references")
    def _load_references(self, references: Callable[[], list[str]]) -> None:
        found = references()
        self.app.call_from_thread(self.query_one(Composer).set_references, found)

    @on(Composer.Submitted)
    @on(Button.Pressed, "#send")
    def _send(self, event: Composer.Submitted | Button.Pressed) -> None:
        event.stop()
        text = self.query_one(Composer).text
        if not text.strip():
            self.show_error("Type something to send, or press escape.")
            return
        self.dismiss(SendRequest(text, self.query_one("#when-idle", Checkbox).value))

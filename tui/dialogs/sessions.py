"""Dialogs for agent sessions: start one, run a command, and quit while agents run (sending
text: `send_text`)."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Button, Checkbox, Input, Label, Select, Static, TextArea

from tui.dialogs.base import Dialog
from tui.terminal_text import visible
from widgets.plain_text import plain_text


@dataclass(frozen=True)
class StartRequest:
    agent: str
    task: str
    prompt: str
    base: str
    fetch: bool
    task_dir: Path | None = None
    # The `[hosts.NAME]` to start it on; "local" for this machine.
    host: str = "local"


class NewSessionScreen(Dialog[object]):
    """Agent kind, task, prompt and base. Starting runs `start` off the UI loop; a failure
    is shown here, with everything typed kept, so the user can fix it and try again."""

    BINDINGS = [Binding("ctrl+s", "start", "Start", id="new_session.start")]
    BUSY_LABEL = "Starting…"

    def __init__(
        self,
        kinds: list[tuple[str, str]],
        *,
        start: Callable[[StartRequest], object],
        default_kind: str,
        base: str = "HEAD",
        task: str = "",
        task_dir: Path | None = None,
        hosts: list[str] | None = None,
    ) -> None:
        super().__init__("New agent session" + (f" for task {task}" if task_dir is not None else ""))
        # This machine ("local") first, then each [hosts.NAME] of the config.
        self._hosts = hosts or ["local"]
        self._kind_options = kinds
        self._start_session = start
        self._initial_kind = default_kind if any(k == default_kind for k, _ in kinds) else kinds[0][0]
        self._initial_base = base
        self._task_name = task
        self._task_folder = task_dir

    def compose_body(self) -> ComposeResult:
        yield Label("Agent", classes="dialog-label")
        yield Select(
            [(plain_text(f"{name} - {description}" if description else name), name)
             for name, description in self._kind_options],
            value=self._initial_kind,
            allow_blank=False,
            id="agent",
        )
        yield Label("Task (names the branch loupe/<task>/<n>)", classes="dialog-label")
        # Input draws its value as it is: a task folder's controls would reach the terminal.
        yield Input(visible(self._task_name), placeholder="e.g. fix-login", id="task")
        folder = f" (the task folder {self._task_folder} is passed along)" if self._task_folder else ""
        yield Label(plain_text("Prompt" + folder), classes="dialog-label")
        yield TextArea(id="prompt")
        yield Label("Host (where the agent runs: here, or a [hosts.NAME] over SSH)", classes="dialog-label")
        yield Select([(plain_text("this machine" if name == "local" else name), name) for name in self._hosts],
                     value=self._hosts[0], allow_blank=False, id="host")
        yield Label("Start from (branch or commit)", classes="dialog-label")
        yield Input(self._initial_base, placeholder="HEAD", id="base")
        yield Checkbox("Fetch from the remote first", id="fetch")

    def compose_buttons(self) -> ComposeResult:
        yield Button("Cancel", id="cancel")
        yield Button("Start (ctrl+s)", id="start", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#task" if not self._task_name else "#prompt").focus()

    def request(self) -> StartRequest:
        return StartRequest(
            agent=str(self.query_one("#agent", Select).value),
            task=self.query_one("#task", Input).value.strip(),
            prompt=self.query_one("#prompt", TextArea).text.strip(),
            base=self.query_one("#base", Input).value.strip() or "HEAD",
            fetch=self.query_one("#fetch", Checkbox).value,
            task_dir=self._task_folder,
            host=str(self.query_one("#host", Select).value),
        )

    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        request = self.request()
        self.run_then_dismiss(lambda: self._start_session(request), failure="Could not start")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_start()


class ExecCommandScreen(Dialog[list[str]]):
    """A command to run in sessions' worktrees (not typed into the agents), split as a POSIX
    shell would split it but run without one; `{n}` becomes each session's number."""

    def compose_body(self) -> ComposeResult:
        yield Label("Command ({n}: each session's number; quote as in a shell)", classes="dialog-label")
        yield Input(placeholder="e.g. make test, or git log -1 --oneline", id="command")

    def compose_buttons(self) -> ComposeResult:
        yield Button("Cancel", id="cancel")
        yield Button("Run (enter)", id="run", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#command", Input).focus()

    @on(Input.Submitted)
    @on(Button.Pressed, "#run")
    def _run(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        try:
            argv = shlex.split(self.query_one("#command", Input).value)
        except ValueError as exc:
            self.show_error(f"The command does not parse ({exc}): close its quotes.")
            return
        if not argv:
            self.show_error("Type a command to run, or press escape.")
            return
        self.dismiss(argv)


class QuitSessionsScreen(Dialog[str]):
    """Quitting while agents run: they keep running unless the user stops them.

    Dismisses with "keep" or "stop"; None (escape, Cancel) stays.
    """

    BINDINGS = [
        Binding("k,q", "choose('keep')", "Quit, keep running", id="quit.keep"),
        Binding("s", "choose('stop')", "Stop all and quit", id="quit.stop"),
    ]

    def __init__(self, live: list[str], socket: str) -> None:
        count = len(live)
        super().__init__(f"{count} agent {'session is' if count == 1 else 'sessions are'} still running")
        self._live_lines = live
        self._tmux_socket = socket

    def compose_body(self) -> ComposeResult:
        yield Static(
            plain_text(
                "They keep running in tmux after loupe quits, and the next loupe shows them "
                f"again. Attach from a terminal with: tmux -L {self._tmux_socket} attach\n\n"
                + "\n".join(f"  {line}" for line in self._live_lines[:8])
            ),
            classes="dialog-body",
        )

    def compose_buttons(self) -> ComposeResult:
        yield Button("Cancel (esc)", id="cancel")
        yield Button("Stop all and quit (s)", id="stop", variant="error")
        yield Button("Quit, keep running (k)", id="keep", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id in ("keep", "stop"):
            self.dismiss(str(event.button.id))

    def action_choose(self, choice: str) -> None:
        self.dismiss(choice)

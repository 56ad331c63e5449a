"""The outputs of one command run in several sessions' worktrees, as a document tab.

`Supervision.ask_exec` opens it; it runs `run_everywhere` (what `loupe session exec` runs)
in a thread worker, then shows each session's output under its label with its exit code.
Outputs are data: shown as plain text with control characters made visible, never markup.
`r` runs the command again.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import getters, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Static

from tui.app_base import AppBase
from tui.terminal_text import visible

if TYPE_CHECKING:
    from tui.sessions.model import Session
    from tui.sessions.run_everywhere import ExecResult


class ExecResultsPane(Vertical):
    app = getters.app(AppBase)

    DEFAULT_CSS = """
    ExecResultsPane > .exec-summary {
        height: auto;
        padding: 0 1;
        background: $panel;
        color: $text-muted;
    }
    ExecResultsPane > VerticalScroll > .exec-label {
        text-style: bold;
        margin-top: 1;
    }
    ExecResultsPane > VerticalScroll > .exec-failed {
        color: $error;
    }
    ExecResultsPane > VerticalScroll > Static {
        padding: 0 1;
    }
    """
    BINDINGS = [Binding("r", "rerun", "Run again", id="session_exec.rerun")]

    def __init__(self, sessions: list[Session], argv: list[str]) -> None:
        super().__init__()
        self.sessions = sessions
        self.argv = argv
        self.results: list[ExecResult] | None = None

    def compose(self) -> ComposeResult:
        yield Static(self._running_summary(), classes="exec-summary")
        yield VerticalScroll(id="exec-outputs", can_focus=True)

    def _running_summary(self) -> Content:
        numbers = ", ".join(str(s.number) for s in self.sessions)
        return Content(visible(f"$ {' '.join(self.argv)}  · running in session(s) {numbers}…"))

    def on_mount(self) -> None:
        self.action_rerun()

    def action_rerun(self) -> None:
        self.results = None
        self.query_one(".exec-summary", Static).update(self._running_summary())
        self._run()

    @work(thread=True, exclusive=True, group="session-exec", exit_on_error=False)
    def _run(self) -> None:
        from tui.sessions.run_everywhere import run_everywhere

        manager = self.app.services.sessions.manager
        if manager is None:
            self.app.call_from_thread(self._failed, "sessions are not available yet")
            return
        try:
            results = run_everywhere(manager, self.sessions, self.argv)
        except Exception as exc:  # noqa: BLE001 - shown in the tab
            self.app.call_from_thread(self._failed, str(exc))
            return
        self.app.call_from_thread(self._show, results)

    def _failed(self, error: str) -> None:
        self.query_one(".exec-summary", Static).update(Content(visible(f"Could not run: {error}")))

    def _show(self, results: list[ExecResult]) -> None:
        from tui.sessions.run_everywhere import worst

        self.results = results
        failed = sum(1 for r in results if r.exit_code)
        summary = f"$ {' '.join(self.argv)}  · {len(results)} session(s), "
        summary += f"{failed} failed (worst exit {worst(results)})" if failed else "all exited 0"
        self.query_one(".exec-summary", Static).update(Content(visible(summary)))
        outputs = self.query_one("#exec-outputs", VerticalScroll)
        outputs.remove_children()
        widgets: list[Static] = []
        for result in results:
            widgets.append(Static(Content(visible(result.label)), classes="exec-label"))
            text = "".join(part if part.endswith("\n") or not part else part + "\n"
                           for part in (result.stdout, result.stderr))
            if text:
                widgets.append(Static(Content(visible(text.rstrip("\n"))), classes="exec-output"))
            if result.error:
                widgets.append(Static(Content(visible(f"could not run: {result.error}")), classes="exec-failed"))
            else:
                ended = f"exit {result.exit_code}"
                widgets.append(Static(Content(ended), classes="exec-failed" if result.exit_code else "exec-exit"))
        outputs.mount_all(widgets)

"""A session's changes as a read-only document tab: file list and coloured hunks.

The diff (committed and uncommitted, against where the session started) is computed in a
thread; `r` computes it again. Landing and removing stay on the grid, where the session is.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import getters, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from tui.app_base import AppBase
from widgets.diff_view import DiffView
from widgets.plain_text import plain_text

if TYPE_CHECKING:
    from tui.sessions.diff import SessionDiff
    from tui.sessions.model import Session


class SessionDiffPane(Vertical):
    app = getters.app(AppBase)

    DEFAULT_CSS = """
    SessionDiffPane > .diff-summary {
        height: auto;
        padding: 0 1;
        background: $panel;
        color: $text-muted;
    }
    SessionDiffPane > DiffView {
        height: 1fr;
    }
    """
    BINDINGS = [Binding("r", "reload", "Refresh diff", id="session_diff.reload")]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session

    def compose(self) -> ComposeResult:
        yield Static(f"Computing the diff of session {self.session.number}...", classes="diff-summary")
        yield DiffView(empty_message="No changes yet.")

    def on_mount(self) -> None:
        self.action_reload()

    def action_reload(self) -> None:
        self._compute()

    @work(thread=True, exclusive=True, group="session-diff", exit_on_error=False)
    def _compute(self) -> None:
        manager = self.app.services.sessions.manager
        try:
            if manager is None:
                raise RuntimeError("sessions are not available yet")
            result = manager.diff(self.session)
        except Exception as exc:  # noqa: BLE001 - any failure is shown in the pane
            self.call_later(self._failed, str(exc))
            return
        self.call_later(self._show, result)

    def _show(self, result: SessionDiff) -> None:
        stat = result.stat
        session = self.session
        base = session.base_branch or result.base[:10]
        parts = [
            f"{session.branch}: +{stat.added} -{stat.removed} in {stat.files} file(s)",
            f"{result.commits} commit(s) since {base}, uncommitted changes included",
        ]
        if result.truncated:
            parts.append("long diff: later hunks left out")
        parts.append("r refresh · L on the grid lands it")
        # Branch names and git's messages are data: plain text, not markup.
        self.query_one(".diff-summary", Static).update(plain_text(" · ".join(parts)))
        self.query_one(DiffView).show(result.files)

    def _failed(self, message: str) -> None:
        self.query_one(".diff-summary", Static).update(plain_text(f"Cannot show the diff: {message}"))

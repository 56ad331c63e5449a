"""The session grid: one tile per agent session."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static


class SessionsView(Vertical):
    def compose(self) -> ComposeResult:
        yield Static("Sessions", classes="section-title")

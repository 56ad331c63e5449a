"""Sidebar section listing tasks and their artifacts."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static


class TasksView(Vertical):
    def compose(self) -> ComposeResult:
        yield Static("Tasks", classes="section-title")

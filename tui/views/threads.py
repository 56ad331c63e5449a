"""Sidebar section listing chat threads as a fork tree."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Static


class ThreadsView(Vertical):
    def compose(self) -> ComposeResult:
        yield Static("Threads", classes="section-title")

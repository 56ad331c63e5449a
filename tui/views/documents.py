"""The document area: tabs of read-only panes (artifacts, code, chat threads)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static, TabbedContent, TabPane


def pane_id(key: str) -> str:
    """A stable widget id for a document key (a path, a thread id)."""
    return "doc-" + hashlib.sha1(key.encode()).hexdigest()[:12]


class DocumentsView(Vertical):
    """Holds one tab per open document. Callers say what to show; this decides where."""

    BINDINGS = [
        Binding("ctrl+w", "close_tab", "Close tab", id="documents.close"),
    ]

    def compose(self) -> ComposeResult:
        yield Static(
            "Open a task's artifact from the list on the left, or press ctrl+p for commands.",
            classes="empty-hint",
            id="documents-empty",
        )
        yield TabbedContent(id="document-tabs")

    def on_mount(self) -> None:
        self._sync_empty()

    def open_pane(self, key: str, title: str, make: Callable[[], Widget]) -> Widget:
        """Show the pane for `key`, creating it with `make()` the first time."""
        tabs = self.query_one("#document-tabs", TabbedContent)
        ident = pane_id(key)
        existing = tabs.query(f"#{ident}")
        if existing:
            tabs.active = ident
            pane = existing.first(TabPane)
            return pane.children[0] if pane.children else pane
        widget = make()
        tabs.add_pane(TabPane(title, widget, id=ident))
        tabs.active = ident
        self._sync_empty()
        return widget

    def find_pane(self, key: str) -> Widget | None:
        found = self.query(f"#{pane_id(key)}")
        if not found:
            return None
        pane = found.first(TabPane)
        return pane.children[0] if pane.children else None

    def action_close_tab(self) -> None:
        tabs = self.query_one("#document-tabs", TabbedContent)
        if tabs.active:
            tabs.remove_pane(tabs.active)
            self.call_after_refresh(self._sync_empty)

    def _sync_empty(self) -> None:
        tabs = self.query_one("#document-tabs", TabbedContent)
        has_tabs = tabs.tab_count > 0
        tabs.display = has_tabs
        self.query_one("#documents-empty").display = not has_tabs

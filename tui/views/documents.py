"""The document area: tabs of read-only panes (artifacts, code, chat threads)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from textual import getters
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widget import Widget
from textual.widgets import Static, TabbedContent, TabPane

from tui.app_base import AppBase


def pane_id(key: str) -> str:
    """A stable widget id for a document key (a path, a thread id)."""
    return "doc-" + hashlib.sha1(key.encode()).hexdigest()[:12]


class DocumentsView(Vertical):
    """Holds one tab per open document. Callers say what to show; this decides where."""

    app = getters.app(AppBase)

    def compose(self) -> ComposeResult:
        yield Static(
            "Open a task's artifact from the list on the left, or press ctrl+p for commands.",
            classes="empty-hint",
            id="documents-empty",
        )
        yield TabbedContent(id="document-tabs")

    def on_mount(self) -> None:
        self._sync_empty()
        if self.app.services.workspace.open_file is None:
            # Load the document panes' libraries in the background while the user looks
            # around, so the first artifact opens at full speed (opening a file at start
            # loads them anyway).
            self.set_timer(1.0, self._warm_up)

    def _warm_up(self) -> None:
        from tui.docs.warmup import warm_up

        self.run_worker(warm_up, thread=True, group="documents-warm-up", exit_on_error=False)

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

    def open_path(self, path: Path, line: int | None = None, *, anchor: str = "") -> Widget:
        """Show a file: markdown as an artifact, anything else in the code view."""
        from tui.docs.loader import is_markdown

        if is_markdown(path):
            return self.open_artifact(path, anchor=anchor, line=line)
        return self.open_code(path, line)

    def open_artifact(self, path: Path, *, anchor: str = "", line: int | None = None) -> Widget:
        # Imported here: the reading view is not needed until a document opens.
        from tui.views.artifact import ArtifactDocument

        existing = self.find_pane(f"artifact:{path}")
        widget = self.open_pane(
            f"artifact:{path}", path.name, lambda: ArtifactDocument(path, anchor=anchor, line=line)
        )
        if existing is not None and isinstance(widget, ArtifactDocument) and (anchor or line):
            widget.go_to(anchor, line)
        self._focus(widget)
        return widget

    def open_code(self, path: Path, line: int | None = None) -> Widget:
        from tui.views.code import CodeDocument

        existing = self.find_pane(f"code:{path}")
        title = f"{path.name}:{line}" if line else path.name
        widget = self.open_pane(f"code:{path}", title, lambda: CodeDocument(path, line=line))
        if existing is not None and isinstance(widget, CodeDocument):
            widget.go_to(line)
        self._focus(widget)
        return widget

    def _focus(self, widget: Widget) -> None:
        focus = getattr(widget, "focus_document", None)
        if callable(focus):
            self.call_after_refresh(focus)

    def focus_active(self) -> bool:
        """Focus the document of the tab shown; False if there is none."""
        document = self.active_document()
        focus = getattr(document, "focus_document", None)
        if document is None:
            return False
        if callable(focus):
            focus()
        else:
            document.focus()
        return True

    def active_document(self) -> Widget | None:
        tabs = self.query_one("#document-tabs", TabbedContent)
        pane = tabs.active_pane
        return pane.children[0] if pane is not None and pane.children else None

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        """The active document's commands (hidden tabs offer none)."""
        document = self.active_document()
        commands = getattr(document, "document_commands", None)
        return list(commands()) if callable(commands) else []

    def find_pane(self, key: str) -> Widget | None:
        found = self.query(f"#{pane_id(key)}")
        if not found:
            return None
        pane = found.first(TabPane)
        return pane.children[0] if pane.children else None

    def close_pane(self, key: str) -> None:
        """Close the tab showing `key`, if one is open (e.g. a deleted thread)."""
        ident = pane_id(key)
        tabs = self.query_one("#document-tabs", TabbedContent)
        if tabs.query(f"#{ident}"):
            tabs.remove_pane(ident)
            self.call_after_refresh(self._sync_empty)

    @property
    def has_tabs(self) -> bool:
        return self.query_one("#document-tabs", TabbedContent).tab_count > 0

    async def close_active(self) -> None:
        """Close the tab shown; the next one is shown (the caller decides where focus goes)."""
        tabs = self.query_one("#document-tabs", TabbedContent)
        if tabs.active:
            await tabs.remove_pane(tabs.active)
            self._sync_empty()

    def _sync_empty(self) -> None:
        tabs = self.query_one("#document-tabs", TabbedContent)
        has_tabs = tabs.tab_count > 0
        tabs.display = has_tabs
        self.query_one("#documents-empty").display = not has_tabs

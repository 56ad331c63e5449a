"""The header line and notice bar shared by document panes (artifacts, code)."""

from __future__ import annotations

from rich.markup import escape
from textual.widgets import Static


class DocHeader(Static):
    """One line naming the document and its state."""

    def show(self, markup: str) -> None:
        if markup != getattr(self, "_shown", None):
            self._shown = markup
            self.update(markup)

    DEFAULT_CSS = """
    DocHeader {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text-muted;
    }
    """


class Notice(Static):
    """A bar that explains something about the document: hidden when there is nothing to say."""

    DEFAULT_CSS = """
    Notice {
        display: none;
        height: auto;
        padding: 0 1;
    }
    Notice.-shown {
        display: block;
    }
    Notice.-info {
        background: $primary 15%;
        color: $text-primary;
    }
    Notice.-warning {
        background: $warning 18%;
        color: $text-warning;
    }
    Notice.-error {
        background: $error 18%;
        color: $text-error;
    }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.message = ""

    def say(self, text: str | None, severity: str = "warning") -> None:
        """Show `text` (None or "" hides the bar); severity is info, warning or error."""
        if (text or "") == self.message and (not text or self.has_class(f"-{severity}")):
            return  # unchanged: no refresh, no relayout
        self.message = text or ""
        self.update(escape(self.message))
        self.set_class(bool(text), "-shown")
        for name in ("info", "warning", "error"):
            self.set_class(name == severity, f"-{name}")

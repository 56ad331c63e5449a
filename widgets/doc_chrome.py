"""The header line and notice bar shared by document panes (artifacts, code)."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

from widgets.plain_text import plain_text


class DocHeader(Static):
    """One line naming the document and its state."""

    def show(self, content: Content) -> None:
        """Show `content`: built with `widgets.plain_text`, since the header names a file."""
        # Content's == compares text only: a change of style alone must show too.
        shown = (content.plain, tuple(content.spans))
        if shown != getattr(self, "_shown", None):
            self._shown = shown
            self.update(content)

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
        self.update(plain_text(self.message))
        self.set_class(bool(text), "-shown")
        for name in ("info", "warning", "error"):
            self.set_class(name == severity, f"-{name}")

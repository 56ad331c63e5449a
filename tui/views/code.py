"""One open code (or any non-markdown) file, read-only, followed live, scrolled to a line."""

from __future__ import annotations

from pathlib import Path

from textual import getters
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content

from tui.app_base import AppBase
from tui.docs.loader import DocumentError, DocumentMissing, LoadedText, load_text, stamp_of
from tui.views.editing import edit_file
from tui.views.follow import FileFollower
from widgets.code_view import CodeView
from widgets.doc_chrome import DocHeader, Notice
from widgets.plain_text import plain_text


class CodeDocument(Vertical):
    app = getters.app(AppBase)

    DEFAULT_CSS = """
    CodeDocument {
        height: 1fr;
    }
    """

    BINDINGS = [Binding("e", "edit", "Edit", id="code.edit")]

    def __init__(self, path: Path, *, line: int | None = None) -> None:
        super().__init__()
        self.path = path
        self.line = line
        self.text: str | None = None
        self.deleted = False
        self.status = "loading…"
        self._stamp: tuple[int, int, int] | None = None

    def compose(self) -> ComposeResult:
        self.workspace = self.app.services.workspace
        self.follower = FileFollower(
            self.path, self._load, self._apply, poll_seconds=self.workspace.config.docs.poll_seconds
        )
        yield DocHeader(id="code-header")
        yield Notice(id="code-notice")
        yield CodeView()
        yield self.follower

    @property
    def code(self) -> CodeView:
        return self.query_one(CodeView)

    def on_mount(self) -> None:
        self._header()
        self.follower.start()

    def focus_document(self) -> bool:
        """Focus the code; False if it is not composed yet (the caller tries again)."""
        if not self.query(CodeView):
            return False
        self.code.focus()
        return True

    def document_commands(self) -> list[tuple[str, str, object]]:
        return [
            ("Document: open in editor", "Edit the file in $EDITOR and come back here (e)", self.action_edit),
            ("Document: select lines", "Select lines with the arrows, then y copies them (v)",
             self.code.action_select_lines),
        ]

    def go_to(self, line: int | None) -> None:
        if line is None:
            return
        self.line = line
        if self.text is not None:
            self.code.go_to_line(line)

    def _header(self) -> None:
        where = f":{self.line}" if self.line else ""
        # The file's name is data: plain text, never markup.
        self.query_one(DocHeader).show(
            Content.assemble(plain_text(self.path.name, "bold"), plain_text(f"{where} · read-only · {self.status}"))
        )

    def _notice(self, text: str | None, severity: str = "warning") -> None:
        self.query_one(Notice).say(text, severity)

    @property
    def notice(self) -> str:
        return self.query_one(Notice).message

    def _load(self, reason: str) -> LoadedText | DocumentError | None:
        stamp = stamp_of(self.path)
        if reason == "poll" and stamp == self._stamp and (stamp is not None or self.deleted):
            return None
        try:
            loaded = load_text(self.path, max_bytes=self.workspace.config.docs.max_file_mb * 1_000_000)
        except DocumentError as error:
            return error
        if loaded.text == self.text and not self.deleted:
            self._stamp = loaded.stamp
            return None
        return loaded

    def _apply(self, result: LoadedText | DocumentError | None) -> None:
        if result is None or not self.is_mounted:
            return
        if isinstance(result, DocumentError):
            self._stamp = None
            if isinstance(result, DocumentMissing) and self.text is not None:
                self.deleted = True
                self.status = "deleted on disk"
                self._notice(f"{self.path.name} was deleted on disk. Showing the last version.")
            else:
                self.status = "cannot show"
                self._notice(str(result), "error")
                self.code.display = self.text is not None
            self._header()
            return
        first = self.text is None
        self.deleted = False
        self.text = result.text
        self._stamp = result.stamp
        self.status = "live"
        self._notice(result.notice)
        self.code.display = True
        self.code.show_text(result.text, self.path.name, self.line if first else None)
        self._header()

    def on_code_view_copy_requested(self, message: CodeView.CopyRequested) -> None:
        message.stop()
        self.app.copy_text(message.text)

    def action_edit(self) -> None:
        # At the line a link led to while it is on screen, else at the top line on screen.
        code = self.code
        top = int(code.scroll_y) + 1
        target = code.target_line
        line = target if target is not None and top <= target < top + code.size.height else top
        edit_file(self, self.path, self.workspace.config.general.editor, lambda: self.follower.request("edited"), line)

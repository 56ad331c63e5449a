"""The guard log: every push the git guard refused, newest first, with the details of one."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.widgets import DataTable, Static

from widgets.footer import KeyFooter
from tui.dialogs.base import Dialog
from tui.guard.audit import AuditEntry, read_entries
from tui.guard.refusal import CHANGE_TEXT, shell_words
from tui.terminal_text import visible
from widgets.plain_text import plain_rich_text

EMPTY = "No refusals yet: the guard has not blocked anything an agent ran."


def local_time(stamp: str, now: datetime | None = None) -> str:
    """"14:03:27" for today, "2026-01-02 14:03" otherwise; the raw text if it does not parse."""
    try:
        moment = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).astimezone()
    except ValueError:
        return stamp
    now = now or datetime.now().astimezone()
    return moment.strftime("%H:%M:%S" if moment.date() == now.date() else "%Y-%m-%d %H:%M")


def describe(entry: AuditEntry) -> Content:
    parts: list[str | tuple[str, str]] = [(entry.command_line, "bold")]
    if entry.refused and entry.refused != entry.command:
        parts.append(f"\nrefused inside it: {shell_words(entry.refused)}")
    parts.append(f"\n{entry.reason}")
    for ref in entry.refs:
        change = CHANGE_TEXT.get(str(ref.get("change")), str(ref.get("change", "")))
        old, new = str(ref.get("old", ""))[:12], str(ref.get("new", ""))[:12]
        moved = f" {old} -> {new}" if ref.get("change") == "non-fast-forward" else ""
        parts.append((f"\n  {ref.get('ref', '?')}: {change}{moved}", "$error"))
    session = entry.session or "none"
    parts.append((f"\nsession {session} · remote {entry.remote or '?'} · in {entry.directory}", "dim"))
    # Everything but the layout comes from the agent's command line: plain text, no controls.
    return Content.assemble(*(
        visible(part) if isinstance(part, str) else (visible(part[0]), part[1]) for part in parts
    ))


class AuditScreen(Dialog[None]):
    SIZE = "full"
    BINDINGS = [
        Binding("q", "close", "Close", id="audit.close"),
        Binding("r", "reload", "Reload", id="audit.reload"),
    ]

    def __init__(self, audit_log: Path) -> None:
        super().__init__("Git guard: refused pushes")
        self.audit_log = audit_log
        self._entries: list[AuditEntry] = []

    def compose(self) -> ComposeResult:
        yield from super().compose()
        yield KeyFooter()

    def compose_body(self) -> ComposeResult:
        yield Static("Loading…", id="audit-empty", classes="dialog-body")
        table: DataTable[Text] = DataTable(id="audit-table", cursor_type="row", zebra_stripes=True)
        table.add_columns("When", "Session", "Refused", "Command")
        yield table
        yield Static(id="audit-detail")

    def on_mount(self) -> None:
        self.reload()

    def action_reload(self) -> None:
        self.reload()

    def reload(self) -> None:
        self._load()

    @work(thread=True, exclusive=True, group="audit-load")
    def _load(self) -> None:
        entries = read_entries(self.audit_log)
        self.app.call_from_thread(self._show, entries)

    def _show(self, entries: list[AuditEntry]) -> None:
        self._entries = list(reversed(entries))
        table = self.query_one(DataTable)
        table.clear()
        for index, entry in enumerate(self._entries):
            cells = (local_time(entry.time), entry.session or "-", entry.summary, entry.command_line)
            table.add_row(*(plain_rich_text(cell) for cell in cells), key=str(index))
        empty = self.query_one("#audit-empty", Static)
        empty.update(EMPTY)
        empty.display = not self._entries
        table.display = bool(self._entries)
        self._show_detail(0)
        if self._entries:
            table.focus()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail(event.cursor_row)

    def _show_detail(self, row: int) -> None:
        detail = self.query_one("#audit-detail", Static)
        detail.display = 0 <= row < len(self._entries)
        if detail.display:
            detail.update(describe(self._entries[row]))

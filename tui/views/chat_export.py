"""Export a chat thread as markdown: to a file (asks where) or to the clipboard.

A mixin of `ChatPane`, like `chat_branches`; it uses the pane's services and snapshot.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import TYPE_CHECKING

from textual import work

from tui.dialogs.confirm import PromptScreen
from tui.errors import LoupeError

if TYPE_CHECKING:
    from tui.views.chat import ChatPane

    _Base = ChatPane
else:
    _Base = object


def export_name(title: str) -> str:
    """A file name for a thread: its title in lower-case words joined by dashes."""
    slug = re.sub(r"[^\w]+", "-", title.lower()).strip("-")[:60].strip("-")
    return f"{slug or 'thread'}.md"


class ExportActions(_Base):
    def action_export(self) -> None:
        title = self.snapshot.thread.title if self.snapshot else ""
        default = self.services.workspace.root / export_name(title)

        def done(path: str | None) -> None:
            if path:
                self._export_to(Path(path).expanduser())

        self.app.push_screen(PromptScreen("Export the thread as markdown to", str(default), action="Export"), done)

    @work(group="chat-export")
    async def _export_to(self, path: Path) -> None:
        text = await self._markdown()
        if text is None:
            return
        if not path.is_absolute():
            path = self.services.workspace.root / path
        try:
            await asyncio.to_thread(_write, path, text)
        except OSError as exc:
            self.notify(f"Not exported: {exc}", severity="error", timeout=10, markup=False)
            return
        self.notify(f"Exported to {path}", timeout=6, markup=False)

    @work(group="chat-export")
    async def action_copy_markdown(self) -> None:
        text = await self._markdown()
        if text is not None:
            self.app.copy_to_clipboard(text)
            self.notify(f"Copied the thread as markdown ({len(text)} characters).", timeout=3)

    async def _markdown(self) -> str | None:
        from tui.threads.export import thread_markdown

        store = self.services.store
        if store is None:
            return None
        try:
            return await asyncio.to_thread(thread_markdown, store, self.thread_id)
        except LoupeError as exc:
            self.notify(str(exc), severity="error", timeout=8, markup=False)
            return None


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")

"""Export a chat thread as markdown: to a file (asks where) or to the clipboard.

`Exporter` is owned by the pane and reaches it only as a `ChatHost`. Its methods are
coroutines the pane runs as workers: they wait on a dialog and on the store.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from tui.dialogs.confirm import PromptScreen
from tui.errors import LoupeError
from tui.views.chat_host import ChatHost


def export_name(title: str) -> str:
    """A file name for a thread: its title in lower-case words joined by dashes."""
    slug = re.sub(r"[^\w]+", "-", title.lower()).strip("-")[:60].strip("-")
    return f"{slug or 'thread'}.md"


class Exporter:
    def __init__(self, pane: ChatHost) -> None:
        self._pane = pane

    async def export(self) -> None:
        """Ask where, then write the thread there as markdown."""
        pane = self._pane
        title = pane.snapshot.thread.title if pane.snapshot else ""
        default = pane.services.workspace.root / export_name(title)
        path = await pane.app.push_screen_wait(
            PromptScreen("Export the thread as markdown to", str(default), action="Export")
        )
        if path:
            await self.export_to(Path(path).expanduser())

    async def export_to(self, path: Path) -> None:
        pane = self._pane
        text = await self._markdown()
        if text is None:
            return
        if not path.is_absolute():
            path = pane.services.workspace.root / path
        try:
            await asyncio.to_thread(_write, path, text)
        except OSError as exc:
            pane.notify(f"Not exported: {exc}", severity="error", timeout=10, markup=False)
            return
        pane.notify(f"Exported to {path}", timeout=6, markup=False)

    async def copy(self) -> None:
        text = await self._markdown()
        if text is not None:
            self._pane.app.copy_text(text, what=f"the thread as markdown ({len(text)} characters)")

    async def _markdown(self) -> str | None:
        from tui.threads.export import thread_markdown

        pane = self._pane
        store = pane.services.store
        if store is None:
            return None
        try:
            return await asyncio.to_thread(thread_markdown, store, pane.thread_id)
        except LoupeError as exc:
            pane.notify(str(exc), severity="error", timeout=8, markup=False)
            return None


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")

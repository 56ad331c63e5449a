"""Open document tabs kept between runs: what `DocumentsView` saves at exit and reopens.

`tui.docs.open_tabs` stores them; this reads them off the tabs (each document says where
its reader is) and opens them again, skipping files that are gone, with one notice.
"""

from __future__ import annotations

from collections.abc import Awaitable
from pathlib import Path
from typing import Protocol

from textual.screen import Screen
from textual.widget import Widget

from tui.docs.open_tabs import OpenTab, OpenTabs


class Tabs(Protocol):
    """What reopening needs of the documents view (a protocol: it imports this module)."""

    @property
    def screen(self) -> Screen[object]: ...

    def open_artifact(self, path: Path, *, line: int | None = None, focus: bool = True) -> Widget: ...

    def open_code(self, path: Path, line: int | None = None, *, focus: bool = True) -> Widget: ...

    def show_tab_when_added(self, index: int) -> Awaitable[None]: ...


def tab_of(key: str, title: str, document: Widget | None) -> OpenTab | None:
    """What to keep of the tab opened with `key` showing `document`; None: not kept."""
    kind, _, target = key.partition(":")
    if kind == "artifact":
        from tui.views.artifact import ArtifactDocument

        line = document.top_line() if isinstance(document, ArtifactDocument) else None
        return OpenTab(kind, target, line)
    if kind == "code":
        from tui.views.code import CodeDocument

        line = int(document.code.scroll_y) + 1 if isinstance(document, CodeDocument) and document.is_mounted else None
        return OpenTab(kind, target, line if line and line > 1 else None)
    if kind == "thread":
        return OpenTab(kind, target, title=title)
    return None  # a session's diff: it belongs to a session, which may be gone


def reopen(documents: Tabs, state: OpenTabs) -> list[str]:
    """Open the tabs of `state` again in their order; the names of files that are gone."""
    from tui.messages import OpenThread

    gone: list[str] = []
    screen = documents.screen
    for tab in state.tabs:
        if tab.kind == "thread":
            # Through the screen, which knows how to show a thread.
            screen.post_message(OpenThread(tab.target, title=tab.title))
            continue
        path = Path(tab.target)
        if not path.is_file():
            gone.append(path.name)
        elif tab.kind == "artifact":
            documents.open_artifact(path, line=tab.line, focus=False)
        else:
            documents.open_code(path, tab.line, focus=False)
    if state.active is not None:
        active = state.active - sum(1 for tab in state.tabs[: state.active] if tab.kind != "thread"
                                    and not Path(tab.target).is_file())
        # After the threads the screen opens (queued there before this).
        screen.call_later(documents.show_tab_when_added, active)
    return gone

"""Messages that cross feature boundaries, handled by the main screen.

Widget-local events are nested `Message` classes on the widget that posts them; the ones here
are requests any part of the app may make, so they have one home.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from textual.widget import Widget

    from tui.sessions.model import Session


class OpenPath(Message):
    """Show a file in a read-only pane: markdown as an artifact, anything else as code."""

    def __init__(self, path: Path, line: int | None = None, *, anchor: str = "") -> None:
        super().__init__()
        self.path = path
        self.line = line
        # A heading slug to scroll to in a markdown file ("#design" in a link).
        self.anchor = anchor


class StartSession(Message):
    """Open the new-session dialog for a task; its folder is passed to the agent."""

    def __init__(self, task: str, folder: Path) -> None:
        super().__init__()
        self.task = task
        self.folder = folder


class OpenThread(Message):
    """Show a chat thread in a document tab, optionally with one message selected."""

    def __init__(self, thread_id: str, *, title: str = "", select: str | None = None) -> None:
        super().__init__()
        self.thread_id = thread_id
        self.title = title
        self.select = select


class ThreadsChanged(Message):
    """Threads were added, renamed or removed: the threads list reloads (and may select one);
    a deleted thread's tab closes."""

    def __init__(self, *, select: str | None = None, deleted: str | None = None) -> None:
        super().__init__()
        self.select = select
        self.deleted = deleted


class RunPhase(Message):
    """Open the run-phase dialog for the task at `task_path` (a task folder or one of its
    artifacts): its next phase, or `phase` (to run one again)."""

    def __init__(self, task_path: Path, phase: str | None = None) -> None:
        super().__init__()
        self.task_path = task_path
        self.phase = phase


class OpenTask(Message):
    """Show a task's view (its timeline) in a document tab."""

    def __init__(self, task_path: Path, title: str = "") -> None:
        super().__init__()
        self.task_path = task_path
        self.title = title


class LeavingPlace(Message):
    """A document follows a link (to another file, or a heading in itself): where the reader
    was, for the back key to return to."""

    def __init__(self, path: Path, line: int | None) -> None:
        super().__init__()
        self.path = path
        self.line = line


class ShowSession(Message):
    """Take the user to a session: its tile in the grid, focused, with the sessions area in
    view. A session the grid no longer has is said to be gone, with what is known of it
    (`session` is its record as the sender last read it)."""

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session


class TabRetitled(Message):
    """A document now goes by `title` (a thread renamed, here or elsewhere): its tab says so."""

    def __init__(self, document: Widget, title: str) -> None:
        super().__init__()
        self.document = document
        self.title = title

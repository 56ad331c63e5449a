"""Where review reads the files of a session's diff: where the session runs.

A diff comment is checked against, and placed in, its file as it is now, and that file is in
the session's checkout, which may be on another machine. `HostFiles` asks the session's host
(`SessionManager.read_texts`: one round trip for every file asked at once); `FolderFiles`
reads a folder of this machine, for a caller that knows the files are here. Errors are the
host's (`HostUnreachable`...), for the caller to show: an unreachable host does not mean
that the text is gone.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from tui.text_files import read_texts_under

if TYPE_CHECKING:
    from tui.sessions.manager import SessionManager
    from tui.sessions.model import Session


class FileSource(Protocol):
    def texts(self, paths: Sequence[str]) -> Mapping[str, str | None]:
        """Each path's text now (as the diff names it); None when missing, binary or too big."""


@dataclass(frozen=True)
class FolderFiles:
    root: Path

    def texts(self, paths: Sequence[str]) -> Mapping[str, str | None]:
        return read_texts_under(self.root, paths)


@dataclass(frozen=True)
class HostFiles:
    manager: SessionManager
    session: Session

    def texts(self, paths: Sequence[str]) -> Mapping[str, str | None]:
        return self.manager.read_texts(self.session, list(paths)) if paths else {}


@contextmanager
def session_files(manager: SessionManager | None, repo: Path, session_id: str) -> Iterator[HostFiles]:
    """The files of session `session_id` on its host, through `manager`; without one (the
    command line), through a manager opened for it and closed after (its connections too)."""
    if manager is not None:
        yield HostFiles(manager, manager.get(session_id))
        return
    from tui.sessions.manager import SessionManager

    opened = SessionManager(repo)
    try:
        yield HostFiles(opened, opened.get(session_id))
    finally:
        opened.close()

"""Notice when a file on disk may have changed, and say so as `FileChanged` events.

Changes are noticed by watchfiles (fast) and by a slow poll of the file's stat (watch events
can be dropped, and some file systems have none). The folder is watched, not the file:
editors and agents replace files by renaming over them.
"""

from __future__ import annotations

import threading
from pathlib import Path

from tui.docs.loader import Stamp, stamp_of
from tui.events import Emit, FileChanged

# The watch cannot know which version its reader loaded (a write may land between that load
# and the watch's start): its first poll always reports, and the reader, which knows its
# version's stamp, finds out whether anything changed.
_UNKNOWN = (-1, -1, -1)


class FileWatch:
    def __init__(self, path: Path, poll_seconds: float = 1.0) -> None:
        self.path = path
        self.poll_seconds = poll_seconds
        self._stamp: Stamp | None = _UNKNOWN

    def run(self, stop: threading.Event, emit: Emit) -> None:
        """Emit `FileChanged` for this file until `stop` is set."""
        self._stamp = _UNKNOWN
        try:
            import watchfiles

            for changes in watchfiles.watch(
                self.path.parent,
                recursive=False,
                debounce=100,
                step=40,
                rust_timeout=int(self.poll_seconds * 1000) or 1000,
                yield_on_timeout=True,
                stop_event=stop,
            ):
                if any(Path(changed).name == self.path.name for _, changed in changes):
                    emit(FileChanged(self.path, "watch"))
                else:
                    self._poll(emit)
        except Exception:  # noqa: BLE001 - no folder to watch (yet), no inotify...: polling still works
            pass
        while self.poll_seconds > 0 and not stop.wait(self.poll_seconds):
            self._poll(emit)

    def _poll(self, emit: Emit) -> None:
        stamp = stamp_of(self.path)
        if stamp != self._stamp:
            self._stamp = stamp
            emit(FileChanged(self.path, "poll"))

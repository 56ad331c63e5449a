"""Watch the tasks folder and the last-read snapshots, and say when to rescan (`TasksChanged`).

New artifacts and "read" marks then appear at once. The task list still rescans on a slow
timer, which catches what watching misses: dropped events, network file systems, a tasks
folder created after start (watching begins once it exists).
"""

from __future__ import annotations

import threading
from pathlib import Path

from tui.events import Emit, TasksChanged

# Agents write files in bursts; one rescan per burst is enough.
DEBOUNCE_MS = 150
# Seconds between looks for a tasks folder that is missing (or could not be watched): a
# stat a second is nothing, and a folder created after start is watched at once.
RETRY_SECONDS = 1.0


class TaskWatcher:
    def __init__(self, tasks_dir: Path, snapshots_dir: Path) -> None:
        self.tasks_dir = tasks_dir
        self.snapshots_dir = snapshots_dir

    def run(self, stop: threading.Event, emit: Emit) -> None:
        """Emit `TasksChanged` after each burst of changes, until `stop` is set."""
        import watchfiles

        while not stop.is_set():
            if self.tasks_dir.is_dir():
                try:
                    self.snapshots_dir.mkdir(parents=True, exist_ok=True)
                    paths = [p for p in (self.tasks_dir, self.snapshots_dir) if p.is_dir()]
                    for changes in watchfiles.watch(*paths, debounce=DEBOUNCE_MS, stop_event=stop,
                                                    rust_timeout=1000, yield_on_timeout=True):
                        if changes:
                            emit(TasksChanged(tuple(Path(changed) for _, changed in changes)))
                        if not self.tasks_dir.is_dir():
                            # The folder itself went away: rescan (it shows as missing), then
                            # look for it again now and then.
                            emit(TasksChanged())
                            break
                except (OSError, RuntimeError):
                    pass  # too many watches, or the folder vanished meanwhile: the rescans go on
            stop.wait(RETRY_SECONDS)

"""`FileWatch` (the change notices behind every live pane) with a real file and a real watch.

The watch cannot know which version of the file its reader loaded: a write that lands
between the reader's load and the moment the watch starts must still be reported, or the
pane shows the older text until the file changes again (on a busy machine, starting the
watch, with the import of watchfiles, takes long enough for an agent to finish writing)."""

from __future__ import annotations

import queue
import threading
from pathlib import Path

from tui.docs.follow import FileWatch
from tui.events import FileChanged


def run_watch(watch: FileWatch) -> tuple[queue.Queue, threading.Event, threading.Thread]:
    events: queue.Queue = queue.Queue()
    stop = threading.Event()
    thread = threading.Thread(target=watch.run, args=(stop, events.put), daemon=True)
    thread.start()
    return events, stop, thread


def test_a_write_made_before_the_watch_starts_is_still_reported(tmp_path: Path) -> None:
    path = tmp_path / "plan.md"
    path.write_text("# Plan\n")  # the version the reader loaded
    path.write_text("# Plan\n\n- the last line the agent wrote\n")  # written before the watch began
    events, stop, thread = run_watch(FileWatch(path, poll_seconds=0.05))
    try:
        event = events.get(timeout=30)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert isinstance(event, FileChanged) and event.path == path
    assert not thread.is_alive()


def test_a_missing_file_is_not_reported_until_it_appears(tmp_path: Path) -> None:
    path = tmp_path / "later.md"
    events, stop, thread = run_watch(FileWatch(path, poll_seconds=0.05))
    try:
        path.write_text("# Written after the watch began\n")
        event = events.get(timeout=30)
    finally:
        stop.set()
        thread.join(timeout=30)
    assert isinstance(event, FileChanged) and event.path == path

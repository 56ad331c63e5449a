"""Shared pieces of the document benchmarks: a full-screen host app, timing hooks, stats.

Every measurement runs in a fresh interpreter (see `run_child`), so imports and caches never
favour whichever approach ran second.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from textual.app import App

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

SIZE = (120, 40)


def scratch_folder() -> Path:
    """A temporary folder for one benchmark process, removed when that process exits."""
    folder = Path(tempfile.mkdtemp(prefix="loupe-bench-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def host_app(folder: Path) -> App[None]:
    """An empty app with a #host container, into which a benchmark mounts what it times.

    It holds loupe's services for `folder` (a pane reads its settings and last-read copies
    there), started as `loupe` does but without its sidebar, so no watcher runs meanwhile.
    Textual is imported here, not at the top: a parent process that only runs children never
    loads it.
    """
    from textual.app import ComposeResult
    from textual.containers import Vertical

    from tui.app_base import AppBase
    from tui.services import Services
    from tui.workspace import open_workspace

    class Host(AppBase):
        def compose(self) -> ComposeResult:
            yield Vertical(id="host")

    return Host(Services(open_workspace(folder)))


def run_child(script: Path, args: list[str], timeout: float | None) -> dict | None:
    """Run `script --child ...args` and return the JSON it prints last (None on timeout)."""
    try:
        done = subprocess.run(
            [sys.executable, str(script), "--child", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            env={**os.environ, "PYTHONHASHSEED": "0"},
        )
    except subprocess.TimeoutExpired:
        return None
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"benchmark child failed: {' '.join(args)}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def report_goals(failures: list[str], results: dict, as_json: bool) -> int:
    """Print whether the goals were met (and the figures as JSON when asked); the exit code."""
    print("goals:", "all met" if not failures else "NOT MET: " + "; ".join(failures))
    if as_json:
        print(json.dumps(results))
    return 0


def percentile(values: list[float], fraction: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


class KeyProbe:
    """Presses a key from another thread every `interval` s and records how long each waits
    until the app handles it (the handler calls `handled()`).

    Sending from a thread, with the time taken there, counts the whole wait: a blocked UI
    loop delays the key exactly as it would delay a user's key.
    """

    def __init__(self, key: str, interval: float = 0.02) -> None:
        self.app = None
        self.key = key
        self.interval = interval
        self.sent: list[float] = []
        self.latencies: list[float] = []
        self._pending: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._lock = threading.Lock()

    def watch(self, cls: type, action: str) -> None:
        """Count a key as handled when `cls.action` runs."""
        original = getattr(cls, action)
        probe = self

        def handled(widget, *args, **kwargs):  # type: ignore[no-untyped-def]
            probe.handled()
            return original(widget, *args, **kwargs)

        setattr(cls, action, handled)

    def start(self, app) -> None:  # type: ignore[no-untyped-def]
        self.app = app
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        from textual import events

        driver = self.app._driver
        while not self._stop.is_set():
            with self._lock:
                if not self._pending:  # one key in flight at a time, like a person
                    event = events.Key(self.key, self.key)
                    event.set_sender(self.app)
                    self._pending.append(time.perf_counter())
                    driver.send_message(event)  # what a terminal's input thread does
            time.sleep(self.interval)

    def handled(self) -> None:
        with self._lock:
            if self._pending:
                sent = self._pending.pop(0)
                self.sent.append(sent)
                self.latencies.append(time.perf_counter() - sent)


def once(callback: Callable[[], None]) -> Callable[[], None]:
    done = False

    def call() -> None:
        nonlocal done
        if not done:
            done = True
            callback()

    return call

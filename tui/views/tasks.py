"""Sidebar section listing tasks and their artifacts, live.

Scans run in a thread, one at a time: a change that arrives during a scan queues exactly one
more. The tasks folder and the last-read snapshots folder are watched with watchfiles (so new
artifacts and "read" marks appear at once), and a slow poll catches what the watcher misses:
dropped events, network filesystems, a tasks folder created after start.
"""

from __future__ import annotations

import asyncio
import importlib
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from tui.docs.snapshots import ReadSnapshots
from tui.messages import OpenPath, StartSession
from tui.tasks import ScanResult, TaskScanner, create_task
from tui.workspace import Workspace
from widgets.task_list import TaskList

POLL_SECONDS = 10.0
# Agents write files in bursts; one rescan per burst is enough.
DEBOUNCE_MS = 150


class TasksView(Vertical):
    class Scanned(Message):
        def __init__(self, result: ScanResult | None, error: str | None = None) -> None:
            super().__init__()
            self.result = result
            self.error = error

    def __init__(
        self,
        workspace: Workspace,
        *,
        now: Callable[[], float] = time.time,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.workspace = workspace
        self.now = now
        self.snapshots = ReadSnapshots(workspace.data_dir, workspace.root)
        self.scanner = TaskScanner(workspace.tasks_dir, self.snapshots)
        self.result: ScanResult | None = None
        self._scanning = False
        self._scan_again = False
        # What the watcher reported since the last scan started; None: look at everything.
        self._changed: set[Path] | None = None
        self._watching_tasks_dir = False
        self._stop_watch = threading.Event()
        self._reported: set[str] = set()
        self._shown_once = False
        # Selected once it shows up in a scan: the file given on the command line, a new task.
        self._select_when_found: Path | None = workspace.open_file

    def compose(self) -> ComposeResult:
        yield Static("Tasks", classes="section-title", id="tasks-title")
        yield TaskList(now=self.now, id="task-list")

    def on_mount(self) -> None:
        # After the first frame, which it would otherwise slow down by holding the interpreter.
        self.call_after_refresh(self.request_scan)
        self.set_interval(POLL_SECONDS, self.request_scan)

    def on_unmount(self) -> None:
        self._stop_watch.set()

    @property
    def task_list(self) -> TaskList:
        return self.query_one(TaskList)

    def palette_commands(self) -> Iterable[tuple[str, str, Callable[[], object]]]:
        return [
            ("New task", "Create a task folder with a ticket (ctrl+n in the task list)", self.new_task),
            ("Rescan tasks", f"Read {self._tasks_dir_label()} again", self.request_scan),
            ("Focus task list", "Move the cursor to the task list", self.task_list.rows.focus),
            ("Start an agent session on the highlighted task",
             "A coding agent in its own worktree, given the task's folder (ctrl+e in the task list)",
             self.task_list.action_start_session),
        ]

    # --- scanning ------------------------------------------------------------------------------

    def request_scan(self, changed: Iterable[Path] | None = None) -> None:
        """Scan again: the tasks `changed` paths are in, or (None) every task."""
        if changed is None:
            self._changed = None
        elif self._changed is not None:
            self._changed.update(changed)
        if self._scanning:
            self._scan_again = True
            return
        self._scanning = True
        changed_now, self._changed = self._changed, set()
        self._scan(changed_now)

    @work(thread=True, group="tasks-scan")
    def _scan(self, changed: set[Path] | None) -> None:
        try:
            result = self.scanner.scan(changed)
        except Exception as exc:  # a bug in discovery must not take the app down
            self.post_message(self.Scanned(None, f"{type(exc).__name__}: {exc}"))
        else:
            self.post_message(self.Scanned(result))

    @on(Scanned)
    def _scanned(self, message: Scanned) -> None:
        message.stop()
        self._scanning = False
        if self._scan_again:
            self._scan_again = False
            self.request_scan(())  # what was reported meanwhile
        if message.result is None:
            self.notify(f"Could not read the tasks: {message.error}", title="Tasks", severity="error")
            return
        result = message.result
        self.result = result
        self.task_list.set_tasks(result.tasks, empty_message=self._empty_message(result))
        count = len(result.tasks)
        title = f"Tasks {count}" if count else "Tasks"
        hint = "  type to filter" if count else ""
        self.query_one("#tasks-title", Static).update(Content.assemble(title, (hint, "dim not bold")))
        self._report(result)
        if not self._watching_tasks_dir and not result.missing:
            self._start_watching()
        if self._select_when_found is not None and self.task_list.select_path(self._select_when_found):
            self._select_when_found = None
        if not self._shown_once:
            self._shown_once = True
            self.call_after_refresh(self._first_result_shown)

    def _first_result_shown(self) -> None:
        # The first screen is complete: what waited for it (`tui.views.startup`) may start.
        shown = getattr(self.app, "startup_shown", None)
        if callable(shown):
            shown()

    def _empty_message(self, result: ScanResult) -> str:
        where = self._tasks_dir_label()
        if result.missing or not result.problems:
            return (
                f"No tasks yet.\n\nPress ctrl+n to create one. A task is a folder in {where}/ "
                "with markdown files; agents add them as they work."
            )
        return f"No tasks could be read from {where}/."

    def _report(self, result: ScanResult) -> None:
        fresh = [str(problem) for problem in result.problems if str(problem) not in self._reported]
        fresh += [
            f"{artifact.path}: {artifact.problem}"
            for task in result.tasks
            for artifact in task.artifacts
            if artifact.problem and f"{artifact.path}: {artifact.problem}" not in self._reported
        ]
        if not fresh:
            return
        self._reported.update(fresh)
        shown = [self._relative(line) for line in fresh[:4]]
        if len(fresh) > 4:
            shown.append(f"... and {len(fresh) - 4} more")
        self.notify("\n".join(shown), title="Some task files cannot be shown normally", severity="warning", timeout=8)

    # --- watching ------------------------------------------------------------------------------

    def _start_watching(self) -> None:
        self._stop_watch.set()
        self._stop_watch = threading.Event()
        self._watching_tasks_dir = True
        self._watch(self._stop_watch)

    @work(exclusive=True, group="tasks-watch")
    async def _watch(self, stop: threading.Event) -> None:
        # watchfiles costs ~60 ms to import: do it (and the disk work) in a thread, not on the loop.
        watchfiles = await asyncio.to_thread(importlib.import_module, "watchfiles")
        paths = await asyncio.to_thread(self._watch_paths)
        try:
            async for changes in watchfiles.awatch(*paths, debounce=DEBOUNCE_MS, stop_event=stop, rust_timeout=1000):
                # Only the tasks a change is in are walked again (the poll looks at them all).
                self.request_scan(Path(changed) for _, changed in changes)
                if not self.workspace.tasks_dir.is_dir():
                    # The folder itself went away: fall back to polling until it is back.
                    self._watching_tasks_dir = False
                    return
        except OSError as exc:
            # Too many watches, or the folder vanished between the check and the watch.
            self._watching_tasks_dir = False
            self.log.warning(f"task watcher stopped: {exc}; polling every {POLL_SECONDS:.0f}s")

    def _watch_paths(self) -> list[Path]:
        self.snapshots.folder.mkdir(parents=True, exist_ok=True)
        return [p for p in (self.workspace.tasks_dir, self.snapshots.folder) if p.is_dir()]

    # --- creating and opening ------------------------------------------------------------------

    def new_task(self) -> None:
        from tui.dialogs.new_task import NewTaskScreen  # not needed to start

        tasks_dir = self.workspace.tasks_dir

        def create(title: str, text: str) -> Path:
            return create_task(tasks_dir, title, text)

        self.app.push_screen(NewTaskScreen(create, where=self._tasks_dir_label()), self._task_created)

    def _task_created(self, folder: Path | None) -> None:
        if folder is None:
            return
        ticket = folder / "ticket.md"
        self._select_when_found = ticket
        self.request_scan()
        self.post_message(OpenPath(ticket))

    @on(TaskList.NewTaskRequested)
    def _new_task_requested(self, message: TaskList.NewTaskRequested) -> None:
        message.stop()
        self.new_task()

    @on(TaskList.SessionRequested)
    def _session_requested(self, message: TaskList.SessionRequested) -> None:
        message.stop()
        self.post_message(StartSession(message.task.slug, message.task.path))

    @on(TaskList.ArtifactSelected)
    def _artifact_selected(self, message: TaskList.ArtifactSelected) -> None:
        message.stop()
        self.post_message(OpenPath(message.artifact.path))

    def _tasks_dir_label(self) -> str:
        return self._relative(str(self.workspace.tasks_dir))

    def _relative(self, text: str) -> str:
        root = str(self.workspace.root)
        return text.replace(root + "/", "") if root != "/" else text

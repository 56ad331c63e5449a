"""Sidebar section listing tasks and their artifacts, live.

Scans run in a thread, one at a time: a change that arrives during a scan queues exactly one
more. The app's task watcher (`tui.tasks.watch`) says when the tasks folder or the last-read
snapshots changed, so new artifacts and "read" marks appear at once; a slow poll catches what
watching misses: dropped events, network filesystems, a tasks folder created after start.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import getters, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import Static

from tui.app_base import AppBase
from tui.channel import Received, received
from tui.docs.snapshots import ReadSnapshots
from tui.events import PlanRunsUpdated, SessionsUpdated, TasksChanged
from tui.messages import OpenPath, OpenTask, RunPhase, StartSession
from tui.tasks import ScanResult, TaskScanner, create_task
from tui.workspace import Workspace
from widgets.task_list import TaskList

if TYPE_CHECKING:
    from tui.phases.runs import PlanRun
    from tui.views.phase_actions import PlanAction
    from tui.sessions.model import Snapshot

POLL_SECONDS = 10.0


class TasksView(Vertical):
    app = getters.app(AppBase)

    # Here, not on the list: the dialog is pushed in the key's own handler, so the keys typed
    # after ctrl+n are held for its title field instead of filtering the list.
    BINDINGS = [Binding("ctrl+n", "new_task", "New task", id="tasks.new")]

    class Scanned(Message):
        def __init__(self, result: ScanResult | None, error: str | None = None) -> None:
            super().__init__()
            self.result = result
            self.error = error

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.scanner: TaskScanner | None = None
        self.result: ScanResult | None = None
        self._scanning = False
        self._scan_again = False
        # What the watcher reported since the last scan started; None: look at everything.
        self._changed: set[Path] | None = None
        self._reported: set[str] = set()
        self._shown_once = False
        # Selected once it shows up in a scan: the file given on the command line, a new task.
        self._select_when_found: Path | None = None
        # What runs on tasks (`task_activity`): the last sessions tick and plan runs seen.
        self._snapshots: list[Snapshot] = []
        self._runs: tuple[PlanRun, ...] = ()
        self._activity_reported = False

    @property
    def workspace(self) -> Workspace:
        return self.app.services.workspace

    @property
    def snapshots(self) -> ReadSnapshots:
        return self.app.services.snapshots

    def compose(self) -> ComposeResult:
        yield Static("Tasks", classes="section-title", id="tasks-title")
        # The app's clock: snapshot tests freeze it.
        yield TaskList(now=self.app.clock, id="task-list")

    def on_mount(self) -> None:
        self.scanner = TaskScanner(self.workspace.tasks_dir, self.snapshots)
        self._select_when_found = self.workspace.open_file
        self.app.channel.subscribe(self, TasksChanged, SessionsUpdated, PlanRunsUpdated)
        # After the first frame, which it would otherwise slow down by holding the interpreter.
        self.call_after_refresh(self.request_scan)
        self.set_interval(POLL_SECONDS, self.request_scan)

    @on(received(TasksChanged))
    def _tasks_changed(self, message: Received[TasksChanged]) -> None:
        # Only the tasks a change is in are walked again (the timer's rescans look at them all).
        self.request_scan(message.event.paths)

    @on(received(SessionsUpdated))
    def _sessions_updated(self, message: Received[SessionsUpdated]) -> None:
        self._snapshots = message.event.snapshots
        self._activity_reported = True
        self._show_activity()

    @on(received(PlanRunsUpdated))
    def _runs_updated(self, message: Received[PlanRunsUpdated]) -> None:
        self._runs = message.event.runs
        self._activity_reported = True
        self._show_activity()

    def _show_activity(self) -> None:
        # Not before the first report: the first scan has nothing to add, and the import waits.
        if self.result is not None and self._activity_reported:
            from tui.phases.activity import task_activity

            self.task_list.set_activity(task_activity(self.result.tasks, self._snapshots, self._runs))

    @property
    def task_list(self) -> TaskList:
        return self.query_one(TaskList)

    def palette_commands(self) -> Iterable[tuple[str, str, Callable[[], object]]]:
        return [
            ("New task", "Create a task folder with a ticket (ctrl+n in the task list)", self.new_task),
            ("Rescan tasks", f"Read {self._tasks_dir_label()} again", self.request_scan),
            ("Focus task list", "Move the cursor to the task list", self.task_list.rows.focus),
            ("Phases: run the next phase of the highlighted task",
             "Shows the exact prompt first, then starts its session (ctrl+r in the task list)",
             self.task_list.action_run_phase),
            ("Phases: open the highlighted task's view",
             "Its sessions, threads, artifacts with who wrote them, review rounds and plan run "
             "(ctrl+t in the task list)", self.task_list.action_open_task),
            ("Phases: go, start the next plan phase of the highlighted task",
             "Its current plan phase counts as done (g in the task view)", lambda: self._plan("go")),
            ("Threads: new thread on the highlighted task", "The thread is filed under the task and "
             "shows in its timeline (t in the task view)", self._thread_on_task),
            ("Start an agent session on the highlighted task",
             "A coding agent in its own worktree, given the task's folder (ctrl+e in the task list)",
             self.task_list.action_start_session),
        ]

    def _plan(self, action: PlanAction) -> None:
        from tui.views.phase_actions import plan_action

        task = self.task_list.current_task()
        if task is None:
            self.notify("Highlight a task first.", severity="warning")
        else:
            plan_action(self, task.slug, action)

    def _thread_on_task(self) -> None:
        from tui.views.phase_actions import new_thread_for_task

        task = self.task_list.current_task()
        if task is None:
            self.notify("Highlight a task first.", severity="warning")
        else:
            new_thread_for_task(self, task.path)

    def focus_list(self) -> None:
        self.task_list.rows.focus()

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
        if self.scanner is None:
            return
        self._scanning = True
        changed_now, self._changed = self._changed, set()
        self._scan(self.scanner, changed_now)

    @work(thread=True, group="tasks-scan")
    def _scan(self, scanner: TaskScanner, changed: set[Path] | None) -> None:
        try:
            result = scanner.scan(changed)
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
        # Muted like the title, not dim: dimmed, it fell to 2:1 against the title bar.
        self.query_one("#tasks-title", Static).update(Content.assemble(title, (hint, "not bold")))
        self._report(result)
        self._show_activity()
        if self._select_when_found is not None and self.task_list.select_path(self._select_when_found):
            self._select_when_found = None
        if not self._shown_once:
            self._shown_once = True
            # With a file opened at start, the first screen is complete once it is shown.
            if self.app.services.workspace.open_file is None:
                self.call_after_refresh(self._first_result_shown)

    def _first_result_shown(self) -> None:
        # The first screen is complete: what waited for it (`tui.views.startup`) may start.
        self.app.startup_shown()

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

    # --- creating and opening ------------------------------------------------------------------

    def action_new_task(self) -> None:
        self.new_task()

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

    @on(TaskList.SessionRequested)
    def _session_requested(self, message: TaskList.SessionRequested) -> None:
        message.stop()
        self.post_message(StartSession(message.task.slug, message.task.path))

    @on(TaskList.PhaseRequested)
    def _phase_requested(self, message: TaskList.PhaseRequested) -> None:
        message.stop()
        self.post_message(RunPhase(message.task.path))

    @on(TaskList.TaskViewRequested)
    def _task_view_requested(self, message: TaskList.TaskViewRequested) -> None:
        message.stop()
        self.post_message(OpenTask(message.task.path, title=f"task {message.task.slug}"))

    @on(TaskList.ArtifactSelected)
    def _artifact_selected(self, message: TaskList.ArtifactSelected) -> None:
        message.stop()
        self.post_message(OpenPath(message.artifact.path))

    def _tasks_dir_label(self) -> str:
        return self._relative(str(self.workspace.tasks_dir))

    def _relative(self, text: str) -> str:
        root = str(self.workspace.root)
        return text.replace(root + "/", "") if root != "/" else text

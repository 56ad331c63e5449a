"""What the phase keys do, from any view: run a phase, move a plan run on, file a thread.

Functions, not a mixin: the task list, the task view, an artifact and the palette all call
them with the widget that asked (for its app, its workers and its notifications). The work
runs in thread workers; what happened is said in notifications.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal

from textual.widget import Widget

from tui.app_base import AppBase
from tui.errors import LoupeError
from tui.messages import OpenThread, ThreadsChanged

PlanAction = Literal["go", "again", "cancel"]


def _app(node: Widget) -> AppBase:
    app = node.app
    assert isinstance(app, AppBase), "phase actions run inside loupe's app"
    return app


def open_run_phase(node: Widget, task_path: Path, phase: str | None = None) -> None:
    """The run-phase dialog for the task at `task_path` (its next phase, or `phase`)."""
    from tui.dialogs.run_phase import PhaseLaunched, RunPhaseScreen

    app = _app(node)

    def launched(result: PhaseLaunched | None) -> None:
        if result is None:
            return
        for index, line in enumerate(result.messages):
            app.notify(line, title=f"{result.phase} phase of {result.task}" if index == 0 else "Warning",
                       severity="information" if index == 0 else "warning", timeout=10, markup=False)

    app.push_screen(RunPhaseScreen(app.services.phases, task_path, phase), launched)


def plan_action(node: Widget, task_slug: str, action: PlanAction) -> None:
    """Go (start the next plan phase now), again (run the current one again) or cancel."""
    phases = _app(node).services.phases

    def run() -> None:
        try:
            if action == "go":
                lines = phases.go(task_slug)
            elif action == "again":
                lines = phases.again(task_slug)
            else:
                phases.cancel(task_slug)
                lines = ["the plan run is forgotten; its sessions keep running"]
        except LoupeError as exc:
            node.notify(str(exc), title=f"Plan of {task_slug}", severity="error", timeout=10, markup=False)
            return
        for line in lines:
            node.notify(line, title=f"Plan of {task_slug}", timeout=8, markup=False)

    node.run_worker(run, thread=True, group="plan-action", exit_on_error=False)


def new_thread_for_task(node: Widget, task_path: Path, then: Callable[[], object] | None = None) -> None:
    """Ask for a title, then start a chat thread filed under the task and open it; `then`
    runs (on the UI loop) once it exists."""
    from tui.dialogs.confirm import PromptScreen

    app = _app(node)
    phases = app.services.phases

    def create(title: str) -> None:
        try:
            task = phases.task_of(task_path)
            thread = phases.new_thread(task, title)
        except LoupeError as exc:
            node.notify(str(exc), title="New thread", severity="error", timeout=8, markup=False)
            return
        app.call_from_thread(_opened, thread.id, thread.title)

    def _opened(thread_id: str, title: str) -> None:
        node.post_message(ThreadsChanged(select=thread_id))
        node.post_message(OpenThread(thread_id, title=title))
        if then is not None:
            then()

    def chosen(title: str | None) -> None:
        if title:
            node.run_worker(lambda: create(title), thread=True, group="task-thread", exit_on_error=False)

    app.push_screen(PromptScreen(f"New thread on task {task_path.name}", placeholder="A title, e.g. design Q4",
                                 action="Create"), chosen)

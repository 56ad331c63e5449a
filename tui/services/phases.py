"""The phases' part of the app's services: recipes, starting a phase, plan runs, timelines.

Every method that touches the disk, git or tmux blocks: views call them from thread
workers. The app's sessions service owns the session manager; this one waits until it is
open (`manager()`), so a phase started in the first second of the app still starts.

`run` is the plan runner's watcher: about once a second it steps every unfinished plan run
(the next plan phase starts when the previous one is idle and its checks pass), tells the
user what happened (`Notice`) and reports the runs (`PlanRunsUpdated`) when they changed.

In the demo, phases run with the built-in agent on the demo's offline scripted model
(`tui.phases.demo`); the model server is started the first time the manager is asked for,
and stopped by `close()`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tui.errors import LoupeError
from tui.events import Emit, Notice, PhaseStarted, PlanRunsUpdated, nowhere
from tui.services.sessions import SessionService
from tui.services.threads import ThreadServices
from tui.workspace import Workspace

if TYPE_CHECKING:
    from tui.model.scripted_server import ScriptedServer
    from tui.phases.launch import PhaseStart
    from tui.phases.plan import PlanPhase
    from tui.phases.prompt import PreparedPhase
    from tui.phases.recipes import Recipe
    from tui.phases.runner import PlanRunner
    from tui.phases.runs import PlanRun
    from tui.phases.timeline import Event as TimelineEvent
    from tui.sessions.manager import SessionManager
    from tui.tasks.model import Task
    from tui.threads.model import Thread

# Seconds between looks at unfinished plan runs.
PLAN_STEP_SECONDS = 1.0
# Seconds to wait for the session manager to open before saying sessions are unavailable.
OPEN_TIMEOUT = 30.0


class PhaseService:
    def __init__(self, workspace: Workspace, sessions: SessionService, threads: ThreadServices,
                 emit: Callable[[], Emit]) -> None:
        self.workspace = workspace
        self.sessions = sessions
        self.threads = threads
        # Resolved at each call: the app connects its channel after the services are built.
        self._emit = emit
        self.problems: list[str] = []
        self._recipes: dict[str, Recipe] | None = None
        self._runner: PlanRunner | None = None
        self._demo_server: ScriptedServer | None = None
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._reported: dict[str, dict] = {}

    # -- what the phases are ---------------------------------------------------------------

    @property
    def recipes(self) -> dict[str, Recipe]:
        if self._recipes is None:
            from tui.phases.recipes import load_recipes

            problems: list[str] = []
            self._recipes = load_recipes(self.workspace.config, problems)
            self.problems = problems
        return self._recipes

    def next_phase(self, task: Task) -> str | None:
        from tui.phases.recipes import next_phase

        return next_phase(task, self.recipes)

    def task_of(self, path: Path) -> Task:
        """The task a folder or artifact belongs to (blocking: it scans the tasks folder)."""
        from tui.phases.errors import UnknownTask
        from tui.phases.lookup import task_at

        folder = path if path.is_dir() else path.parent
        found = task_at(self.workspace.tasks_dir, folder)
        if found is None:
            raise UnknownTask(f"{path} is not in a task folder under {self.workspace.tasks_dir}")
        return found

    # -- the session manager ---------------------------------------------------------------

    def opened_manager(self) -> SessionManager:
        """The app's session manager, once open (blocking), for looking only."""
        from tui.phases.errors import PhaseError

        if not self.sessions.opened.wait(OPEN_TIMEOUT) or self.sessions.manager is None:
            raise PhaseError(self.sessions.problem or "sessions are not available yet; try again in a moment")
        return self.sessions.manager

    def manager(self) -> SessionManager:
        """The session manager to start phases with: in the demo, with the demo's agent (whose
        model server starts now, not with the app)."""
        manager = self.opened_manager()
        if self.workspace.is_demo:
            self._add_demo_agent(manager)
        return manager

    def _add_demo_agent(self, manager: SessionManager) -> None:
        from tui.phases.demo import DEMO_AGENT, demo_agent_kind

        with self._lock:
            if DEMO_AGENT in manager.kinds:
                return
            if self._closed:
                raise LoupeError("the app is closing")
            from tui.model.script import demo_script
            from tui.model.scripted_server import ScriptedServer

            self._demo_server = ScriptedServer(script=demo_script()).start()
            manager.kinds[DEMO_AGENT] = demo_agent_kind(self._demo_server.base_url)

    def runner(self) -> PlanRunner:
        from tui.phases.runner import PlanRunner

        manager = self.manager()
        with self._lock:
            if self._runner is None:
                self._runner = PlanRunner(manager, self.recipes)
            return self._runner

    def agents(self) -> list[tuple[str, str]]:
        """Agent kinds a phase can run with: (name, description)."""
        return [(name, kind.description) for name, kind in self.manager().kinds.items()]

    def default_agent(self, recipe: Recipe) -> str:
        """The kind the dialog offers first: the demo's agent in the demo, else the recipe's,
        else `[sessions] default_agent`."""
        if self.workspace.is_demo:
            from tui.phases.demo import DEMO_AGENT

            return DEMO_AGENT
        return recipe.agent or self.workspace.config.sessions.default_agent

    # -- one phase -------------------------------------------------------------------------

    def prepare(self, task: Task, phase: str, plan_phase: PlanPhase | None = None) -> PreparedPhase:
        """The phase's exact prompt, its inputs read now (raises `PhaseError` saying why not)."""
        from tui.phases.prompt import prepare
        from tui.phases.recipes import get_recipe

        return prepare(task, get_recipe(self.recipes, phase), repo_root=self.manager().root,
                       plan_phase=plan_phase)

    def plan_phases(self, task: Task, phase: str) -> list[PlanPhase]:
        return self.runner().phases_of(task, phase)

    def warning(self, prepared: PreparedPhase) -> str | None:
        """What to say before starting: a live session already writes the same artifact."""
        from tui.phases.launch import contest_warning

        return contest_warning(self.manager(), prepared)

    def start(self, prepared: PreparedPhase, *, agent: str, prompt: str, anyway: bool) -> PhaseStart:
        """Start the phase's session (raises `Contested` unless `anyway`, `PhaseError`)."""
        from tui.phases.launch import start_phase

        started = start_phase(self.manager(), prepared, agent=agent, prompt=prompt, anyway=anyway)
        self.sessions.wake()
        self._emit()(PhaseStarted(prepared.task.path, prepared.recipe.name, started.session.id))
        return started

    # -- plan runs -------------------------------------------------------------------------

    def begin_plan(self, task: Task, phase: str, *, auto: bool, whole: bool, agent: str,
                   anyway: bool) -> list[str]:
        _, events = self.runner().begin(task, recipe=phase, auto=auto, whole=whole, agent=agent,
                                        anyway=anyway)
        return self._changed(events)

    def go(self, task_slug: str, *, anyway: bool = False) -> list[str]:
        """Start the next plan phase now (the current one counts as done)."""
        return self._changed(self.runner().go(task_slug, anyway=anyway))

    def again(self, task_slug: str, *, anyway: bool = False) -> list[str]:
        """Run the current plan phase again in a new session."""
        return self._changed(self.runner().again(task_slug, anyway=anyway))

    def cancel(self, task_slug: str) -> None:
        self.runner().cancel(task_slug)
        self._changed([])

    def plan_run(self, task_slug: str) -> PlanRun | None:
        """The task's plan run as saved; None when it has none, or sessions are unavailable
        (then no plan run can move on either)."""
        from tui.phases.errors import PhaseError

        from tui.phases.runs import RunStore

        try:
            manager = self.opened_manager()
        except PhaseError:
            return None
        return RunStore(manager.root).load(task_slug)

    def _changed(self, events: list[str]) -> list[str]:
        self.sessions.wake()
        self._wake.set()
        return events

    def all_runs(self) -> list[PlanRun]:
        """Every task's plan run as saved, finished ones too (unreadable ones left out)."""
        from tui.phases.errors import PlanError

        from tui.phases.runs import RunStore

        # The store alone: looking needs neither the runner nor, in the demo, its model.
        store = RunStore(self.opened_manager().root)
        found = []
        if store.folder.is_dir():
            for path in sorted(store.folder.glob("*.json")):
                try:
                    run = store.load(path.stem)
                except PlanError:
                    continue
                if run is not None:
                    found.append(run)
        return found

    def run(self, stop: threading.Event, emit: Emit) -> None:
        """Move unfinished plan runs on until `stop` is set (the app's watcher)."""
        while not self.sessions.opened.wait(0.5):
            if stop.is_set():
                return
        if self.sessions.manager is None:
            return
        last_error = ""
        while not stop.is_set():
            try:
                self.step(emit)
                last_error = ""
            except LoupeError as exc:
                if str(exc) != last_error:
                    last_error = str(exc)
                    emit(Notice(str(exc), title="Plan run", severity="warning"))
            self._wake.wait(PLAN_STEP_SECONDS)
            self._wake.clear()

    def step(self, emit: Emit = nowhere) -> None:
        """One look at every unfinished run; what happened is told as notices."""
        from tui.phases.runs import PlanRun

        runs = self.all_runs()
        unfinished = [run.task for run in runs if not run.finished]
        if unfinished:
            runner = self.runner()
            for task in unfinished:
                for line in runner.step(task):
                    emit(Notice(line, title=f"Plan of {task}", timeout=10))
            runs = self.all_runs()
        seen = {run.task: run.to_dict() for run in runs}
        if seen != self._reported:
            self._reported = seen
            # Copies: the event's runs are never the ones this loop changes.
            emit(PlanRunsUpdated(tuple(PlanRun.from_dict(run.to_dict()) for run in runs)))

    # -- a task's timeline -----------------------------------------------------------------

    def timeline(self, task: Task) -> list[TimelineEvent]:
        """Everything that happened on `task`: sessions, threads, artifacts, review rounds
        (without sessions and plan runs when sessions are unavailable). An artifact's writers
        include sessions whose worktree changed it (one diff per session of the task)."""
        from tui.phases.review_rounds import load_rounds, rounds_of_task
        from tui.phases.timeline import sessions_of, timeline, worktree_changes

        try:
            manager: SessionManager | None = self.opened_manager()
        except LoupeError:
            manager = None
        sessions = manager.sessions(include_removed=True) if manager is not None else []
        monitor = self.sessions.monitor
        latest = (monitor.latest if monitor is not None and monitor.latest
                  else manager.poll(set()) if manager is not None else [])
        root = manager.root if manager is not None else self.workspace.root
        mine = {s.id for s in sessions_of(task, sessions)}
        rounds = rounds_of_task(load_rounds(root), root, mine)
        return timeline(task, sessions=sessions, snapshots={s.session.id: s for s in latest},
                        threads=self._threads_of(task), rounds=rounds,
                        run=self.plan_run(task.slug) if manager is not None else None,
                        diff_paths=worktree_changes(manager) if manager is not None else None)

    def _threads_of(self, task: Task) -> Sequence[Thread]:
        """Threads filed under the task, from the open store and the agents' store."""
        found: dict[str, Thread] = {}
        stores = [self.threads.store]
        if self.threads.store is not None:
            try:
                stores.append(self.threads.agent_store())
            except LoupeError:
                pass
        for store in stores:
            if store is None:
                continue
            for thread in store.list_threads(include_archived=True, task=str(task.path.resolve())):
                found.setdefault(thread.id, thread)
        return list(found.values())

    def new_thread(self, task: Task, title: str) -> Thread:
        """A chat thread filed under the task (the threads store must be open)."""
        from tui.phases.errors import PhaseError

        store = self.threads.store
        if store is None:
            raise PhaseError(self.threads.problem or "threads are not open yet; try again in a moment")
        endpoint = self.threads.endpoint_status().endpoint
        return store.create_thread(title, endpoint=endpoint.name if endpoint else None,
                                   model=endpoint.model if endpoint else None,
                                   task=str(task.path.resolve()))

    # -- lifetime --------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the demo's model server; the watcher ends on its stop event."""
        with self._lock:
            self._closed = True
            server, self._demo_server = self._demo_server, None
        self._wake.set()
        if server is not None:
            server.stop()

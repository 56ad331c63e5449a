"""Implementing a plan phase by phase: one session per `## Phase N`, in order.

Each phase's session gets the outline and only its own section of the plan, in a fresh
context. The next phase starts when the previous one is done, that is when its session
has exited with 0, or is idle with nothing queued after having been seen at work (not only
in its first moments, which the screen fallback always calls busy), and when the recipe's
`checks` command then passes in its worktree. With `auto` off, or whenever the user says
so, `go` starts the next phase at once. A phase that failed (its agent exited non-zero,
its checks failed, its session was removed) stops the run until `go` or `again`.

Phase N+1 starts from phase N's branch, so it builds on that work; its diff shows only its
own changes, and landing it lands every phase before it onto the run's first base branch.

`step` is what the app's monitor (or `loupe task run implement --follow`) calls on each
poll, with snapshots whose screens were captured recently (the monitor's full ticks); it may
run checks, so call it off the UI thread. The state lives in `runs.RunStore`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tui.errors import LoupeError
from tui.phases import runs
from tui.phases.errors import PlanError
from tui.phases.launch import start_phase
from tui.phases.lookup import find_task
from tui.phases.plan import PlanPhase, plan_phases
from tui.phases.prompt import prepare, read_input
from tui.phases.recipes import Recipe, get_recipe
from tui.phases.runs import PhaseProgress, PlanRun, RunStore
from tui.sessions.status_file import State
from tui.tasks.model import Task

if TYPE_CHECKING:
    from tui.sessions.manager import SessionManager
    from tui.sessions.model import Snapshot

# Checks that take longer than this count as failed.
CHECKS_TIMEOUT = 30 * 60.0


class PlanRunner:
    def __init__(self, manager: SessionManager, recipes: dict[str, Recipe], *,
                 store: RunStore | None = None, checks_timeout: float = CHECKS_TIMEOUT) -> None:
        self.manager = manager
        self.recipes = recipes
        self.store = store or RunStore(manager.root)
        self.checks_timeout = checks_timeout

    # -- starting --------------------------------------------------------------------------

    def phases_of(self, task: Task, recipe_name: str = "implement") -> list[PlanPhase]:
        """The plan's phases ([] when it has no `## Phase N` headings: ask before running it whole)."""
        recipe = self._plan_recipe(recipe_name)
        if not (task.path / recipe.plan).is_file():
            raise PlanError(f"task {task.slug} has no plan yet: {recipe.plan} does not exist in {task.path}")
        return plan_phases(read_input(task, recipe.plan))

    def begin(self, task: Task, *, recipe: str = "implement", auto: bool = True, whole: bool = False,
              agent: str | None = None, anyway: bool = False) -> tuple[PlanRun, list[str]]:
        """Start a run at its first phase. `whole` runs the plan as one phase: a plan without
        phase headings is refused without it (the caller asks the user first)."""
        with self.store.locked(task.slug):
            existing = self.store.load(task.slug)
            if existing is not None and not existing.finished:
                raise PlanError(f"task {task.slug} already has a plan run ({existing.summary()}); "
                                "continue it with go, or cancel it first")
            # Read even when run whole: the plan must exist.
            found = self.phases_of(task, recipe)
            if whole:
                found = []
            elif not found:
                plan = self._plan_recipe(recipe).plan
                raise PlanError(f"{task.path / plan} has no '## Phase N' headings; run it as one "
                                "phase (--whole-plan), or split it into phases first")
            progress = [PhaseProgress(p.number, p.title) for p in found] or [PhaseProgress(1, "the whole plan")]
            run = PlanRun(task_dir=str(task.path), task=task.slug, recipe=recipe,
                          plan=self._plan_recipe(recipe).plan, auto=auto, whole=not found,
                          phases=progress, agent=agent or "")
            events = [self._start(run, run.phases[0], anyway=anyway)]
            return run, events

    def load(self, task_slug: str) -> PlanRun | None:
        return self.store.load(task_slug)

    def active(self) -> list[PlanRun]:
        """Runs not finished yet, of every task of the repository (for the app's monitor)."""
        if not self.store.folder.is_dir():
            return []
        found = [self.store.load(path.stem) for path in sorted(self.store.folder.glob("*.json"))]
        return [run for run in found if run is not None and not run.finished]

    # -- advancing -------------------------------------------------------------------------

    def step(self, task_slug: str, snapshots: Sequence[Snapshot] | None = None) -> list[str]:
        """Look at the current phase's session and move the run on; what happened, in words."""
        with self.store.locked(task_slug, wait=False) as mine:
            run = self.store.load(task_slug) if mine else None
            if run is None or run.finished:
                # Another loupe is stepping it (maybe running its checks), or nothing to do.
                return []
            phase = run.current
            assert phase is not None
            if phase.status == runs.PENDING:
                return self._start_or_stop(run, phase) if run.auto else []
            if phase.status not in (runs.RUNNING, runs.CHECKING):
                # Stopped: it waits for go or again. (Checking: a loupe that died while the
                # checks ran; they run again.)
                return []
            # Screens captured: a state judged on an old capture could read as idle.
            by_id = {s.session.id: s for s in (self.manager.poll() if snapshots is None else snapshots)}
            events = self._observe(run, phase, by_id.get(phase.session))
            self.store.save(run)
            if phase.status == runs.DONE and run.auto and run.current is not None:
                events.extend(self._start_or_stop(run, run.current))
            return events

    def go(self, task_slug: str, *, anyway: bool = False) -> list[str]:
        """Start the next phase now: the current one counts as done, whatever its state."""
        with self.store.locked(task_slug):
            run = self._require(task_slug)
            phase = run.current
            if phase is None:
                raise PlanError(f"every phase of task {task_slug}'s plan is done")
            events: list[str] = []
            # A phase that never got a session (its start failed) is started, not skipped.
            if phase.session and phase.status != runs.PENDING:
                self._finish(phase, runs.DONE, "marked done by you")
                events.append(f"{phase.label}: marked done by you")
            if run.current is None:
                self.store.save(run)
                return [*events, "every plan phase is done"]
            try:
                events.append(self._start(run, run.current, anyway=anyway))
            finally:
                # The current phase counts as done even when the next cannot start.
                self.store.save(run)
            return events

    def again(self, task_slug: str, *, anyway: bool = False) -> list[str]:
        """Run the current phase again in a new session (after it failed, or its input changed)."""
        with self.store.locked(task_slug):
            run = self._require(task_slug)
            phase = run.current
            if phase is None:
                raise PlanError(f"every phase of task {task_slug}'s plan is done; there is nothing to run again")
            return [self._start(run, phase, anyway=anyway)]

    def cancel(self, task_slug: str) -> None:
        """Forget the run; its sessions keep running."""
        with self.store.locked(task_slug):
            self.store.delete(task_slug)

    # -- inside ----------------------------------------------------------------------------

    def _observe(self, run: PlanRun, phase: PhaseProgress, snapshot: Snapshot | None) -> list[str]:
        if snapshot is None:
            self._finish(phase, runs.FAILED, "its session was removed")
            return [f"{phase.label}: its session was removed; the run waits for go or again"]
        if snapshot.state is State.EXITED:
            if snapshot.exit_code != 0:
                how = "without an exit code" if snapshot.exit_code is None else f"with {snapshot.exit_code}"
                self._finish(phase, runs.FAILED, f"its agent exited {how}")
                return [f"{phase.label}: the agent exited {how}; the run waits for go or again"]
            return self._checked(run, phase, snapshot)
        settled = phase.started_at is not None and time.time() - phase.started_at > self.manager.observer.debounce
        if snapshot.state is not State.IDLE:
            phase.seen_working = phase.seen_working or settled
            return []
        if phase.seen_working and not snapshot.queued:
            return self._checked(run, phase, snapshot)
        return []

    def _checked(self, run: PlanRun, phase: PhaseProgress, snapshot: Snapshot) -> list[str]:
        recipe = get_recipe(self.recipes, run.recipe)
        if not recipe.checks:
            self._finish(phase, runs.DONE, "its session finished")
            return [f"{phase.label}: done"]
        phase.status = runs.CHECKING
        self.store.save(run)
        log = self.store.log_path(run.task, phase.number)
        code = _run_checks(recipe.checks, snapshot.session.worktree, log, self.checks_timeout)
        phase.checks_exit, phase.checks_log = code, str(log)
        if code == 0:
            self._finish(phase, runs.DONE, "checks passed")
            return [f"{phase.label}: done, checks passed"]
        self._finish(phase, runs.CHECKS_FAILED, f"checks exited with {code}; see {log}")
        return [f"{phase.label}: checks failed ({recipe.checks!r} exited with {code}, output in {log}); "
                "the run waits for go or again"]

    def _start_or_stop(self, run: PlanRun, phase: PhaseProgress) -> list[str]:
        """Start the next phase by itself; what stops it (its artifact contested, its agent
        missing, the plan changed) stops the run until the user says go or again."""
        try:
            return [self._start(run, phase)]
        except LoupeError as exc:
            self._finish(phase, runs.FAILED, f"could not start: {exc}")
            self.store.save(run)
            return [f"{phase.label}: could not start: {exc}; the run waits for go or again"]

    def _finish(self, phase: PhaseProgress, status: str, detail: str) -> None:
        phase.status, phase.detail, phase.finished_at = status, detail, time.time()

    def _start(self, run: PlanRun, phase: PhaseProgress, *, anyway: bool = False) -> str:
        """Start `phase`'s session (from the previous phase's branch) and save the run."""
        task = find_task(Path(run.task_dir).parent, run.task)
        recipe = get_recipe(self.recipes, run.recipe)
        section = None
        if not run.whole:
            section = next((p for p in plan_phases(read_input(task, recipe.plan)) if p.number == phase.number), None)
            if section is None:
                raise PlanError(f"{task.path / recipe.plan} no longer has a '## Phase {phase.number}' "
                                "heading; fix the plan, then go on")
        prepared = prepare(task, recipe, repo_root=self.manager.root, plan_phase=section)
        base = self._base_of(run, phase)
        started = start_phase(self.manager, prepared, agent=run.agent or None, anyway=anyway, **base)
        phase.session, phase.status, phase.started_at = started.session.id, runs.RUNNING, time.time()
        phase.seen_working, phase.detail, phase.checks_exit = False, "", None
        self.store.save(run)
        return f"{phase.label}: started in session {started.session.number} ({started.session.id})"

    def _base_of(self, run: PlanRun, phase: PhaseProgress) -> dict[str, object]:
        """Where a phase's worktree starts: the previous phase's branch (diffed from its tip,
        landed onto the first phase's base branch)."""
        from tui.sessions.worktrees import Base

        previous = run.previous(phase)
        if previous is None or not previous.session:
            return {}
        before = self.manager.store.get(previous.session)
        if before is None or before.in_place or not before.branch:
            return {}
        first = self.manager.store.get(run.phases[0].session) if run.phases[0].session else None
        onto = first.base_branch if first is not None else before.base_branch
        # The tip where the branch's host has it (diff and land go through that host too).
        tip = self.manager.host_of(before).resolve_base(f"refs/heads/{before.branch}").commit
        return {"base": before.branch, "recorded_base": Base(tip, onto)}

    def _plan_recipe(self, name: str) -> Recipe:
        recipe = get_recipe(self.recipes, name)
        if not recipe.plan:
            raise PlanError(f"the {name} phase follows no plan; set plan = \"05-plan.md\" under "
                            f"[phases.{name}] to run it plan phase by plan phase")
        return recipe

    def _require(self, task_slug: str) -> PlanRun:
        run = self.store.load(task_slug)
        if run is None:
            raise PlanError(f"task {task_slug} has no plan run; start one with `loupe task run implement`")
        return run


def _run_checks(command: str, cwd: Path, log: Path, timeout: float) -> int:
    """Run the checks in the phase's worktree, their output saved to `log`; the exit code
    (124 when they ran out of time, 127 when the worktree is gone). Whatever they started
    is ended with them: they run in a process group of their own.

    They run on this machine, where a local session's worktree is; a session on another
    host needs its host's `run` to grow a log file and a process group first."""
    from tui import private_files

    if not cwd.is_dir():
        private_files.write_private(log, f"the worktree {cwd} no longer exists\n")
        return 127
    fd = private_files.open_private(log, os.O_WRONLY | os.O_TRUNC)
    try:
        with subprocess.Popen(["sh", "-c", command], cwd=cwd, stdin=subprocess.DEVNULL, stdout=fd,
                              stderr=subprocess.STDOUT, start_new_session=True) as process:
            try:
                code = process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                code = 124
                os.write(fd, f"\n[loupe: checks still running after {timeout:g} s; stopped]\n".encode())
            finally:
                _end_group(process.pid)
                process.wait()
    finally:
        os.close(fd)
    return code


def _end_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass

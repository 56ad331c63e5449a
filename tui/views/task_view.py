"""A task's view: its next phase, its plan run phase by phase, and its timeline.

The timeline (`tui.phases.timeline`) lists the task's sessions (live and past, with their
phase, prompt and state), its threads, its artifacts with who wrote them and when, and its
review rounds. It is built in a thread worker, again when the task's files change, when one
of its sessions changes state, is removed or changes its worktree, and when a plan run moves
on. Enter opens the row's artifact or thread, or takes the user to the session's tile (a
removed session is said to be gone, with what is known of it); the keys run phases and move
the plan run on.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from textual import getters, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.app_base import AppBase
from tui.channel import Received, received
from tui.errors import LoupeError
from tui.events import PhaseStarted, PlanRunsUpdated, SessionsUpdated, TasksChanged
from tui.messages import OpenPath, OpenThread, ShowSession
from tui.terminal_text import visible
from tui.views.phase_actions import PlanAction, new_thread_for_task, open_run_phase, plan_action

if TYPE_CHECKING:
    from tui.phases.runs import PlanRun
    from tui.phases.timeline import Event as TimelineEvent
    from tui.sessions.diff import DiffStat
    from tui.sessions.model import Snapshot
    from tui.tasks.model import Task

KIND_GLYPHS = {"session": "▶", "thread": "✉", "artifact": "▤", "round": "✎"}


@dataclass
class _Built:
    task: Task
    events: list[TimelineEvent]
    run: PlanRun | None
    next_phase: str | None


class TaskDocument(Vertical):
    """One task's view, in a document tab."""

    app = getters.app(AppBase)

    DEFAULT_CSS = """
    TaskDocument { height: 1fr; }
    TaskDocument > #task-view-header { height: auto; padding: 0 1; background: $panel; }
    TaskDocument > #task-view-plan { height: auto; padding: 0 1; color: $text-muted; }
    TaskDocument > #task-view-rows { height: 1fr; border: none; }
    TaskDocument > #task-view-hint { height: 1; padding: 0 1; color: $text-muted; }
    """
    BINDINGS = [
        Binding("p", "run_phase", "Run next phase", id="task_view.run_phase"),
        Binding("a", "run_again", "Run again", id="task_view.run_again"),
        Binding("g", "plan('go')", "Go: next plan phase", id="task_view.go"),
        Binding("t", "new_thread", "Thread on task", id="task_view.new_thread"),
        Binding("r", "refresh", "Refresh", show=False, id="task_view.refresh"),
    ]

    def __init__(self, task_path: Path) -> None:
        super().__init__()
        self.task_path = task_path
        self.built: _Built | None = None
        self._building = False
        self._again = False
        # (session id, state) of the task's sessions when last built: a tick that changes
        # none of them does not rebuild.
        self._session_states: tuple[tuple[str, str], ...] = ()
        # The diff size of each of the task's sessions as last reported: a session that
        # changes its worktree may have written an artifact there.
        self._diff_stats: dict[str, DiffStat] = {}

    def compose(self) -> ComposeResult:
        yield Static(Content(f"Task {self.task_path.name}"), id="task-view-header")
        yield Static(id="task-view-plan")
        yield OptionList(id="task-view-rows")
        yield Static("p next phase · a run again · g go (next plan phase) · t thread · enter open (a session: its tile)",
                     id="task-view-hint")

    def on_mount(self) -> None:
        self.app.channel.subscribe(self, SessionsUpdated, PlanRunsUpdated, TasksChanged, PhaseStarted)
        self.refresh_timeline()

    def focus_document(self) -> bool:
        """Focus the timeline; False if it is not mounted yet (the caller tries again)."""
        rows = self.query("#task-view-rows")
        if not rows:
            return False
        rows.first().focus()
        return True

    @property
    def rows(self) -> OptionList:
        return self.query_one("#task-view-rows", OptionList)

    # -- building (worker) -----------------------------------------------------------------

    def refresh_timeline(self) -> None:
        if self._building:
            self._again = True
            return
        self._building = True
        self._build()

    @work(thread=True, group="task-view-build")
    def _build(self) -> None:
        phases = self.app.services.phases
        try:
            task = phases.task_of(self.task_path)
            built = _Built(task, phases.timeline(task), phases.plan_run(task.slug), phases.next_phase(task))
        except LoupeError as exc:
            self.app.call_from_thread(self._built, None, str(exc))
        else:
            self.app.call_from_thread(self._built, built, "")

    def _built(self, built: _Built | None, error: str) -> None:
        self._building = False
        if self._again:
            self._again = False
            self.refresh_timeline()
        if not self.is_attached:
            return
        if built is None:
            self.query_one("#task-view-plan", Static).update(Content(f"Cannot show the task: {error}"))
            return
        self.built = built
        self._session_states = tuple((e.session_id, e.state) for e in built.events if e.kind == "session")
        self._show(built)

    def _show(self, built: _Built) -> None:
        task = built.task
        header = Content.assemble((visible(task.title), "bold"), f"  ({task.slug})",
                                  f" · phase: {task.phase or 'none yet'}",
                                  f" · next: {built.next_phase or 'none'}")
        self.query_one("#task-view-header", Static).update(header)
        self.query_one("#task-view-plan", Static).update(plan_progress(built.run))
        rows = self.rows
        highlighted = rows.highlighted
        now = self.app.clock()
        rows.set_options(Option(event_prompt(event, now), id=str(index))
                         for index, event in enumerate(reversed(built.events)))
        if rows.option_count:
            rows.highlighted = min(highlighted or 0, rows.option_count - 1)

    # -- what changes it -------------------------------------------------------------------

    @on(received(TasksChanged))
    def _files_changed(self, message: Received[TasksChanged]) -> None:
        paths = message.event.paths
        if paths is None or any(self.task_path in (p, *p.parents) for p in paths):
            self.refresh_timeline()

    @on(received(SessionsUpdated))
    def _sessions_changed(self, message: Received[SessionsUpdated]) -> None:
        if self.built is None:
            return
        from tui.phases.contested import same_folder

        # The task's sessions only: one that is new, changed state, was removed (it left the
        # report), or changed its worktree's diff rebuilds.
        update = message.event
        mine = {s.session.id: _state(s) for s in update.snapshots
                if s.session.task_dir is not None and s.session.task_dir.name == self.task_path.name
                and same_folder(s.session.task_dir, self.task_path)}
        stats = {sid: update.stats[sid] for sid in mine if sid in update.stats}
        stale = timeline_stale(dict(self._session_states), self._diff_stats, mine, stats)
        self._diff_stats.update(stats)
        if stale:
            self.refresh_timeline()

    @on(received(PlanRunsUpdated))
    @on(received(PhaseStarted))
    def _runs_changed(self, message: Received[PlanRunsUpdated] | Received[PhaseStarted]) -> None:
        self.refresh_timeline()

    # -- keys ------------------------------------------------------------------------------

    def action_refresh(self) -> None:
        self.refresh_timeline()

    def action_run_phase(self) -> None:
        open_run_phase(self, self.task_path)

    def action_run_again(self) -> None:
        """The highlighted session's or artifact's phase, again (after its input was edited)."""
        event = self.highlighted_event()
        phase = event.phase if event is not None and event.phase else None
        if phase is None:
            self.notify("Highlight a session or an artifact of a phase to run it again.", severity="warning")
            return
        run = self.built.run if self.built is not None else None
        if run is not None and not run.finished and event is not None and event.plan_phase is not None:
            plan_action(self, run.task, "again")
            return
        open_run_phase(self, self.task_path, phase)

    def action_plan(self, action: str) -> None:
        chosen: PlanAction | None = ("go" if action == "go" else "again" if action == "again"
                                     else "cancel" if action == "cancel" else None)
        if chosen is not None:
            plan_action(self, self.task_path.name, chosen)

    def action_new_thread(self) -> None:
        new_thread_for_task(self, self.task_path, then=self.refresh_timeline)

    def highlighted_event(self) -> TimelineEvent | None:
        if self.built is None:
            return None
        index = self.rows.highlighted
        if index is None:
            return None
        ordered = list(reversed(self.built.events))
        return ordered[index] if 0 <= index < len(ordered) else None

    @on(OptionList.OptionSelected, "#task-view-rows")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        chosen = self.highlighted_event()
        if chosen is None:
            return
        if chosen.kind == "thread":
            self.post_message(OpenThread(chosen.thread_id, title=chosen.title))
        elif chosen.kind == "session":
            self.post_message(ShowSession(chosen.ref))
        elif chosen.path is not None:
            # A file deleted since: the pane says so.
            self.post_message(OpenPath(chosen.path))
        else:
            self.notify(f"{chosen.title} has no document to open.", markup=False)

    def document_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        return [
            ("Phases: run the next phase of this task", "Shows the exact prompt first (p)", self.action_run_phase),
            ("Phases: go, start the next plan phase now", "The current plan phase counts as done (g)",
             lambda: self.action_plan("go")),
            ("Phases: run the current plan phase again", "In a new session", lambda: self.action_plan("again")),
            ("Phases: cancel the plan run", "Its sessions keep running", lambda: self.action_plan("cancel")),
            ("Threads: new thread on this task", "The thread is filed under the task (t)", self.action_new_thread),
        ]


def timeline_stale(known_states: dict[str, str], known_stats: dict[str, DiffStat],
                   states: dict[str, str], stats: dict[str, DiffStat]) -> bool:
    """Whether a tick of the session monitor makes the task's timeline out of date: one of
    its sessions is new, changed state or left, or its worktree's diff changed.

    A diff size seen for the first time counts as a change: the monitor measures it every
    few seconds, only for sessions in view, so the first size it reports may already hold
    a write the timeline was built without (an agent that rewrote an artifact meanwhile)."""
    changed = any(known_states.get(sid) != state for sid, state in states.items())
    removed = any(sid not in states for sid, state in known_states.items() if state not in ("removed", "unknown"))
    rewritten = any(known_stats.get(sid) != stat for sid, stat in stats.items())
    return changed or removed or rewritten


def _state(snapshot: Snapshot) -> str:
    """A session's state as the timeline words it (so a rebuild happens only on a change)."""
    from tui.sessions.status_file import State

    if snapshot.state is State.EXITED:
        return "exited" if snapshot.exit_code is None else f"exited {snapshot.exit_code}"
    return snapshot.state.value


def plan_progress(run: PlanRun | None) -> Content:
    """The plan run, one phase per line with its state ("" when there is none)."""
    if run is None:
        return Content("")
    lines = [f"Plan {run.plan}: {run.summary()}" + ("" if run.auto else " (manual: g starts the next)")]
    for phase in run.phases:
        mark = {"done": "✓", "running": "▶", "checking": "…", "pending": "·"}.get(phase.status, "✗")
        detail = f" ({phase.detail})" if phase.detail else ""
        lines.append(f"  {mark} {phase.label}: {phase.status}{detail}")
    return Content(visible("\n".join(lines)))


def event_prompt(event: TimelineEvent, now: float) -> Content:
    """One timeline row: when, what, its state; a session's prompt, an artifact's writers."""
    from tui.relative_time import relative_time

    glyph = KIND_GLYPHS.get(str(event.kind), "·")
    parts: list[Content | tuple[str, str] | str] = [
        (f"{relative_time(event.at, now):>4} ", "dim"), f"{glyph} ", visible(event.title),
    ]
    if event.state:
        parts.append((f"  [{visible(event.state)}]", "bold"))
    if event.contested:
        parts.append(("  contested", "bold reverse"))
    if event.kind == "session" and event.detail:
        first = next((line for line in event.detail.splitlines() if line.strip()), "")
        parts.append(("\n      prompt: " + visible(first[:200]), "dim"))
    if event.writers:
        by = "; ".join(f"session {w.number}: {w.reason}" for w in event.writers)
        parts.append(("\n      written by " + visible(by), "dim"))
    return Content.assemble(*parts)

"""Run a task's phase: the recipe picked, the exact prompt shown (and editable), then started.

Opening it reads the phase's inputs and renders its prompt off the UI loop; what stops the
phase (a missing input, an unknown template placeholder with its file and line, an unknown
agent) is shown here with its message. Before a second writer of an artifact starts, the
warning says which session already writes it, and the button says "Start anyway".

A phase that follows a plan (implement) starts a plan run: one session per `## Phase N`,
the next when the previous one is done (or on go). Its first prompt is shown read-only,
since each plan phase gets a prompt of its own; a plan without phase headings is offered as
one phase.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Button, Checkbox, Label, Select, Static, TextArea

from tui.dialogs.base import Dialog
from tui.errors import LoupeError
from widgets.plain_text import plain_text

if TYPE_CHECKING:
    from tui.phases.prompt import PreparedPhase
    from tui.services.phases import PhaseService
    from tui.tasks.model import Task

START = "Start (ctrl+s)"
START_ANYWAY = "Start anyway (ctrl+s)"
RUN_WHOLE = "Run as one phase (ctrl+s)"


@dataclass(frozen=True)
class PhaseLaunched:
    """What started: said to the user by whoever opened the dialog."""

    task: str
    phase: str
    messages: list[str] = field(default_factory=list)
    session_id: str = ""


@dataclass
class _Ready:
    task: Task
    phase: str
    agents: list[tuple[str, str]]
    agent: str
    prepared: PreparedPhase
    warning: str | None
    # A plan-following phase: its plan phases' labels ([]: none, offered as one phase).
    plan: list[str] | None
    # What else to know first (a plan run already under way, an unknown agent kind).
    notes: list[str] = field(default_factory=list)


class RunPhaseScreen(Dialog[PhaseLaunched]):
    SIZE = "wide"
    BINDINGS = [
        Binding("ctrl+s", "start", "Start", id="run_phase.start"),
        # After fixing what stopped it (writing the missing input, the template).
        Binding("ctrl+r", "reload", "Read again", id="run_phase.reload"),
    ]
    BUSY_LABEL = "Starting…"

    def __init__(self, phases: PhaseService, task_path: Path, phase: str | None = None) -> None:
        super().__init__(f"Run a phase of task {task_path.name}")
        self._phases = phases
        self._task_path = task_path
        self._wanted = phase
        self.ready: _Ready | None = None
        self._anyway = False

    def compose_body(self) -> ComposeResult:
        yield Static("Reading the task and the phase's inputs…", id="phase-info", classes="dialog-help")
        yield Label("Phase", classes="dialog-label")
        yield Select([], allow_blank=True, id="phase")
        yield Label("Agent", classes="dialog-label")
        yield Select([], allow_blank=True, id="agent")
        yield Static(id="phase-warning", classes="dialog-warning")
        yield Checkbox("Start each next plan phase by itself once the previous one is done "
                       "(else press g in the task view)", True, id="auto")
        yield Label("Prompt: exactly what the agent is sent (edit it if you like)", id="prompt-label",
                    classes="dialog-label")
        yield TextArea(id="prompt", soft_wrap=True)

    def compose_buttons(self) -> ComposeResult:
        yield Button("Cancel", id="cancel")
        yield Button(START, id="start", variant="primary", disabled=True)

    def on_mount(self) -> None:
        self.query_one("#auto").display = False
        self._load(self._wanted)

    # -- reading the phase (worker) --------------------------------------------------------

    @work(thread=True, exclusive=True, group="run-phase-load")
    def _load(self, phase: str | None) -> None:
        from tui.phases.errors import PhaseError

        name = phase
        try:
            task = self._phases.task_of(self._task_path)
            name = phase or self._phases.next_phase(task)
            if name is None:
                raise PhaseError(f"task {task.slug} has an artifact for every phase; choose one to run again")
            ready = self._read(task, name)
        except LoupeError as exc:
            self.app.call_from_thread(self._failed_to_load, name, str(exc))
        else:
            self.app.call_from_thread(self._show, ready)

    def _read(self, task: Task, name: str) -> _Ready:
        from tui.phases.recipes import get_recipe

        phases = self._phases
        recipe = get_recipe(phases.recipes, name)
        agents = phases.agents()
        plan: list[str] | None = None
        notes: list[str] = []
        if recipe.plan:
            found = phases.plan_phases(task, name)
            plan = [p.label for p in found]
            prepared = phases.prepare(task, name, found[0] if found else None)
            run = phases.plan_run(task.slug)
            if run is not None and not run.finished:
                notes.append(f"This task's plan run is under way ({run.summary()}): press g in the task "
                             "view to go on, or cancel the run (palette) before starting it over.")
        else:
            prepared = phases.prepare(task, name)
        agent = phases.default_agent(recipe)
        if agent not in {known for known, _ in agents}:
            notes.append(f"The {name} phase is set to run agent '{agent}', which loupe does not know "
                         "(add it as [agents.<name>]); choose one above.")
        return _Ready(task, name, agents, agent, prepared, phases.warning(prepared), plan, notes)

    def _failed_to_load(self, phase: str | None, error: str) -> None:
        # The phases stay offered: another one may well run (or this one, once fixed).
        self.ready = None
        self._fill_phases(phase)
        self.query_one("#phase-info", Static).update(plain_text(f"Task folder: {self._task_path}"))
        self.query_one("#prompt", TextArea).load_text("")
        self.query_one("#start", Button).disabled = True
        self.show_error(error)

    def _fill_phases(self, current: str | None) -> None:
        select = self.query_one("#phase", Select)
        names = list(self._phases.recipes)
        with select.prevent(Select.Changed):
            select.set_options([(name, name) for name in names])
            if current in names:
                select.value = current

    def _show(self, ready: _Ready) -> None:
        self.ready = ready
        prepared = ready.prepared
        recipe = prepared.recipe
        self._fill_phases(ready.phase)
        agent = self.query_one("#agent", Select)
        names = [name for name, _ in ready.agents]
        with agent.prevent(Select.Changed):
            agent.set_options([(plain_text(f"{name} - {about}" if about else name), name)
                               for name, about in ready.agents])
            agent.value = ready.agent if ready.agent in names else (names[0] if names else Select.BLANK)
        where = ("in the task folder of the main checkout (no worktree)" if prepared.in_place
                 else "in a new worktree of its own")
        reads = ", ".join(prepared.inputs) or "nothing"
        lines = [f"Task: {ready.task.title} ({ready.task.slug})",
                 f"The {recipe.name} phase reads {reads}"
                 + (f", writes {recipe.output}" if recipe.output else "") + f", and runs {where}.",
                 f"Prompt template: {template_label(prepared)}"]
        if ready.plan:
            lines.append(f"Plan {recipe.plan}: {len(ready.plan)} phases, one session each: "
                         + "; ".join(ready.plan))
        self.query_one("#phase-info", Static).update(plain_text("\n".join(lines)))
        warnings = [*([ready.warning] if ready.warning else []), *prepared.warnings, *ready.notes]
        if ready.plan == []:
            warnings.append(f"{recipe.plan} has no '## Phase N' headings. Run the whole plan as one "
                            "phase, or split it into phases first.")
        warning = self.query_one("#phase-warning", Static)
        warning.update(plain_text("\n".join(warnings)))
        warning.set_class(bool(warnings), "-shown")
        self.query_one("#auto").display = bool(ready.plan)
        text = self.query_one("#prompt", TextArea)
        text.load_text(prepared.prompt)
        # A plan run builds each plan phase's prompt when that phase starts: shown, not edited.
        text.read_only = recipe.plan != ""
        self.query_one("#prompt-label", Label).update(
            "Prompt of the first plan phase (each phase gets its own section of the plan)"
            if recipe.plan else "Prompt: exactly what the agent is sent (edit it if you like)")
        self._anyway = bool(ready.warning)
        button = self.query_one("#start", Button)
        button.label = RUN_WHOLE if ready.plan == [] else START_ANYWAY if self._anyway else START
        button.disabled = False
        self.show_error("")

    def action_reload(self) -> None:
        if self.is_busy:
            return
        chosen = self.query_one("#phase", Select).value
        self.query_one("#start", Button).disabled = True
        self._load(chosen if isinstance(chosen, str) else self._wanted)

    @on(Select.Changed, "#phase")
    def _phase_chosen(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, str) and (self.ready is None or event.value != self.ready.phase):
            self.query_one("#start", Button).disabled = True
            self.query_one("#phase-info", Static).update(f"Reading the {event.value} phase's inputs…")
            self._load(event.value)

    # -- starting --------------------------------------------------------------------------

    def action_start(self) -> None:
        ready = self.ready
        if ready is None or self.is_busy or self.query_one("#start", Button).disabled:
            return
        agent = self.query_one("#agent", Select).value
        if not isinstance(agent, str):
            self.show_error("Choose the agent that runs the phase.")
            return
        prompt = self.query_one("#prompt", TextArea).text
        if not prompt.strip():
            self.show_error("The prompt is empty: say what the agent should do.")
            return
        self.show_error("")
        self.busy(True)
        self._start(ready, agent, prompt, self._anyway, self.query_one("#auto", Checkbox).value)

    @on(Button.Pressed, "#start")
    def _start_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_start()

    @work(thread=True, exclusive=True, group="run-phase-start")
    def _start(self, ready: _Ready, agent: str, prompt: str, anyway: bool, auto: bool) -> None:
        from tui.phases.errors import Contested

        phases, prepared = self._phases, ready.prepared
        try:
            if prepared.recipe.plan:
                messages = phases.begin_plan(ready.task, ready.phase, auto=auto, whole=ready.plan == [],
                                             agent=agent, anyway=anyway)
                launched = PhaseLaunched(ready.task.slug, ready.phase, messages)
            else:
                started = phases.start(prepared, agent=agent, prompt=prompt, anyway=anyway)
                session = started.session
                where = "in the task folder" if session.in_place else f"on {session.branch}"
                said = f"Session {session.number} ({session.agent}) runs the {ready.phase} phase {where}"
                if prepared.recipe.output:
                    said += f"; it writes {prepared.recipe.output}"
                launched = PhaseLaunched(ready.task.slug, ready.phase, [said, *started.warnings], session.id)
        except Contested as exc:
            self.app.call_from_thread(self._contested, str(exc))
        except LoupeError as exc:
            self.app.call_from_thread(self._failed, f"Could not start: {exc}")
        else:
            self.app.call_from_thread(self.dismiss, launched)

    def _contested(self, text: str) -> None:
        self.busy(False)
        self._anyway = True
        self.query_one("#start", Button).label = START_ANYWAY
        self.show_error(text)


def template_label(prepared: PreparedPhase) -> str:
    """Where the prompt's template came from, and how to override a shipped one."""
    template = prepared.template
    name = template.path.name
    if template.origin == "shipped":
        return f"loupe's {name} (write .loupe/phases/{name} to change it for this repository)"
    if template.origin == "repo":
        return f".loupe/phases/{name}, this repository's own"
    return f"{template.path}, yours"

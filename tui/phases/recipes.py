"""Phase recipes: what each step of a task's workflow reads, writes, and runs with.

A recipe names its prompt template, the task files whose contents its prompt carries
(`inputs`), the artifact it writes (`output`), the agent kind, whether it needs a worktree
of its own (documents-only phases run in the main checkout's task folder), the checks that
must pass before the next plan phase starts, and for `implement` the plan it follows.

Shipped recipes cover the six phases of `tui.tasks.PHASES`; `[phases.<name>]` in config
changes any key of one (keys left out keep the shipped value) or adds a phase of your own.
Research reads only the research questions, never the ticket: its findings must describe the
code as it is, not as the ticket hopes it to be.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import PurePosixPath

from tui.config import Config, PhaseConfig
from tui.phases.errors import UnknownPhase
from tui.tasks.model import PHASES, Task

TICKET = "ticket.md"


@dataclass(frozen=True)
class Recipe:
    name: str
    # The prompt template's file name (see `tui.phases.templates`).
    template: str
    # Task files, relative to the task folder, whose contents the prompt carries, in order.
    inputs: tuple[str, ...]
    # The artifact it writes, relative to the task folder; "" when it writes none.
    output: str
    # Agent kind; "" means `[sessions] default_agent`.
    agent: str = ""
    # False: runs in the main checkout's task folder, with no worktree or branch of its own.
    worktree: bool = False
    # Shell command that must pass in the session's worktree before the next plan phase.
    checks: str = ""
    # The plan file (relative to the task folder) whose `## Phase N` sections it implements.
    plan: str = ""


SHIPPED: dict[str, Recipe] = {
    recipe.name: recipe
    for recipe in (
        Recipe("questions", "questions.md", (TICKET,), "01-research-questions.md"),
        Recipe("research", "research.md", ("01-research-questions.md",), "02-research.md"),
        Recipe("design", "design.md", (TICKET, "02-research.md"), "03-design-discussion.md"),
        Recipe("outline", "outline.md", (TICKET, "02-research.md", "03-design-discussion.md"), "04-outline.md"),
        Recipe("plan", "plan.md", ("03-design-discussion.md", "04-outline.md"), "05-plan.md"),
        Recipe("implement", "implement.md", ("04-outline.md",), "", worktree=True, plan="05-plan.md"),
    )
}
assert tuple(SHIPPED) == PHASES, "a shipped recipe per phase, in the workflow's order"


def load_recipes(config: Config, problems: list[str] | None = None) -> dict[str, Recipe]:
    """Shipped recipes with `[phases.*]` applied, shipped phases first, in workflow order.

    A path that leaves the task folder (absolute, or with `..`) is reported in `problems`
    and the shipped value kept: a cloned repository's config must not make a prompt carry
    files from elsewhere on the machine.
    """
    recipes = dict(SHIPPED)
    for name, entry in config.phases.items():
        base = SHIPPED.get(name) or Recipe(name, f"{name}.md", (), "")
        recipes[name] = _apply(base, name, entry, problems)
    return recipes


def _apply(base: Recipe, name: str, entry: PhaseConfig, problems: list[str] | None) -> Recipe:
    changes: dict[str, object] = {}
    if entry.template:
        if _inside(entry.template):
            changes["template"] = entry.template
        else:
            _report(problems, f"[phases.{name}] template = {entry.template!r} must be a file name "
                              "inside a phases folder (no '/' at the start, no '..'); using "
                              f"{base.template}")
    if entry.inputs is not None:
        bad = [item for item in entry.inputs if not _inside(item)]
        if bad:
            _report(problems, f"[phases.{name}] inputs: {bad[0]!r} is outside the task folder; "
                              "name files relative to it, e.g. \"02-research.md\"; using the "
                              "shipped inputs")
        else:
            changes["inputs"] = tuple(entry.inputs)
    for key in ("output", "plan"):
        value = getattr(entry, key)
        if value is None:
            continue
        if value and not _inside(value):
            _report(problems, f"[phases.{name}] {key} = {value!r} is outside the task folder; "
                              f"using {getattr(base, key)!r}")
        else:
            changes[key] = value
    if entry.agent:
        changes["agent"] = entry.agent
    if entry.worktree is not None:
        changes["worktree"] = entry.worktree
    if entry.checks is not None:
        changes["checks"] = entry.checks
    return dataclasses.replace(base, **changes)


def _inside(relative: str) -> bool:
    path = PurePosixPath(relative)
    return bool(relative.strip()) and not path.is_absolute() and ".." not in path.parts \
        and "\\" not in relative and "\0" not in relative


def _report(problems: list[str] | None, message: str) -> None:
    if problems is not None:
        problems.append(message)


def get_recipe(recipes: dict[str, Recipe], name: str) -> Recipe:
    try:
        return recipes[name]
    except KeyError:
        raise UnknownPhase(f"no phase named '{name}'; phases: {', '.join(recipes)} "
                           "(add your own as [phases.<name>] in config)") from None


def done_phases(task: Task, recipes: dict[str, Recipe]) -> list[str]:
    """Workflow phases the task has an artifact for: the recipe's output, or any artifact of
    that phase (by front matter or name). The ticket's own `phase:` says where the user
    thinks the task is, not what was written, so it does not count."""
    found = {a.phase for a in task.artifacts if a.name.lower() != TICKET}
    names = {a.name for a in task.artifacts}
    return [name for name in PHASES
            if name in recipes and (name in found or (recipes[name].output and recipes[name].output in names))]


def next_phase(task: Task, recipes: dict[str, Recipe]) -> str | None:
    """The phase to run next: the one after the furthest phase done (the first when none
    is); None once implementation has an artifact of its own."""
    done = done_phases(task, recipes)
    order = [name for name in PHASES if name in recipes]
    if not done:
        return order[0] if order else None
    following = order.index(done[-1]) + 1
    return order[following] if following < len(order) else None

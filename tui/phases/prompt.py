"""Preparing a phase: its inputs read, its template rendered, the exact prompt to send.

`prepare` reads only the recipe's inputs from the task folder (and, for `implement`, the
plan section it runs), so a research prompt carries the questions and nothing of the ticket:
not its text, not its name, not the task folder's path (the output path is relative to the
agent's working folder). Inputs are confined to the task folder: a symlink or a configured
name that leads elsewhere is refused, so no config can make a prompt carry other files.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from tui.phases.errors import MissingInput, PhaseError
from tui.phases.plan import PlanPhase
from tui.phases.recipes import SHIPPED, Recipe
from tui.phases.templates import Template, find_template, render
from tui.tasks.model import Task

# A prompt is read by a model with a context window; more than this is a mistake.
MAX_INPUT_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class PreparedPhase:
    """Everything about a phase run that is decided before its session starts."""

    task: Task
    recipe: Recipe
    template: Template
    # The exact text the agent is sent (the UI shows it and lets the user edit it).
    prompt: str
    # Where the session runs: the task folder itself (documents-only) or a new worktree.
    in_place: bool
    # The plan section this run implements; None for other phases and whole-plan runs.
    plan_phase: PlanPhase | None = None
    # Inputs' names, in the order the prompt carries them.
    inputs: tuple[str, ...] = ()
    warnings: list[str] = field(default_factory=list)

    @property
    def output_path(self) -> Path | None:
        """Where the artifact appears in the main checkout (None: no artifact, or it is
        written in the session's worktree)."""
        return self.task.path / self.recipe.output if self.recipe.output and self.in_place else None

    @property
    def session_task(self) -> str:
        """The session's task name (its branch is `loupe/<task>/<n>`)."""
        return self.task.slug


def prepare(task: Task, recipe: Recipe, *, repo_root: Path, plan_phase: PlanPhase | None = None) -> PreparedPhase:
    """The prompt for running `recipe` on `task` now.

    Raises `MissingInput` naming every input (and the plan) that does not exist yet, and
    `TemplateError` for a template with an unknown placeholder (file, line, placeholder).
    """
    names = [*recipe.inputs, *([recipe.plan] if recipe.plan else [])]
    missing = [name for name in names if not (task.path / name).is_file()]
    if missing:
        raise MissingInput(_missing_message(task, recipe, missing), missing)
    contents = {name: read_input(task, name) for name in dict.fromkeys(names)}
    template = find_template(recipe.template, repo_root)
    plan_text = ""
    if recipe.plan:
        plan_text = plan_phase.text if plan_phase is not None else contents[recipe.plan]
    values = {
        "phase": recipe.name,
        "task": task.title,
        "inputs": "\n\n".join(f'<file name="{name}">\n{contents[name].rstrip()}\n</file>'
                              for name in recipe.inputs),
        "input_files": ", ".join(recipe.inputs),
        "output": recipe.output,
        "output_path": _output_path(task, recipe, repo_root),
        "repo": str(repo_root),
        "task_dir": str(task.path),
        "plan_phase": plan_text.strip(),
    }
    return PreparedPhase(task=task, recipe=recipe, template=template, prompt=render(template, values).strip() + "\n",
                         in_place=not recipe.worktree, plan_phase=plan_phase, inputs=recipe.inputs)


def read_input(task: Task, name: str) -> str:
    """An input file's text, refused when it is not a regular file inside the task folder."""
    path = task.path / name
    real, folder = Path(os.path.realpath(path)), Path(os.path.realpath(task.path))
    if folder != real and folder not in real.parents:
        raise PhaseError(f"{path} leads outside the task folder {task.path} (a symlink?); "
                         "phases read only files of the task")
    try:
        size = real.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise PhaseError(f"{path} is {size // 1024} KB, too large to send in a prompt "
                             f"(at most {MAX_INPUT_BYTES // 1024} KB); shorten it")
        return real.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PhaseError(f"cannot read {path}, an input of the phase: {exc}") from exc


def _output_path(task: Task, recipe: Recipe, repo_root: Path) -> str:
    """The output's path as the agent should write it: relative to its working folder."""
    if not recipe.output:
        return ""
    if not recipe.worktree:
        return recipe.output
    try:
        return (task.path.relative_to(repo_root) / recipe.output).as_posix()
    except ValueError:
        # A tasks folder outside the repository is not in the worktree: the main one's.
        return str(task.path / recipe.output)


def _missing_message(task: Task, recipe: Recipe, missing: list[str]) -> str:
    hints = []
    for name in missing:
        writer = _writer_of(name)
        hints.append(f"{name} (written by the {writer} phase: `loupe task run {writer} --task "
                     f"{task.slug}`, or write it yourself)" if writer else f"{name} (write it yourself)")
    return (f"the {recipe.name} phase of task {task.slug} needs " + "; ".join(hints)
            + f", which does not exist in {task.path}")


def _writer_of(name: str) -> str | None:
    return next((r.name for r in SHIPPED.values() if r.output == name), None)

"""Starting a prepared phase as a session: its agent checked, its artifact not contested.

The session records its phase and the artifact it writes, and gets the prompt exactly as
prepared (or as the user edited it): `SessionManager.start(phase=...)` adds nothing to it.
A documents-only phase runs in the task folder of the main checkout, with no worktree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from tui.phases.contested import start_warning
from tui.phases.errors import Contested, PhaseError
from tui.phases.prompt import PreparedPhase
from tui.sessions.errors import AgentNotInstalled, UnknownAgent

if TYPE_CHECKING:
    from tui.sessions.manager import SessionManager
    from tui.sessions.model import Session, Snapshot
    from tui.sessions.worktrees import Base


@dataclass
class PhaseStart:
    session: Session
    prepared: PreparedPhase
    # The prompt as sent (the prepared one, or the user's edit of it).
    prompt: str
    warnings: list[str] = field(default_factory=list)


def agent_for(manager: SessionManager, prepared: PreparedPhase, agent: str | None = None) -> str:
    """The agent kind the phase runs with (`agent`, else the recipe's, else the default);
    `PhaseError` naming the recipe's setting when no such kind exists."""
    recipe = prepared.recipe
    name = agent or recipe.agent or manager.config.sessions.default_agent
    if name not in manager.kinds:
        where = "--agent" if agent else (f"[phases.{recipe.name}] agent" if recipe.agent
                                          else "[sessions] default_agent")
        raise PhaseError(f"{where} names agent kind '{name}', which loupe does not know; known: "
                         f"{', '.join(sorted(manager.kinds))} (add others as [agents.<name>])")
    return name


def contest_warning(manager: SessionManager, prepared: PreparedPhase,
                    snapshots: Sequence[Snapshot] | None = None) -> str | None:
    """The warning to show before starting, when a live session already writes the output."""
    if not prepared.recipe.output:
        return None
    found = manager.poll(set()) if snapshots is None else snapshots
    return start_warning(found, prepared.task.path, prepared.recipe.output)


def start_phase(manager: SessionManager, prepared: PreparedPhase, *, agent: str | None = None,
                prompt: str | None = None, anyway: bool = False, base: str | None = None,
                recorded_base: Base | None = None) -> PhaseStart:
    """Start the phase's session. Raises `Contested` when another live session writes the
    same artifact (unless `anyway`), `PhaseError` when its agent is unknown or not installed.
    `base` and `recorded_base` place a worktree phase's worktree (see `SessionManager.start`).
    """
    kind = agent_for(manager, prepared, agent)
    warning = contest_warning(manager, prepared)
    if warning and not anyway:
        raise Contested(warning)
    text = prepared.prompt if prompt is None else prompt
    if not text.strip():
        raise PhaseError("the prompt is empty; say what the agent should do")
    recipe = prepared.recipe
    try:
        result = manager.start(task=prepared.session_task, prompt=text, agent=kind,
                               task_dir=prepared.task.path, phase=recipe.name, output=recipe.output,
                               worktree=not prepared.in_place, base=base, recorded_base=recorded_base)
    except (AgentNotInstalled, UnknownAgent) as exc:
        setting = "--agent" if agent else f"[phases.{recipe.name}] agent"
        raise PhaseError(f"the {recipe.name} phase runs agent '{kind}': {exc}; or choose another "
                         f"kind with {setting}") from exc
    warnings = [*([warning] if warning else []), *prepared.warnings, *result.warnings]
    return PhaseStart(session=result.session, prepared=prepared, prompt=text, warnings=warnings)

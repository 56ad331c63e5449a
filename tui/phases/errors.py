"""What can stop a phase from running, each with a message that says what to do."""

from __future__ import annotations

from pathlib import Path

from tui.errors import LoupeError


class PhaseError(LoupeError):
    """A phase cannot be prepared or started; the message says why and what to do."""


class UnknownPhase(PhaseError):
    """No recipe has this name."""


class UnknownTask(PhaseError):
    """No task folder has this name."""


class MissingInput(PhaseError):
    """A file the phase reads does not exist (yet)."""

    def __init__(self, message: str, missing: list[str]) -> None:
        super().__init__(message)
        self.missing = missing


class TemplateError(PhaseError):
    """A prompt template cannot be used: unreadable, or a placeholder loupe does not know."""

    def __init__(self, message: str, file: Path | None = None, line: int | None = None,
                 placeholder: str = "") -> None:
        super().__init__(message)
        self.file = file
        self.line = line
        self.placeholder = placeholder


class Contested(PhaseError):
    """Another live session is already set to write the same artifact."""


class PlanError(PhaseError):
    """The plan cannot be run phase by phase (no plan, no `## Phase N` headings, a run in progress)."""

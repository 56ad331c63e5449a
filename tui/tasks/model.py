"""What the task list shows: tasks, their artifacts, and what changed since the user read them."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from pathlib import Path

# The workflow an agent follows on a task, in order. An artifact's phase comes from its front
# matter or from these words in its file name; the first word found wins, so
# "research-questions" is a questions artifact.
PHASES: tuple[str, ...] = ("questions", "research", "design", "outline", "plan", "implement")
PHASE_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("questions", ("question",)),
    ("research", ("research", "findings")),
    ("design", ("design", "discussion", "decision")),
    ("outline", ("outline", "structure")),
    ("plan", ("plan",)),
    ("implement", ("implement", "progress", "validation", "review")),
)
# A task with nothing but its ticket.
TICKET_PHASE = "ticket"


class Mark(enum.Enum):
    """Whether the user has seen an artifact as it is now."""

    READ = "read"
    # Never opened in loupe.
    NEW = "new"
    # Opened before, and the file changed since.
    CHANGED = "changed"


@dataclass(frozen=True)
class Artifact:
    path: Path
    # Path relative to the task folder, e.g. "03-design-discussion.md" or "notes/api.md".
    name: str
    # From the numeric prefix ("03-" -> 3); None for unnumbered files.
    number: int | None
    # Human label without number and extension: "design discussion".
    label: str
    phase: str | None
    mtime: float
    size: int
    mark: Mark = Mark.READ
    # Why the file cannot be shown normally (binary, not UTF-8, unreadable); None when fine.
    problem: str | None = None


@dataclass(frozen=True)
class Task:
    path: Path
    # The folder name, unique within the tasks folder.
    slug: str
    title: str
    phase: str | None
    status: str | None
    # Newest change among the task's artifacts (or the folder itself when it has none).
    updated: float
    artifacts: tuple[Artifact, ...] = field(default=())

    @property
    def mark(self) -> Mark:
        marks = {artifact.mark for artifact in self.artifacts}
        if Mark.CHANGED in marks:
            return Mark.CHANGED
        return Mark.NEW if Mark.NEW in marks else Mark.READ

    @property
    def ticket(self) -> Artifact | None:
        return next((a for a in self.artifacts if a.name.lower() == "ticket.md"), None)


@dataclass(frozen=True)
class ScanProblem:
    path: Path
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass(frozen=True)
class ScanResult:
    tasks_dir: Path
    tasks: tuple[Task, ...]
    problems: tuple[ScanProblem, ...] = ()
    # The tasks folder does not exist (yet): not an error, the list says how to start.
    missing: bool = False

"""Tasks and their artifacts, as folders and markdown files under the tasks folder.

Plain Python (no textual): discovery, creation and filtering, used by `tui/views/tasks.py`.
"""

from tui.tasks.create import TaskCreateError, create_task, slugify
from tui.tasks.discovery import TaskScanner
from tui.tasks.model import PHASES, Artifact, Mark, ScanProblem, ScanResult, Task

__all__ = [
    "PHASES",
    "Artifact",
    "Mark",
    "ScanProblem",
    "ScanResult",
    "Task",
    "TaskCreateError",
    "TaskScanner",
    "create_task",
    "slugify",
]

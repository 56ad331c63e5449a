"""Finding a task by name, or by the folder a command runs in."""

from __future__ import annotations

import os
from pathlib import Path

from tui.config import Config
from tui.phases.errors import UnknownTask
from tui.tasks.discovery import TaskScanner
from tui.tasks.model import Task


def tasks_dir(repo_root: Path, config: Config) -> Path:
    configured = Path(os.path.expanduser(config.general.tasks_dir))
    return configured if configured.is_absolute() else repo_root / configured


def find_task(folder: Path, name: str) -> Task:
    """The task `name` (its folder name, or a unique prefix of it) under the tasks folder."""
    tasks = TaskScanner(folder).scan().tasks
    exact = [t for t in tasks if t.slug == name]
    found = exact or [t for t in tasks if t.slug.startswith(name)]
    if len(found) == 1:
        return found[0]
    listing = ", ".join(sorted(t.slug for t in tasks)) or "none yet (loupe task new TITLE)"
    what = "matches several tasks" if found else "is not a task"
    raise UnknownTask(f"'{name}' {what} in {folder}; tasks: {listing}")


def task_at(folder: Path, cwd: Path) -> Task | None:
    """The task whose folder holds `cwd`, if any."""
    try:
        relative = cwd.resolve().relative_to(folder.resolve())
    except (ValueError, OSError):
        return None
    return find_task(folder, relative.parts[0]) if relative.parts else None

"""What `loupe task` (`tui.task_cli`) and its `run` (`tui.phases.run_cli`) share: the
repository, config and recipes a command works with, and how they print."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tui import cli_output as out
from tui.errors import UsageError

if TYPE_CHECKING:
    from tui.config import Config
    from tui.phases.recipes import Recipe
    from tui.sessions.manager import SessionManager
    from tui.tasks.model import Task

@dataclass
class Context:
    root: Path
    config: Config
    tasks_dir: Path
    recipes: dict[str, Recipe]
    _manager: SessionManager | None = None

    @property
    def manager(self) -> SessionManager:
        if self._manager is None:
            from tui.sessions.manager import SessionManager

            self._manager = SessionManager(self.root, self.config)
            for problem in self._manager.kind_problems:
                out.error(f"loupe: config: {problem}")
        return self._manager

    def task(self, name: str | None) -> Task:
        from tui.phases.lookup import find_task, task_at

        if name:
            return find_task(self.tasks_dir, name)
        found = task_at(self.tasks_dir, Path.cwd())
        if found is None:
            raise UsageError(f"name the task (run this in a task's folder, or give it; `loupe task "
                             f"list` shows them, in {self.tasks_dir})")
        return found


def print_json(value: Any) -> None:
    out.print_json(value)  # every control escaped, DEL and C1 too (`tui.cli_output`)

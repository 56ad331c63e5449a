"""The workspace loupe opens: a repository (or plain folder), its config and its data folder."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from tui import config as config_module
from tui import locations
from tui.config import Config, ConfigProblem
from tui.errors import LoupeError


class WorkspaceError(LoupeError):
    """The path given to loupe cannot be opened (missing, not readable, not a folder or file)."""


@dataclass
class Workspace:
    root: Path
    config: Config
    config_problems: list[ConfigProblem] = field(default_factory=list)
    # A file named on the command line (`loupe FILE.md`), shown in a pane at start.
    open_file: Path | None = None
    is_demo: bool = False

    @property
    def tasks_dir(self) -> Path:
        configured = Path(os.path.expanduser(self.config.general.tasks_dir))
        return configured if configured.is_absolute() else self.root / configured

    @property
    def data_dir(self) -> Path:
        return locations.repo_data_dir(self.root)

    @property
    def is_git(self) -> bool:
        return find_repo_root(self.root) is not None


def find_repo_root(start: Path) -> Path | None:
    """The top of the git working tree containing `start`, without importing pygit2."""
    current = start.resolve()
    for candidate in (current, *current.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def open_workspace(path: Path | None = None, *, is_demo: bool = False) -> Workspace:
    """Resolve what the user asked to open.

    A folder opens the repository containing it (or the folder itself outside git); a file
    opens its repository with the file shown. Raises `WorkspaceError` with a message fit for
    stderr when the path cannot be used.
    """
    target = (path or Path.cwd()).expanduser()
    if not target.exists():
        raise WorkspaceError(f"{target}: no such file or folder")
    try:
        target = target.resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        raise WorkspaceError(f"{target}: cannot resolve the path ({exc})") from exc
    open_file: Path | None = None
    if target.is_file():
        if not os.access(target, os.R_OK):
            raise WorkspaceError(f"{target}: permission denied (cannot read the file)")
        open_file = target
        folder = target.parent
    elif target.is_dir():
        folder = target
    else:
        raise WorkspaceError(f"{target}: not a regular file or folder")
    if not os.access(folder, os.R_OK | os.X_OK):
        raise WorkspaceError(f"{folder}: permission denied (cannot list the folder)")
    root = find_repo_root(folder) or folder
    loaded = config_module.load(root)
    return Workspace(
        root=root,
        config=loaded.config,
        config_problems=loaded.problems,
        open_file=open_file,
        is_demo=is_demo,
    )

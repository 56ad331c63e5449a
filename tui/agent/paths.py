"""Confinement: every path a tool touches stays inside the agent's working directory.

A path is resolved the way the kernel would follow it (symlinks included, as far as the path
exists) and must land inside the resolved working directory. So `../x`, an absolute path
elsewhere, and a symlink inside the tree that points out are all refused before any I/O.
"""

from __future__ import annotations

import os
from pathlib import Path

from tui.agent.errors import PathEscapeError, ToolError


class Workspace:
    """The folder the agent works in, and the only place its tools may read or write."""

    def __init__(self, root: Path) -> None:
        self.root = Path(os.path.realpath(root))

    def resolve(self, path: str | os.PathLike[str], *, must_exist: bool = False) -> Path:
        """The real absolute path of `path` (relative to the root), or PathEscapeError.

        The returned path has every symlink resolved, so the caller can open it without the
        target changing under a later check.
        """
        raw = os.fspath(path)
        if not raw or not raw.strip():
            raise ToolError("the path is empty; give a path relative to the working directory")
        if "\x00" in raw:
            raise ToolError(f"the path {raw!r} contains a NUL byte")
        candidate = Path(raw).expanduser()
        if not candidate.is_absolute():
            candidate = self.root / candidate
        real = Path(os.path.realpath(candidate))
        if not self.contains(real):
            through = " through a symlink" if _lexically_inside(candidate, self.root) else ""
            raise PathEscapeError(
                f"{raw} is outside the working directory {self.root}{through}; "
                "only paths inside it can be used"
            )
        if must_exist and not os.path.lexists(real):
            raise ToolError(f"{raw} does not exist")
        return real

    def contains(self, real: Path) -> bool:
        return real == self.root or self.root in real.parents

    def relative(self, real: Path) -> str:
        """How to show a resolved path to the model and the user."""
        if real == self.root:
            return "."
        try:
            return real.relative_to(self.root).as_posix()
        except ValueError:
            return str(real)


def _lexically_inside(candidate: Path, root: Path) -> bool:
    normal = Path(os.path.normpath(candidate))
    return normal == root or root in normal.parents

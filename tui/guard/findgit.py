"""Find the real git on PATH, never the guard's own shim.

A guard whose "real git" is itself calls itself forever, and PATH can hold the shim in more
than one disguise: its own folder (possibly twice), a symlink to it, or a copy. Each PATH
entry's `git` is resolved through symlinks and skipped if it is a guard (it carries the
marker in its first bytes) or lies in an excluded folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from tui.errors import LoupeError
from tui.guard.settings import MARKER

_SNIFF_BYTES = 4096


class GitNotFoundError(LoupeError):
    """No usable git on PATH."""


def is_guard_file(path: str) -> bool:
    try:
        with open(path, "rb") as handle:
            return MARKER.encode() in handle.read(_SNIFF_BYTES)
    except OSError:
        return False


def find_real_git(path_env: str | None = None, *, exclude: Iterable[Path] = ()) -> Path:
    """The first `git` on PATH that is an executable file and not a guard.

    Relative PATH entries (including empty ones, which mean the current folder) are skipped:
    a git picked from wherever the agent happens to be standing is not one to trust.
    """
    search = os.environ.get("PATH", os.defpath) if path_env is None else path_env
    excluded = [os.path.realpath(folder) + os.sep for folder in exclude]
    looked: list[str] = []
    for entry in search.split(os.pathsep):
        if not entry or not os.path.isabs(entry):
            continue
        looked.append(entry)
        resolved = os.path.realpath(os.path.join(entry, "git"))
        if not (os.path.isfile(resolved) and os.access(resolved, os.X_OK)):
            continue
        if any(resolved.startswith(folder) for folder in excluded) or is_guard_file(resolved):
            continue
        return Path(resolved)
    where = ", ".join(looked) or "(PATH is empty)"
    raise GitNotFoundError(f"no git found on PATH (looked in {where}); install git or add it to PATH")

"""Keep the guard's `git` first on PATH in shells whose startup files reset PATH.

Codex runs every command with `bash -lc`, which reads /etc/profile and ~/.bash_profile, and
Debian's /etc/profile sets PATH from scratch: the shim is gone. But a non-interactive bash
reads $BASH_ENV after those profiles (even as a login shell), and an interactive sh reads
$ENV after its own. A session points both at a guard file that puts the shim's folder back
first and then runs the file the user had set, if any.

Shells that read neither keep the reset PATH: `sh -lc`, an interactive `bash -l`, zsh
(whose /etc/zprofile reorders PATH on macOS). There the worktree's own config still sends
every push through the guard's check (see `worktree_config`); this layer only keeps the
shim's extra checks (`--no-verify`, `--mirror`, `send-pack`) in more places.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from tui.guard.findgit import is_guard_file

# Each variable a shell reads a startup file from, and where the user's own value is kept.
STARTUP_VARIABLES = {"BASH_ENV": "LOUPE_USER_BASH_ENV", "ENV": "LOUPE_USER_ENV"}


def startup_file(guard_bin: Path, variable: str) -> Path:
    """The file an install writes for `variable` (a key of STARTUP_VARIABLES)."""
    return guard_bin.parent / "startup" / variable.lower()


def startup_env(guard_bin: Path, env: Mapping[str, str]) -> dict[str, str]:
    """The variables to add to a session's environment `env`, whose PATH starts with
    `guard_bin`: BASH_ENV and ENV pointing at the guard's startup files, and the user's own
    values of them, which those files run in turn."""
    added: dict[str, str] = {}
    for variable, saved in STARTUP_VARIABLES.items():
        current = env.get(variable, "")
        # loupe started from inside a session: its value is a guard's, the user's is saved.
        added[saved] = env.get(saved, "") if current and is_guard_file(current) else current
        added[variable] = str(startup_file(guard_bin, variable))
    return added

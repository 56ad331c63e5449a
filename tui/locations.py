"""Where loupe keeps its config and its data.

One place decides every path, so tests (and users) can move all of them with environment
variables: `LOUPE_CONFIG_DIR` and `LOUPE_DATA_DIR` win over the XDG variables.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

APP_NAME = "loupe"


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var, "")
    # The XDG spec says relative values are invalid and must be ignored.
    if value and os.path.isabs(value):
        return Path(value)
    return Path.home() / fallback


def config_dir() -> Path:
    """The user's config folder: `$LOUPE_CONFIG_DIR` or `$XDG_CONFIG_HOME/loupe`."""
    override = os.environ.get("LOUPE_CONFIG_DIR")
    if override:
        return Path(override)
    return _xdg("XDG_CONFIG_HOME", ".config") / APP_NAME


def data_dir() -> Path:
    """The user's data folder: `$LOUPE_DATA_DIR` or `$XDG_DATA_HOME/loupe`."""
    override = os.environ.get("LOUPE_DATA_DIR")
    if override:
        return Path(override)
    return _xdg("XDG_DATA_HOME", ".local/share") / APP_NAME


def runtime_dir() -> Path:
    """Sockets and other files that live as long as the machine is up: `$LOUPE_RUNTIME_DIR`,
    else `$XDG_RUNTIME_DIR/loupe`, else `/tmp/loupe-<uid>`.

    Kept short on purpose: a Unix socket's path must fit in about 100 bytes, so the data
    folder (often deep under the home folder) is no place for ssh's control sockets.
    """
    override = os.environ.get("LOUPE_RUNTIME_DIR")
    if override:
        return Path(override)
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime and os.path.isabs(runtime):
        return Path(runtime) / APP_NAME
    return Path("/tmp") / f"{APP_NAME}-{os.getuid()}"


def user_config_file() -> Path:
    return config_dir() / "config.toml"


def repo_config_file(repo_root: Path) -> Path:
    return repo_root / ".loupe" / "config.toml"


def repo_data_dir(repo_root: Path) -> Path:
    """Per-repository data (snapshots, worktrees), keyed by the repo's absolute path.

    The folder name keeps the repo's basename for humans and a hash so that two repos with
    the same name never share state.
    """
    resolved = str(repo_root.resolve())
    digest = hashlib.sha256(resolved.encode()).hexdigest()[:12]
    return data_dir() / "repos" / f"{repo_root.resolve().name}-{digest}"


def demo_dir() -> Path:
    return data_dir() / "demo"


def loupe_command() -> list[str]:
    """The argv that runs this same loupe, for agents, hooks and tmux windows.

    It uses this interpreter by absolute path so that it works inside tmux, whose PATH is
    the server's, not ours. `-P` keeps the current folder off sys.path: agents run it from
    their worktree, and a worktree of loupe itself has its own (different) `tui` package.
    """
    return [sys.executable, "-P", "-m", "tui"]

"""Running the git command line for the sessions domain, with a timeout and clear errors."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tui.sessions.errors import WorktreeError

GIT_TIMEOUT = 60.0


def run_git(cwd: Path, *args: str, env: dict[str, str] | None = None, check: bool = True,
            input: str | None = None) -> subprocess.CompletedProcess[str]:
    try:
        result = subprocess.run(
            ["git", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=GIT_TIMEOUT,
            input=input,
        )
    except subprocess.TimeoutExpired as exc:
        raise WorktreeError(f"git {args[0]} took longer than {GIT_TIMEOUT:g}s in {cwd}") from exc
    except FileNotFoundError as exc:
        raise WorktreeError("git is not installed or not on PATH") from exc
    if check and result.returncode != 0:
        raise WorktreeError(f"git {args[0]} failed in {cwd}: {result.stderr.strip()}")
    return result

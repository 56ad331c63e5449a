"""The guard's second layer: a session's worktree carries its own pre-push protection.

The PATH shim guards only the `git` found on PATH. `/usr/bin/git`, a login shell whose
profile reset PATH (`bash -lc` on Debian) and `env -i` never meet it. So each session's
worktree also gets, in git's worktree-scoped config (`<its git dir>/config.worktree`, read
when `extensions.worktreeConfig` is on):

- `core.hooksPath` = the guard's hooks folder: any git binary then runs the guard's pre-push
  check, which forwards every hook to the repository's own hooks as under the shim;
- `loupe.session` = the session id, so a refusal is audited with its session even when git
  ran with no environment at all.

Only that linked worktree reads this file: the user's main checkout and their own worktrees
are untouched, and removing the worktree (git's prune) removes the file with it. What stays
is `extensions.worktreeConfig = true` in the shared config, which git itself recommends for
per-worktree settings (git-worktree(1), CONFIGURATION FILE).
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

from tui.errors import LoupeError
from tui.guard.findgit import find_real_git
from tui.guard.refusal import SESSION_KEY
from tui.guard.settings import MARKER

HOOKS_KEY = "core.hooksPath"
EXTENSION_KEY = "extensions.worktreeConfig"
# These name another place for the repository; `git -C <worktree>` must mean that worktree.
_REDIRECTING = ("GIT_DIR", "GIT_WORK_TREE", "GIT_COMMON_DIR", "GIT_INDEX_FILE")
# Two sessions starting at once may both find the extension off; git's config lock lets
# only one write at a time, and the loser retries.
_LOCK_RETRIES = 50
_enabling = threading.Lock()


class GuardWorktreeError(LoupeError):
    """The worktree could not be given the guard's own protection."""


def protect_worktree(worktree: Path, hooks_dir: Path, session_id: str) -> None:
    """Point `worktree`'s own git config at the guard's hooks and name its session.

    Raises GuardWorktreeError for the main checkout (the user's own pushes are not the
    guard's business), a folder that is not a guard's hooks, or a git that ignores
    per-worktree config.
    """
    if not (hooks_dir / f".{MARKER}").is_file():
        raise GuardWorktreeError(f"{hooks_dir} is not a git guard's hooks folder; reinstall the guard")
    git = str(find_real_git())
    listed = _git(git, worktree, "rev-parse", "--absolute-git-dir", "--git-common-dir").splitlines()
    if len(listed) != 2:
        raise GuardWorktreeError(f"git rev-parse gave no git folders for {worktree}")
    git_dir = Path(listed[0]).resolve()
    common_dir = (worktree / listed[1]).resolve()
    if git_dir == common_dir:
        raise GuardWorktreeError(
            f"{worktree} is the repository's main checkout; the guard's hooks go only into a "
            "session's own worktree"
        )
    enable_worktree_config(git, common_dir)
    own = str(git_dir / "config.worktree")
    _git(git, worktree, "config", "--file", own, HOOKS_KEY, str(hooks_dir))
    _git(git, worktree, "config", "--file", own, SESSION_KEY, session_id)
    seen = _git(git, worktree, "config", "--get", HOOKS_KEY, check=False).strip()
    if seen != str(hooks_dir):
        raise GuardWorktreeError(
            f"git in {worktree} does not use the worktree's own config (core.hooksPath is "
            f"{seen or 'unset'}), so a force push by absolute path or from a login shell is not "
            "blocked there (git 2.20 or newer reads per-worktree config)"
        )


def enable_worktree_config(git: str, common_dir: Path) -> None:
    """Turn on extensions.worktreeConfig in the repository at `common_dir`, as git's own
    sparse-checkout does (worktree.c, init_worktree_config).

    Without the extension, core.bare and core.worktree in the shared config apply only to
    the main checkout; with it, every worktree reads them. So `core.bare = true` (a bare
    repository with worktrees) and `core.worktree` move to the main checkout's own
    config.worktree first. They are copied, removed, and only then is the extension turned
    on, so a linked worktree never reads them (the main checkout misses them only for the
    instant between removing one and turning the extension on).
    repositoryformatversion is left as it is: git honours the extension at version 0 too,
    and tools that refuse version 1 keep opening the repository.
    """
    shared = str(common_dir / "config")
    with _enabling:
        if _get(git, common_dir, shared, EXTENSION_KEY, "--type=bool") == "true":
            return
        main_own = str(common_dir / "config.worktree")
        if _get(git, common_dir, shared, "core.bare", "--type=bool") == "true":
            _set(git, common_dir, main_own, "core.bare", "true")
            _set(git, common_dir, shared, "--unset", "core.bare")
        worktree_setting = _get(git, common_dir, shared, "core.worktree")
        if worktree_setting is not None:  # relative to the git folder, which both files are in
            _set(git, common_dir, main_own, "core.worktree", worktree_setting)
            _set(git, common_dir, shared, "--unset", "core.worktree")
        _set(git, common_dir, shared, EXTENSION_KEY, "true")


def _get(git: str, cwd: Path, file: str, key: str, *options: str) -> str | None:
    result = _run(git, cwd, "config", "--file", file, *options, "--get", key)
    if result.returncode == 1:
        return None
    if result.returncode != 0:
        raise GuardWorktreeError(f"cannot read {key} from {file}: {result.stderr.strip()}")
    return result.stdout.rstrip("\n")


def _set(git: str, cwd: Path, file: str, *words: str) -> None:
    for _attempt in range(_LOCK_RETRIES):
        result = _run(git, cwd, "config", "--file", file, *words)
        if result.returncode == 0 or "could not lock" not in result.stderr:
            break
        time.sleep(0.02)  # another loupe is writing the same file
    if result.returncode == 5 and words[0] == "--unset":
        return  # already gone: another loupe moved it first
    if result.returncode != 0:
        raise GuardWorktreeError(f"cannot write {' '.join(words)} to {file}: {result.stderr.strip()}")


def _git(git: str, cwd: Path, *args: str, check: bool = True) -> str:
    result = _run(git, cwd, *args)
    if check and result.returncode != 0:
        raise GuardWorktreeError(f"git {' '.join(args[:2])} failed in {cwd}: {result.stderr.strip()}")
    return result.stdout


def _run(git: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key not in _REDIRECTING}
    try:
        return subprocess.run(
            [git, "-C", str(cwd), *args], capture_output=True, text=True, env=env, timeout=30
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise GuardWorktreeError(f"cannot run {git} in {cwd}: {exc}") from exc

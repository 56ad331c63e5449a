"""Starting a session's window on this machine, and taking back a start that failed."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from tui.sessions import environment, hooks, output_log, worktrees
from tui.sessions.errors import SessionError
from tui.sessions.host import Launch, Launched
from tui.sessions.local_files import session_files
from tui.sessions.model import Session
from tui.sessions.tmux import Tmux

# The window's wrapper reads (and deletes) its environment file within this many seconds.
ENV_READ_WITHIN = 10.0


def launch(root: Path, tmux: Tmux, session: Session, spec: Launch) -> Launched:
    """The worktree's own guard and the files first (included files, hooks, wrapper, private
    environment), then the window, its output log, and last the go signal the wrapper waits
    for."""
    result = Launched()
    if not session.in_place:
        # A session in place works in the main checkout, which the worktree layer never
        # guards (the user's own pushes); the PATH shim still does.
        result.warnings += environment.guard_worktree(session, spec.guard_dir)
    files = session_files(session.id)
    # A folder an earlier session with this id left (a crash) must not lend it its status.
    if files.folder.exists() and session.id.isalnum():
        shutil.rmtree(files.folder, ignore_errors=True)
    environment.private_folder(session)
    if not session.in_place:
        # A task folder of the main checkout has the files `.worktreeinclude` names already.
        result.copied = environment.copy_included_files(root, session.worktree)
    if spec.claude_hook:
        worktrees.exclude_generated_files(root)
        hooks.install_claude_hooks(session.worktree, list(spec.claude_hook))
    if spec.opencode_hook:
        worktrees.exclude_generated_files(root)
        hooks.install_opencode_plugin(session.worktree, list(spec.opencode_hook))
    setup = _setup_script(root, session.worktree, spec.setup_script, result.warnings)
    script = environment.write_run_script(session, command=spec.command, tmux_binary=tmux.binary,
                                          setup_script=setup)
    environment.write_env_file(session, dict(spec.env))
    tmux.new_session(session.tmux_session, f"sh {script}", cwd=session.worktree, size=spec.size)
    tmux.set_option(session.tmux_session, "remain-on-exit", "on", window=True)
    if spec.status_line:
        tmux.set_option(session.tmux_session, "status-right", spec.status_line)
    if (problem := output_log.start(tmux, session)) is not None:
        result.warnings.append(problem)
    tmux.signal_channel(environment.go_channel(session))
    if not _wait_gone(files.env_file, ENV_READ_WITHIN):
        # The window never read it (tmux or sh failed): the wrapper, if it ever runs,
        # stops with a clear message rather than run the agent without its environment.
        files.env_file.unlink(missing_ok=True)
        result.warnings.append(
            f"the session's window did not start within {ENV_READ_WITHIN:g}s; "
            "it will stop without running the agent")
    return result


def _setup_script(root: Path, worktree: Path, setting: str, warnings: list[str]) -> str:
    if not setting:
        return ""
    if (worktree / setting).is_file():
        return setting
    if (root / setting).is_file():
        return str(root / setting)
    warnings.append(f"setup script {setting} not found; skipped")
    return ""


def _wait_gone(path: Path, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while path.exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def discard(root: Path, tmux: Tmux, session: Session) -> None:
    """Take back a start that failed half way; the new branch has no work on it yet. A
    session that runs in place has no worktree or branch, and its folder is the user's."""
    try:
        tmux.kill_session(session.tmux_session)
    except SessionError:
        pass
    if not session.in_place:
        try:
            worktrees.delete_worktree(session)
            repo = worktrees.open_repo(root)
            branch = repo.lookup_branch(session.branch)
            if branch is not None and str(branch.target) == session.base_commit:
                branch.delete()
        except SessionError:
            pass
    if session.id.isalnum():
        shutil.rmtree(session_files(session.id).folder, ignore_errors=True)

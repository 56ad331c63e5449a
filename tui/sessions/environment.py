"""Everything a session's agent finds around it when it starts.

- the git guard: first on PATH (through `guard_bin_dir`), kept there by login shells
  (`BASH_ENV`, `ENV`), and in the worktree's own git config (`guard_worktree`), which any
  git honours;
- `LOUPE_SESSION`, `LOUPE_STATUS_FILE`, its own block of ports (`PORT`, `LOUPE_PORT_BASE`);
- files listed in the repository's `.worktreeinclude` (such as `.env`) copied in;
- the window's wrapper script, which loads the environment, waits until output logging is
  on, runs the optional setup script, runs the agent, and records its exit code in the
  status file.

The environment (which holds the user's API keys) never goes on a command line, where any
local user could read it in `ps`: it is written to a file only its owner can read, in the
session's private folder, which the wrapper sources and deletes before anything else.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from tui import locations, private_files
from tui.errors import LoupeError
from tui.sessions.local_files import session_files
from tui.sessions.model import Session
from tui.sessions.status_file import ENV_VAR as STATUS_ENV
from tui.sessions.worktrees import run_git

INCLUDE_FILE = ".worktreeinclude"
# Names a POSIX shell can export; others (bash's exported functions) cannot be passed on.
_SHELL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Would change how the wrapper itself parses its lines.
_NOT_EXPORTED = {"IFS"}
# Variables that describe loupe's own terminal; tmux sets the pane's own.
_DROP = {"TMUX", "TMUX_PANE", "COLUMNS", "LINES", "TERM", "TERM_PROGRAM", "TERM_PROGRAM_VERSION",
         "TEXTUAL", "TEXTUAL_DRIVER"}


@dataclass
class Preparation:
    env: dict[str, str]
    copied: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    guard_dir: Path | None = None


def guard_bin_dir() -> Path:
    """The folder holding the git guard's `git` shim, to put first on an agent's PATH.

    Raises `LoupeError` with a readable message when the guard is unavailable; callers
    start the session anyway and show the message, because an agent without the guard is
    still useful, just less safe.
    """
    try:
        from tui.guard.install import install
    except ImportError as exc:
        raise LoupeError(
            "the git guard is not available in this loupe, so force pushes from agents are "
            "not blocked"
        ) from exc
    return install(locations.data_dir() / "guard")


def guard_worktree(session: Session, guard_dir: Path | None) -> list[str]:
    """Give the session's worktree the guard's own pre-push protection, which holds for git
    by absolute path and under a reset PATH too; returns warnings when it could not."""
    if guard_dir is None:
        return []  # the guard is unavailable, and session_env has said so
    from tui.guard.install import hooks_folder
    from tui.guard.worktree_config import protect_worktree

    try:
        protect_worktree(session.worktree, hooks_folder(guard_dir), session.id)
    except LoupeError as exc:
        return [f"{exc}; only the PATH shim guards this session"]
    return []


def session_env(session: Session, base_env: dict[str, str] | None = None) -> Preparation:
    env = {k: v for k, v in (base_env if base_env is not None else os.environ).items()
           if k not in _DROP}
    prep = Preparation(env=env)
    try:
        prep.guard_dir = guard_bin_dir()
    except LoupeError as exc:
        prep.warnings.append(str(exc))
    path = env.get("PATH", os.defpath)
    if prep.guard_dir is not None:
        path = f"{prep.guard_dir}{os.pathsep}{path}"
        from tui.guard.login_shells import startup_env

        env.update(startup_env(prep.guard_dir, env))  # BASH_ENV, ENV: PATH after a login profile
    env.update(
        PATH=path,
        LOUPE_SESSION=session.id,
        LOUPE_SESSION_NUMBER=str(session.number),
        LOUPE_REPO=str(session.repo),
        LOUPE_WORKTREE=str(session.worktree),
        LOUPE_TASK=session.task,
        PORT=str(session.port_base),
        LOUPE_PORT_BASE=str(session.port_base),
        LOUPE_PORT_COUNT=str(len(session.ports)),
    )
    env[STATUS_ENV] = str(session_files(session.id).status_file)
    if session.task_dir is not None:
        env["LOUPE_TASK_DIR"] = str(session.task_dir)
    return prep


def copy_included_files(repo_root: Path, worktree: Path) -> list[str]:
    """Copy the untracked files `.worktreeinclude` names (gitignore syntax) into the worktree.

    git lists the matches, with gitignore's rules, so the patterns mean what they mean in
    `.gitignore`. Files already in the worktree (tracked ones) are never overwritten.
    """
    include = repo_root / INCLUDE_FILE
    if not include.is_file():
        return []
    listed = run_git(repo_root, "ls-files", "--others", "--ignored", "-z",
                     f"--exclude-from={include}").stdout
    copied = []
    for relative in sorted(p for p in listed.split("\0") if p):
        source = repo_root / relative
        target = worktree / relative
        if target.exists() or target.is_symlink() or ".." in Path(relative).parts:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():
            target.symlink_to(os.readlink(source))
        elif source.is_file():
            shutil.copy2(source, target)
        else:
            continue
        copied.append(relative)
    return copied


def private_folder(session: Session) -> Path:
    """The session's folder, readable by its owner only (it holds the environment and logs)."""
    folder = session_files(session.id).folder
    if private_files.in_data_dir(folder):
        private_files.data_dir()
        private_files.private_dir(folder.parent)
    return private_files.private_dir(folder)


def write_env_file(session: Session, env: dict[str, str]) -> Path:
    """Write `env` as `export` lines to a new 0600 file for the run script to source.

    Created with O_EXCL and 0600 from the start, so there is no moment when another user
    could open it; a leftover from an earlier attempt is replaced, never followed.
    """
    private_folder(session)
    path = session_files(session.id).env_file
    path.unlink(missing_ok=True)
    lines = [f"export {key}={shlex.quote(value)}" for key, value in sorted(env.items())
             if _SHELL_NAME.match(key) and key not in _NOT_EXPORTED]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return path


def go_channel(session: Session) -> str:
    return f"loupe-go-{session.id}"


def write_run_script(session: Session, *, command: str, tmux_binary: str, setup_script: str) -> Path:
    """The wrapper the tmux window runs. See the module docstring for what it does."""
    q = shlex.quote
    files = session_files(session.id)
    status = q(str(files.status_file))
    env_file = q(str(files.env_file))
    lines = [
        "#!/bin/sh",
        f"# loupe session {session.id} ({session.agent}: {session.task}); written by loupe.",
        'record_exit() {',
        f'    tmp={status}.$$',
        # umask in a subshell: the file is private, the agent keeps the user's umask.
        "    (umask 077 && printf '{\"state\": \"exited\", \"event\": \"exit\", \"source\": \"loupe-wrapper\", "
        "\"time\": %s, \"exit_code\": %s, \"detail\": \"%s\"}\\n' "
        f"\"$(date +%s)\" \"$1\" \"$2\" > \"$tmp\") && mv -f \"$tmp\" {status}",
        "}",
        # First of all, so the secrets in it stay on disk for as short a time as possible.
        # It also sets PATH (guard first): tmux gives new panes the PATH of the client that
        # asked, whatever the session's environment says.
        f"if [ ! -f {env_file} ]; then",
        "    echo 'loupe: the session environment file is missing; the agent was not started.'",
        "    record_exit 1 'environment file missing'",
        "    exit 1",
        "fi",
        f". {env_file}",
        f"rm -f {env_file}",
        # A no-op trap (not an ignore) so signals still reach the agent, which is reset to
        # the defaults, while this wrapper survives to record how the agent ended.
        "trap ':' HUP INT QUIT TERM",
        # Output logging (pipe-pane) is switched on before loupe sends this signal, so the log
        # misses nothing.
        f"{q(tmux_binary)} wait-for {q(go_channel(session))}",
        # tmux gives every pane TMUX (its server's socket) and TMUX_PANE: with them a plain
        # `tmux new-window` from the agent would run on loupe's server, outliving stop.
        "unset TMUX TMUX_PANE",
        f"cd {q(str(session.worktree))} || {{ record_exit 1 'worktree missing'; exit 1; }}",
    ]
    if setup_script:
        script = q(setup_script if setup_script.startswith("/") else f"./{setup_script}")
        lines += [
            f"echo 'loupe: running the setup script {setup_script}'",
            f"if [ -x {script} ]; then {script}; else sh {script}; fi",
            "code=$?",
            'if [ "$code" -ne 0 ]; then',
            "    echo \"loupe: the setup script failed (exit $code); the agent was not started.\"",
            '    record_exit "$code" "setup script failed"',
            '    exit "$code"',
            "fi",
        ]
    lines += [
        command,
        "code=$?",
        'record_exit "$code" ""',
        'exit "$code"',
        "",
    ]
    path = files.run_script
    private_folder(session)
    path.write_text("\n".join(lines), encoding="utf-8")
    path.chmod(0o700)
    return path

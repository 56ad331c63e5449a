"""What the guard says when it refuses, and the audit line it appends.

The message is read by a coding agent, so it says what was refused (ref by ref), why, what to
do instead, and that other spellings will not get through: agents that are only told "no"
tend to try `--force-with-lease`, `+refspec`, `--no-verify` and aliases next.

Standard library only: copied into each guard install.
"""

from __future__ import annotations

import os
import sys
import time

from .credentials import hide_url_credentials

# Environment the guard sets for what git runs, so a refusal in the pre-push hook or in a
# nested git (alias, rebase --exec) can name both the command refused and the one the agent
# typed: OUTER_ENV and CWD_ENV are set once, by the outermost guarded git; COMMAND_ENV by each.
COMMAND_ENV = "LOUPE_GUARD_COMMAND"
OUTER_ENV = "LOUPE_GUARD_OUTER_COMMAND"
CWD_ENV = "LOUPE_GUARD_CWD"
SESSION_ENV = "LOUPE_SESSION"
# Written into a session worktree's own git config by worktree_config.protect_worktree.
SESSION_KEY = "loupe.session"
_SEPARATOR = "\x1f"  # ASCII unit separator: never part of a real argument


class RefProblem:
    """One ref update the guard refuses."""

    __slots__ = ("ref", "change", "old", "new")

    def __init__(self, ref: str, change: str, old: str = "", new: str = "") -> None:
        self.ref = ref
        self.change = change  # a key of CHANGE_TEXT
        self.old = old
        self.new = new

    def describe(self) -> str:
        text = CHANGE_TEXT.get(self.change, self.change)
        if self.change == "non-fast-forward":
            return f"{self.ref}: non-fast-forward {self.old[:12]} -> {self.new[:12]} ({text})"
        return f"{self.ref}: {text}"

    def to_json(self) -> dict[str, str]:
        return {"ref": self.ref, "change": self.change, "old": self.old, "new": self.new}


CHANGE_TEXT = {
    "delete": "deletes the remote ref",
    "tag-move": "moves an existing tag",
    "non-fast-forward": "commits on the remote would be lost",
    "unknown-remote-commit": (
        "the remote has a commit you have not fetched, so forcing would discard work you have never seen"
    ),
    "not-a-commit": "replaces a remote ref that does not point to a commit",
}


def encode_command(argv: list[str]) -> str:
    return _SEPARATOR.join(argv)


def decode_command(value: str) -> list[str]:
    return value.split(_SEPARATOR) if value else []


def shell_words(argv: list[str]) -> str:
    """argv as one readable line (quoted only where needed)."""
    safe = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%+=:,./-_^~")
    out = []
    for word in argv:
        if word and all(char in safe for char in word):
            out.append(word)
        else:
            out.append("'" + word.replace("'", "'\\''") + "'")
    return " ".join(out)


def message(command: list[str], reason: str, problems: list[RefProblem], outer: list[str] | None = None) -> str:
    inside = f" (run by `{shell_words(outer)}`)" if outer and outer != command else ""
    lines = [f"loupe guard: refused `{shell_words(command)}`{inside}."]
    if problems:
        lines.append("Refused ref updates:")
        lines += [f"  - {problem.describe()}" for problem in problems]
    lines += [
        f"Reason: {reason}",
        "Agents may not rewrite or delete remote history: no force pushes, no deleted remote",
        "branches or tags, no moved tags.",
        "Do this instead:",
        "  - integrate the remote's work, then push without force:",
        "      git fetch origin && git rebase origin/<branch>   (or: git merge origin/<branch>)",
        "      git push origin <branch>",
        "  - or push your work to a new branch: git push origin HEAD:refs/heads/<new-branch>",
        "  - or stop and ask the human to do it.",
        "Other flags and spellings (--force-with-lease, +refspecs, --no-verify, --mirror, aliases,",
        "-c or environment config, plumbing) are checked the same way and will not get past it.",
    ]
    return "\n".join(lines) + "\n"


def session_name(real_git: str, git_globals: list[str] | None = None) -> str | None:
    """The session a refusal belongs to: LOUPE_SESSION, else the worktree's own
    `loupe.session`, which is there even for a git started with `env -i`."""
    name = os.environ.get(SESSION_ENV)
    if name:
        return name
    from .spawn import capture

    try:
        code, out = capture([real_git, *(git_globals or []), "config", "--get", SESSION_KEY])
    except OSError:
        return None
    value = out.decode(errors="replace").strip()
    return value if code == 0 and value else None


def refuse(
    audit_log: str,
    command: list[str],
    reason: str,
    problems: list[RefProblem] | None = None,
    remote: str | None = None,
    what: str = "",
    session: str | None = None,
) -> int:
    """Tell the agent, record the refusal, and return git's failure exit code (1).

    The audit line's "command" is what the agent typed; "refused" is the git command the
    guard stopped, which differs when that one ran nested (an alias, rebase --exec).
    `session` defaults to LOUPE_SESSION (see `session_name`).
    """
    problems = problems or []
    outer = decode_command(os.environ.get(OUTER_ENV, "")) or command
    # A push URL may carry a token (https://user:token@host): never echoed, never logged.
    command, outer = _hidden(command), _hidden(outer)
    reason = hide_url_credentials(reason)
    remote = hide_url_credentials(remote) if remote else remote
    sys.stderr.write(message(command, reason, problems, outer))
    record = {
        "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "session": session or os.environ.get(SESSION_ENV) or None,
        "directory": os.environ.get(CWD_ENV) or _cwd(),
        "command": outer,
        "refused": command,
        "remote": remote,
        "refs": [problem.to_json() for problem in problems],
        "reason": reason,
        "what": what,
    }
    try:
        append(audit_log, record)
    except OSError as exc:
        sys.stderr.write(f"loupe guard: could not write the audit log {audit_log}: {exc}\n")
    return 1


def append(path: str, record: dict[str, object]) -> None:
    """One JSON line, written with a single O_APPEND write so concurrent guards never
    interleave their lines."""
    import json

    data = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def _hidden(argv: list[str]) -> list[str]:
    return [hide_url_credentials(word) for word in argv]


def _cwd() -> str:
    try:
        return os.getcwd()
    except OSError:
        return ""

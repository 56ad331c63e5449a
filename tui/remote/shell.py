"""Text for the shell on the far side of ssh, and what a command run there returned.

ssh sends one string, which the remote user's login shell parses. Every word loupe puts in
that string is quoted with `shlex.quote`, so a file name, a branch or a prompt is always
one argument and never code, whatever it contains (`$(...)`, quotes, `;`, newlines). A
script (a `str` given where a command goes) is code that loupe wrote; it runs under
`sh -c`, so it means the same whichever POSIX-like login shell the host has.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from tui.remote.errors import RemoteCommandFailed, RemoteError

# An argv (each item one word, quoted) or a script (shell text run by `sh -c`).
Command = Sequence[str] | str

# Printed by the far side before the command starts and after it ends, with its status: ssh
# exits 255 both when it fails and when the command does, and says nothing when a shared
# connection drops under a command. Only a command that ended prints the end mark, last.
# printf's octal escapes keep the marks' bytes out of the line itself.
STARTED = b"\x1eloupe-started\x1e"
ENDED = re.compile(rb"\x1eloupe-exit (\d+)\x1e\Z")
_STARTED_PRINTF = r"printf '\036loupe-started\036'"
_ENDED_PRINTF = r"""s=$?; printf '\036loupe-exit %d\036' "$s"; exit "$s" """.strip()


@dataclass(frozen=True)
class Completed:
    """A command that ran on the host: its exit status and output (UTF-8, bad bytes replaced)."""

    command: tuple[str, ...] | str
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def check(self) -> Completed:
        """This, if it exited 0; else `RemoteCommandFailed` naming the command and its error."""
        if self.returncode != 0:
            detail = last_line(self.stderr) or f"exit status {self.returncode}"
            raise RemoteCommandFailed(f"`{describe(self.command)}` failed on the host: {detail}")
        return self


def quote(word: str) -> str:
    if "\0" in word:
        raise RemoteError(f"{word!r} contains a NUL byte, which no command argument can hold")
    return shlex.quote(word)


def join(argv: Sequence[str]) -> str:
    """`argv` as one shell line whose words are exactly `argv`."""
    if isinstance(argv, str):
        raise TypeError("join takes a list of words, not a string")
    if not argv:
        raise RemoteError("an empty command was given; there is nothing to run")
    return " ".join(quote(word) for word in argv)


def path_word(path: str) -> str:
    """A path as one shell word, with a leading `~` meaning the remote home folder (quoted,
    `~` would not expand; unquoted, the rest of the path could)."""
    if path == "~":
        return '"$HOME"'
    if path.startswith("~/"):
        rest = path[2:]
        return '"$HOME"/' + quote(rest) if rest else '"$HOME"/'
    return quote(path)


def body(command: Command) -> str:
    """The shell text that runs `command`: the argv (`command` skips the login shell's
    functions and aliases), or the script under `sh -c`."""
    if isinstance(command, str):
        if "\0" in command:
            raise RemoteError("the script contains a NUL byte; shell text cannot hold one")
        return "sh -c " + shlex.quote(command)
    return "command " + join(command)


def command_line(command: Command, *, cwd: str | None = None) -> str:
    """The line ssh sends: mark the start, go to `cwd` if given, run `command`, mark the end
    with its exit status, and exit with that status."""
    change = f"cd {path_word(cwd)} && " if cwd else ""
    return f"{_STARTED_PRINTF}; {change}{body(command)}; {_ENDED_PRINTF}"


def describe(command: tuple[str, ...] | str | Sequence[str]) -> str:
    """A short form for messages: the argv as a shell line, or the script's first line."""
    if isinstance(command, str):
        first = command.strip().splitlines()[0] if command.strip() else ""
        return first[:80] + (" ..." if len(first) > 80 or "\n" in command.strip() else "")
    return join(list(command))[:120]


def last_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""

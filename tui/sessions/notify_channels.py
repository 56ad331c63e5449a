"""Where a wait is told beyond loupe's own window: the desktop, a command (ntfy, a phone),
and the terminal loupe runs in.

What an agent asks is untrusted text. It never reaches a shell (commands get an argv), never
becomes markup (desktop notification bodies are escaped: servers render a subset of HTML),
and never carries terminal control characters (`terminal_text.visible`).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tui.terminal_text import visible

# A channel's program is given this long, then killed.
RUN_TIMEOUT = 10.0
# Longest text put in a notification.
MAX_CHARS = 300


@dataclass(frozen=True)
class Message:
    """One wait, as a notification says it."""

    title: str
    body: str
    session_id: str
    number: int

    @property
    def headline(self) -> str:
        """The title where nothing else says it comes from loupe (a phone, a terminal)."""
        return f"loupe: {self.title}"


def clean(text: str, limit: int = MAX_CHARS) -> str:
    """One line of plain text: control characters shown, not acted on, and cut short."""
    flat = " ".join(visible(text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class DesktopChannel:
    """`notify-send` (Linux) or `osascript` (macOS), when there."""

    name = "desktop"

    def __init__(self, argv: Sequence[str]) -> None:
        self._argv = list(argv)

    @classmethod
    def find(cls, path: str | None = None) -> DesktopChannel | None:
        notify_send = shutil.which("notify-send", path=path)
        if notify_send:
            return cls([notify_send, "--app-name=loupe", "--"])
        osascript = shutil.which("osascript", path=path) if sys.platform == "darwin" else None
        if osascript:
            # The texts are the script's arguments: data, never AppleScript source.
            return cls([osascript, "-e", "on run argv", "-e",
                        "display notification (item 2 of argv) with title (item 1 of argv)", "-e", "end run"])
        return None

    def argv(self, message: Message) -> list[str]:
        if self._argv[0].endswith("osascript"):
            return [*self._argv, message.title, message.body]
        return [*self._argv, message.title, _escape_markup(message.body)]

    def send(self, message: Message) -> None:
        _run(self.argv(message))


class CommandChannel:
    """`[notifications] command`: an argv run for each wait, the message on its stdin.

    `{title}` and `{message}` inside an argument are replaced (a value starting with "-"
    gets a space in front, so it is never read as an option); `LOUPE_NOTIFY_TITLE`,
    `LOUPE_NOTIFY_MESSAGE`, `LOUPE_NOTIFY_SESSION` and `LOUPE_NOTIFY_NUMBER` are set.
    """

    name = "command"

    def __init__(self, argv: Sequence[str], environ: Mapping[str, str] | None = None) -> None:
        self._argv = list(argv)
        self._environ = dict(os.environ if environ is None else environ)

    def argv(self, message: Message) -> list[str]:
        values = {"{title}": _argument(message.headline), "{message}": _argument(message.body)}
        words = []
        for word in self._argv:
            for placeholder, value in values.items():
                word = word.replace(placeholder, value)
            words.append(word)
        return words

    def send(self, message: Message) -> None:
        env = {**self._environ, "LOUPE_NOTIFY_TITLE": message.headline, "LOUPE_NOTIFY_MESSAGE": message.body,
               "LOUPE_NOTIFY_SESSION": message.session_id, "LOUPE_NOTIFY_NUMBER": str(message.number)}
        _run(self.argv(message), stdin=f"{message.headline}\n{message.body}\n", env=env)


class ChannelFailed(Exception):
    """A notification program could not run or failed; the message says which and why."""


def _run(argv: list[str], *, stdin: str = "", env: Mapping[str, str] | None = None) -> None:
    try:
        done = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=RUN_TIMEOUT,
                              env=None if env is None else dict(env))
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ChannelFailed(f"notification command {argv[0]} failed: {exc}") from exc
    if done.returncode != 0:
        reason = clean(done.stderr or done.stdout, 200) or f"exit {done.returncode}"
        raise ChannelFailed(f"notification command {argv[0]} failed: {reason}")


def _escape_markup(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _argument(value: str) -> str:
    return f" {value}" if value.startswith("-") else value


# -- the terminal loupe runs in ------------------------------------------------------------

TERMINAL_KINDS = ("auto", "osc9", "osc777", "off")


def terminal_kind(setting: str, environ: Mapping[str, str]) -> str:
    """"osc9", "osc777" or "off": what the terminal running loupe understands."""
    if setting != "auto":
        return setting if setting in TERMINAL_KINDS else "off"
    program = environ.get("TERM_PROGRAM", "")
    term = environ.get("TERM", "")
    if program in ("iTerm.app", "WezTerm", "ghostty"):
        return "osc9"
    if term.startswith(("foot", "rxvt-unicode")):
        return "osc777"
    return "off"


def terminal_sequence(kind: str, message: Message, *, in_tmux: bool) -> str:
    """The escape sequence that makes the terminal show `message` ("" when `kind` is off).

    Inside tmux it is wrapped for passthrough, which tmux forwards with
    `set -g allow-passthrough on` (tmux 3.3 and later).
    """
    title = clean(message.headline, 80).replace(";", ",")
    body = clean(message.body).replace(";", ",")
    if kind == "osc9":
        # The text starts with a word: "9;4;..." would be a progress report to some terminals.
        sequence = f"\x1b]9;{title}: {body}\x07"
    elif kind == "osc777":
        sequence = f"\x1b]777;notify;{title};{body}\x07"
    else:
        return ""
    if in_tmux:
        return "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"
    return sequence

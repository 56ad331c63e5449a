"""Agent kinds: how to start each coding agent, and where its status comes from.

A kind is a command template plus a status source. Presets cover the common agents; a
`[agents.<name>]` table in config adds a kind or adjusts a preset. Templates are shell
command lines whose placeholders are replaced by shell-quoted values:

- {prompt} {worktree} {task} {task_dir}: the session's prompt, worktree, task name and folder;
- {session}: the session id; {loupe}: the command that runs this loupe;
- {codex_notify}: a `notify=[...]` setting for Codex that reports turns to loupe;
- {shell}: the user's login shell.

`[...]` around text with placeholders is optional: it is dropped when they are all empty, so
`agent [--prompt {prompt}]` works with and without a prompt. A kind whose template has no
{prompt} gets the prompt typed in once it is idle.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

from tui.config import AgentKindConfig
from tui.sessions.errors import AgentNotInstalled, SessionError, UnknownAgent

STATUS_SOURCES = ("claude", "codex", "loupe", "screen")
# Agent-specific prompts (a permission dialog) span several lines at the bottom of the screen.
PROMPT_LINES = 8

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_OPTIONAL = re.compile(r"\[([^\[\]]*\{[a-z_]+\}[^\[\]]*)\]")

# Prompts that mean "waiting for you" in a plain terminal, used by every kind as a fallback.
# They are only tried on the last non-empty line: an answered prompt higher up must not count.
COMMON_PROMPTS = (
    r"\[[yY](es)?/[nN]o?\]\s*$",
    r"\([yY](es)?/[nN]o?\)\s*$",
    r"(?i)\bpassword( for [^:]*)?:\s*$",
    r"(?i)press (enter|return|any key)",
)


@dataclass(frozen=True)
class AgentKind:
    name: str
    command: str
    status: str = "screen"
    prompt_patterns: tuple[str, ...] = ()
    description: str = ""

    @property
    def takes_prompt_argument(self) -> bool:
        return "{prompt}" in self.command

    def compiled_patterns(self) -> list[tuple[re.Pattern[str], int]]:
        """(pattern, how many of the screen's last non-empty lines it is tried on)."""
        return [(re.compile(p, re.MULTILINE), PROMPT_LINES) for p in self.prompt_patterns] + [
            (re.compile(p, re.MULTILINE), 1) for p in COMMON_PROMPTS
        ]


PRESETS: dict[str, AgentKind] = {
    kind.name: kind
    for kind in [
        AgentKind(
            "claude",
            "claude [{prompt}]",
            status="claude",
            # The folder-trust question comes before any hook can run (every worktree is new).
            prompt_patterns=(r"Do you want to \w+", r"❯\s*1\.\s*Yes", r"(?i)do you trust the files"),
            description="Claude Code; status from its hooks",
        ),
        AgentKind(
            "codex",
            "codex -c {codex_notify} [{prompt}]",
            status="codex",
            prompt_patterns=(r"Would you like to \w+", r"(?i)allow command\?"),
            description="OpenAI Codex CLI; turn ends from its notify hook",
        ),
        AgentKind(
            # Its --prompt only pre-fills the input box (sst/opencode#4700), so the prompt is
            # typed in (and submitted) once the TUI is up and idle.
            "opencode",
            "opencode",
            status="screen",
            prompt_patterns=(r"(?i)permission required", r"(?i)allow (once|always)"),
            description="opencode TUI; the prompt is typed in once it is ready",
        ),
        AgentKind(
            "aider",
            "aider",
            status="screen",
            prompt_patterns=(r"\(Y\)es/\(N\)o",),
            description="aider; the prompt is typed in once it is ready",
        ),
        AgentKind(
            "loupe",
            "{loupe} agent [--prompt {prompt}]",
            status="loupe",
            description="loupe's built-in agent; writes its own status",
        ),
        AgentKind(
            "shell",
            "{shell}",
            status="screen",
            description="a plain shell; the prompt is typed in as a command",
        ),
    ]
}


def agent_kinds(configured: dict[str, AgentKindConfig], problems: list[str] | None = None) -> dict[str, AgentKind]:
    """Presets merged with `[agents.*]` tables. Bad entries are reported and skipped."""
    kinds = dict(PRESETS)
    for name, entry in configured.items():
        preset = PRESETS.get(name)
        command = entry.command or (preset.command if preset else "")
        if not command:
            _report(problems, f"[agents.{name}] has no command; add command = \"...\" to use it")
            continue
        status = entry.status
        if status not in STATUS_SOURCES:
            _report(
                problems,
                f"[agents.{name}] status = {status!r} is not one of {', '.join(STATUS_SOURCES)}; "
                "using screen",
            )
            status = "screen"
        # The config's default status is "screen"; for a preset that means "not set".
        if preset and status == "screen":
            status = preset.status
        patterns = []
        for pattern in entry.prompt_patterns:
            try:
                re.compile(pattern)
            except re.error as exc:
                _report(problems, f"[agents.{name}] prompt pattern {pattern!r} is invalid ({exc}); ignored")
                continue
            patterns.append(pattern)
        inherited = preset.prompt_patterns if preset else ()
        kinds[name] = AgentKind(
            name,
            command,
            status=status,
            prompt_patterns=(*inherited, *patterns),
            description=preset.description if preset and not entry.command else "custom command",
        )
    return kinds


def _report(problems: list[str] | None, message: str) -> None:
    if problems is not None:
        problems.append(message)


def get_kind(kinds: dict[str, AgentKind], name: str) -> AgentKind:
    try:
        return kinds[name]
    except KeyError:
        raise UnknownAgent(
            f"unknown agent kind '{name}'; known kinds: {', '.join(sorted(kinds))} "
            "(add others as [agents.<name>] in config)"
        ) from None


def render_command(template: str, values: dict[str, str]) -> str:
    """Fill a command template; every value is shell-quoted."""

    def optional(match: re.Match[str]) -> str:
        names = _PLACEHOLDER.findall(match.group(1))
        return match.group(1) if any(values.get(n) for n in names) else ""

    text = _OPTIONAL.sub(optional, template)

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in values:
            raise SessionError(
                f"unknown placeholder {{{name}}} in agent command {template!r}; "
                f"known: {', '.join('{' + k + '}' for k in sorted(values))}"
            )
        value = values[name]
        # {loupe} is already a command line, not one argument.
        return value if name == "loupe" else shlex.quote(value)

    return " ".join(_PLACEHOLDER.sub(fill, text).split())


def placeholder_values(
    *, prompt: str, worktree: Path, task: str, task_dir: Path | None, session: str,
    loupe: list[str], hook_command: list[str], shell: str | None = None,
) -> dict[str, str]:
    """Values for a command template's placeholders; `shell` is the agent's $SHELL there."""
    notify = "notify=" + json.dumps([*hook_command, "codex"])
    return {
        "prompt": prompt,
        "worktree": str(worktree),
        "task": task,
        "task_dir": str(task_dir) if task_dir else "",
        "session": session,
        "loupe": shlex.join(loupe),
        "codex_notify": notify,
        "shell": shell or os.environ.get("SHELL") or "/bin/sh",
    }


_SHELL_WORDS = {"cd", "exec", "env", "nohup", "time", "command", "builtin", "if", "for", "while", "{", "("}


def check_installed(command_line: str, path: str) -> None:
    """Raise `AgentNotInstalled` when the program a command line runs cannot be found."""
    try:
        words = shlex.split(command_line)
    except ValueError as exc:
        raise SessionError(f"cannot parse the agent command {command_line!r}: {exc}") from exc
    program = next((w for w in words if not re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", w)), "")
    if not program or program in _SHELL_WORDS:
        return
    if "/" in program:
        if os.access(program, os.X_OK) and Path(program).is_file():
            return
        raise AgentNotInstalled(f"agent program {program} does not exist or is not executable")
    if shutil.which(program, path=path) is None:
        raise AgentNotInstalled(
            f"'{program}' is not installed (not found on PATH); install it, or choose another "
            "agent kind, or set its command in [agents.<name>] in config"
        )

"""Agent kinds: how to start each coding agent, and where its status comes from.

A kind is a command template plus a status source and screen patterns. Presets come from
`presets.toml` (its header documents each key); a `[agents.<name>]` table in config adds a
kind or adjusts a preset. Templates are shell command lines whose placeholders are replaced
by shell-quoted values:

- {prompt} {worktree} {task} {task_dir}: the session's prompt, worktree, task name and folder;
- {session}: the session id; {loupe}: the command that runs this loupe;
- {codex_notify}: a `notify=[...]` setting for Codex that reports turns to loupe;
- {shell}: the user's login shell.

`[...]` around text with placeholders is optional: it is dropped when they are all empty, so
`agent [--prompt {prompt}]` works with and without a prompt. A kind whose template has no
{prompt} gets the prompt typed in once its input prompt (`ready`) shows.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
from dataclasses import replace
from pathlib import Path

from tui.config import AgentKindConfig
from tui.sessions.errors import AgentNotInstalled, SessionError, UnknownAgent
from tui.sessions.kind import STATUS_SOURCES, AgentKind
from tui.sessions.presets import COMMON_PROMPTS, PRESETS

__all__ = ["COMMON_PROMPTS", "PRESETS", "STATUS_SOURCES", "AgentKind", "agent_kinds", "get_kind",
           "render_command", "placeholder_values", "check_installed"]

_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")
_OPTIONAL = re.compile(r"\[([^\[\]]*\{[a-z_]+\}[^\[\]]*)\]")


def agent_kinds(configured: dict[str, AgentKindConfig], problems: list[str] | None = None) -> dict[str, AgentKind]:
    """Presets merged with `[agents.*]` tables. Bad entries are reported and skipped.

    `prompt_patterns` replaces a preset's needs-input patterns (the generic ones included),
    `extra_prompt_patterns` adds to them; `prompt_lines` and `ready_pattern` replace the
    preset's.
    """
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
        base = preset or AgentKind(name, command)
        replaced = entry.prompt_patterns is not None
        own = _valid(name, "prompt pattern", entry.prompt_patterns or [], problems)
        extra = _valid(name, "extra prompt pattern", entry.extra_prompt_patterns, problems)
        kinds[name] = replace(
            base,
            command=command,
            status=status,
            prompt_patterns=(*(own if replaced else base.prompt_patterns), *extra),
            common_prompts=base.common_prompts and not replaced,
            prompt_lines=entry.prompt_lines or base.prompt_lines,
            ready_pattern=_ready(name, entry.ready_pattern, base.ready_pattern, problems),
            description=preset.description if preset and not entry.command else "custom command",
        )
    return kinds


def _ready(name: str, configured: str | None, preset: str, problems: list[str] | None) -> str:
    """The ready pattern: the configured one ("" for none), else the preset's."""
    if configured is None or configured == "":
        return preset if configured is None else ""
    return next(iter(_valid(name, "ready pattern", [configured], problems)), preset)


def _valid(name: str, what: str, patterns: list[str], problems: list[str] | None) -> list[str]:
    kept = []
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            _report(problems, f"[agents.{name}] {what} {pattern!r} is invalid ({exc}); ignored")
            continue
        kept.append(pattern)
    return kept


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

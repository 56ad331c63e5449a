"""Hooks that make agents report their own state to loupe.

Claude Code reads hooks from the worktree's `.claude/settings.local.json`; each one runs
`loupe hook <session> <event>`, which writes the session's status file. Existing settings in
that file are kept: loupe only adds its own entries (and replaces its own on a rerun).

The mapping from events to states lives here too, so `hook_cli` stays a thin entry point.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

from tui.sessions.status_file import REPORTED_STATES, State

SETTINGS_FILE = Path(".claude") / "settings.local.json"
MARKER = "loupe-hook"

# Claude Code hook events loupe listens to, with the matcher each needs.
CLAUDE_EVENTS: dict[str, str | None] = {
    "SessionStart": None,
    "UserPromptSubmit": None,
    "PreToolUse": "*",
    "PostToolUse": "*",
    "Notification": "",
    "PermissionRequest": "*",
    "Stop": None,
    "StopFailure": None,
    "SubagentStop": None,
    "SessionEnd": None,
}

# Tools that ask the user a question rather than doing work.
_QUESTION_TOOLS = {"AskUserQuestion"}


def hook_command(loupe: list[str], session_id: str) -> list[str]:
    return [*loupe, "hook", session_id]


def install_claude_hooks(worktree: Path, command: list[str]) -> Path:
    """Add loupe's hooks to the worktree's Claude settings, keeping whatever is there."""
    path = worktree / SETTINGS_FILE
    settings: dict[str, Any] = {}
    if path.exists():
        try:
            loaded = json.loads(path.read_text(encoding="utf-8"))
            if isinstance(loaded, dict):
                settings = loaded
        except (OSError, ValueError):
            settings = {}
    hooks = settings.setdefault("hooks", {})
    for event, matcher in CLAUDE_EVENTS.items():
        entries = [e for e in hooks.get(event, []) if not _is_ours(e)]
        entry: dict[str, Any] = {
            "hooks": [{"type": "command", "command": shlex.join([*command, event]) + f"  # {MARKER}"}]
        }
        if matcher is not None:
            entry["matcher"] = matcher
        entries.append(entry)
        hooks[event] = entries
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    return path


def _is_ours(entry: Any) -> bool:
    if not isinstance(entry, dict):
        return False
    return any(MARKER in str(h.get("command", "")) for h in entry.get("hooks", []) if isinstance(h, dict))


def claude_state(event: str, payload: dict[str, Any]) -> State | None:
    """The state a Claude Code hook event means; None for events that change nothing."""
    if event in ("UserPromptSubmit", "PostToolUse"):
        return State.WORKING
    if event == "PreToolUse":
        if payload.get("tool_name") in _QUESTION_TOOLS:
            return State.NEEDS_INPUT
        return State.WORKING
    if event == "PermissionRequest":
        return State.NEEDS_INPUT
    if event == "Notification":
        kind = str(payload.get("notification_type", ""))
        message = str(payload.get("message", "")).lower()
        if kind == "idle_prompt" or "waiting for your input" in message:
            return State.IDLE
        # permission_prompt, elicitation_dialog, and older versions' permission messages.
        return State.NEEDS_INPUT
    if event in ("Stop", "StopFailure", "SessionStart"):
        return State.IDLE
    # SessionEnd also fires on /clear, after which Claude carries on, so the real end comes
    # from the window's wrapper. SubagentStop: the main agent keeps working.
    return None


def codex_state(payload: dict[str, Any]) -> State | None:
    if payload.get("type") == "agent-turn-complete":
        return State.IDLE
    return None


GENERIC_STATES = {state.value: state for state in REPORTED_STATES}

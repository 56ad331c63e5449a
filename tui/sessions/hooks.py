"""Hooks that make agents report their own state to loupe.

Claude Code reads hooks from the worktree's `.claude/settings.local.json`; each one runs
`loupe hook <session> <event>`, which writes the session's status file. Existing settings in
that file are kept: loupe only adds its own entries (and replaces its own on a rerun).

opencode loads plugins from the worktree's `.opencode/plugin/`; loupe's (`opencode_plugin.js`)
hands the events that change the session's state to `loupe hook <session> opencode <json>`.

The mapping from events to states lives here too, so `hook_cli` stays a thin entry point.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tui.sessions.status_file import REPORTED_STATES, State

SETTINGS_FILE = Path(".claude") / "settings.local.json"
MARKER = "loupe-hook"
OPENCODE_PLUGIN = Path(".opencode") / "plugin" / "loupe.js"
_PLUGIN_SOURCE = Path(__file__).with_name("opencode_plugin.js")

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
# Notification types that wait for the user's answer (older versions send no type, only a
# message naming the permission).
_QUESTION_NOTIFICATIONS = {"permission_prompt", "elicitation_dialog"}


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


def install_opencode_plugin(worktree: Path, command: list[str]) -> Path:
    """Write loupe's status plugin into the worktree, where opencode loads project plugins."""
    path = worktree / OPENCODE_PLUGIN
    source = _PLUGIN_SOURCE.read_text(encoding="utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    # JSON is a JavaScript array literal: the argv goes in as data, never as code.
    path.write_text(source.replace("__LOUPE_HOOK__", json.dumps(command)), encoding="utf-8")
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
        if kind in _QUESTION_NOTIFICATIONS or (not kind and "permission" in message):
            return State.NEEDS_INPUT
        # auth_success and whatever comes next: news, not a question.
        return None
    if event in ("Stop", "StopFailure", "SessionStart"):
        return State.IDLE
    # SessionEnd also fires on /clear, after which Claude carries on, so the real end comes
    # from the window's wrapper. SubagentStop: the main agent keeps working.
    return None


def codex_state(payload: dict[str, Any], *, side_turns: Sequence[re.Pattern[str]],
                own_thread: str | None) -> tuple[State | None, str | None]:
    """What a Codex `notify` payload means, and the session's own thread afterwards.

    Codex runs turns for itself too, such as the one that names the conversation, in a
    thread of their own, and notifies their end like any other. Such a turn (its first
    input matches one of `side_turns`) is skipped. The session's own thread is the first
    one that completes another turn; later turns of other threads are skipped as well, and
    the screen tells their story (after `/new`, too).
    """
    if payload.get("type") != "agent-turn-complete":
        return None, own_thread
    inputs = payload.get("input-messages")
    first = str(inputs[0]) if isinstance(inputs, list) and inputs else ""
    if any(pattern.search(first) for pattern in side_turns):
        return None, own_thread
    thread = payload.get("thread-id")
    thread = str(thread) if isinstance(thread, str) and thread else None
    if own_thread is not None and thread is not None and thread != own_thread:
        return None, own_thread
    return State.IDLE, own_thread or thread


def opencode_state(payload: dict[str, Any]) -> State | None:
    """The state an opencode event (as loupe's plugin hands it on) means."""
    kind = str(payload.get("type", ""))
    if kind == "session.status":
        status = str(payload.get("status", ""))
        if status in ("busy", "retry"):
            return State.WORKING
        return State.IDLE if status == "idle" else None
    if kind == "session.idle":
        return State.IDLE
    if kind in ("permission.asked", "permission.updated", "question.asked"):
        return State.NEEDS_INPUT
    if kind in ("permission.replied", "question.replied", "question.rejected"):
        return State.WORKING
    return None


GENERIC_STATES = {state.value: state for state in REPORTED_STATES}

"""The agent presets, read from `presets.toml` next to this module.

The file is the one place that says how each agent is started and how its screen is read
(readiness, questions, busy and idle lines); its header documents every key. It ships with
loupe, so a mistake in it is loupe's: loading fails loudly rather than dropping a preset.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tui.sessions.kind import STATUS_SOURCES, AgentKind
from tui.sessions.preset_file import (COMMON_PROMPTS, PRESETS_FILE, PresetError, common_prompts, compile_pattern,
                                      patterns, read)

__all__ = ["COMMON_PROMPTS", "PRESETS", "PRESETS_FILE", "PresetError", "load"]

_KEYS = {"description", "command", "status", "ready", "idle", "needs_input", "needs_input_lines",
         "busy", "busy_lines", "side_turns", "common"}


def load(path: Path = PRESETS_FILE) -> tuple[dict[str, AgentKind], tuple[str, ...]]:
    """The preset kinds by name, and the generic prompts every kind may fall back on."""
    data = read(path)
    kinds = {name: _kind(name, table) for name, table in data.get("agents", {}).items()}
    return kinds, common_prompts(path)


def _kind(name: str, table: dict[str, Any]) -> AgentKind:
    where = f"[agents.{name}]"
    unknown = set(table) - _KEYS
    if unknown:
        raise PresetError(f"{where} in {PRESETS_FILE}: unknown keys {sorted(unknown)}")
    status = table.get("status", "screen")
    if status not in STATUS_SOURCES:
        raise PresetError(f"{where}: status {status!r} is not one of {STATUS_SOURCES}")
    for key in ("ready", "idle", "busy"):
        compile_pattern(table.get(key, ""), f"{where} {key}")
    return AgentKind(
        name,
        str(table["command"]),
        status=status,
        prompt_patterns=tuple(patterns(table, "needs_input", where)),
        description=str(table.get("description", "")),
        prompt_lines=int(table.get("needs_input_lines", 1)),
        ready_pattern=str(table.get("ready", "")),
        idle_pattern=str(table.get("idle", "")),
        busy_pattern=str(table.get("busy", "")),
        busy_lines=int(table.get("busy_lines", 6)),
        side_turns=tuple(patterns(table, "side_turns", where)),
        common_prompts=bool(table.get("common", True)),
    )


PRESETS, _ = load()

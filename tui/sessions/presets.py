"""The agent presets, read from `presets.toml` next to this module.

The file is the one place that says how each agent is started and how its screen is read
(readiness, questions, busy and idle lines); its header documents every key. It ships with
loupe, so a mistake in it is loupe's: loading fails loudly rather than dropping a preset.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from tui.sessions.kind import STATUS_SOURCES, AgentKind

PRESETS_FILE = Path(__file__).with_name("presets.toml")

_KEYS = {"description", "command", "status", "ready", "idle", "needs_input", "needs_input_lines",
         "busy", "busy_lines", "side_turns", "common"}


class PresetError(ValueError):
    """The presets file is broken: a bug in loupe, not in the user's config."""


def load(path: Path = PRESETS_FILE) -> tuple[dict[str, AgentKind], tuple[str, ...]]:
    """The preset kinds by name, and the generic prompts every kind may fall back on."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PresetError(f"cannot read the agent presets {path}: {exc}") from exc
    common = tuple(_patterns(data.get("common", {}), "needs_input", "[common]"))
    kinds = {name: _kind(name, table) for name, table in data.get("agents", {}).items()}
    return kinds, common


def _kind(name: str, table: dict[str, Any]) -> AgentKind:
    where = f"[agents.{name}]"
    unknown = set(table) - _KEYS
    if unknown:
        raise PresetError(f"{where} in {PRESETS_FILE}: unknown keys {sorted(unknown)}")
    status = table.get("status", "screen")
    if status not in STATUS_SOURCES:
        raise PresetError(f"{where}: status {status!r} is not one of {STATUS_SOURCES}")
    for key in ("ready", "idle", "busy"):
        _compile(table.get(key, ""), f"{where} {key}")
    return AgentKind(
        name,
        str(table["command"]),
        status=status,
        prompt_patterns=tuple(_patterns(table, "needs_input", where)),
        description=str(table.get("description", "")),
        prompt_lines=int(table.get("needs_input_lines", 1)),
        ready_pattern=str(table.get("ready", "")),
        idle_pattern=str(table.get("idle", "")),
        busy_pattern=str(table.get("busy", "")),
        busy_lines=int(table.get("busy_lines", 6)),
        side_turns=tuple(_patterns(table, "side_turns", where)),
        common_prompts=bool(table.get("common", True)),
    )


def _patterns(table: dict[str, Any], key: str, where: str) -> list[str]:
    values = table.get(key, [])
    if not isinstance(values, list):
        raise PresetError(f"{where} {key} must be a list of patterns")
    for value in values:
        _compile(value, f"{where} {key}")
    return [str(v) for v in values]


def _compile(pattern: object, where: str) -> None:
    if not isinstance(pattern, str):
        raise PresetError(f"{where}: {pattern!r} is not a string")
    try:
        re.compile(pattern)
    except re.error as exc:
        raise PresetError(f"{where}: pattern {pattern!r} is invalid ({exc})") from exc


PRESETS, COMMON_PROMPTS = load()

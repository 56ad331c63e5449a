"""Reading `presets.toml` (next to this module), without building kinds from it.

`tui.sessions.kind` needs the generic prompts of its `[common]` table and
`tui.sessions.presets` builds `AgentKind`s from its `[agents.*]` tables: both read the file
here, so neither imports the other.
"""

from __future__ import annotations

import re
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

PRESETS_FILE = Path(__file__).with_name("presets.toml")


class PresetError(ValueError):
    """The presets file is broken: a bug in loupe, not in the user's config."""


@cache
def read(path: Path = PRESETS_FILE) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise PresetError(f"cannot read the agent presets {path}: {exc}") from exc


def patterns(table: dict[str, Any], key: str, where: str) -> list[str]:
    values = table.get(key, [])
    if not isinstance(values, list):
        raise PresetError(f"{where} {key} must be a list of patterns")
    for value in values:
        compile_pattern(value, f"{where} {key}")
    return [str(v) for v in values]


def compile_pattern(pattern: object, where: str) -> None:
    if not isinstance(pattern, str):
        raise PresetError(f"{where}: {pattern!r} is not a string")
    try:
        re.compile(pattern)
    except re.error as exc:
        raise PresetError(f"{where}: pattern {pattern!r} is invalid ({exc})") from exc


def common_prompts(path: Path = PRESETS_FILE) -> tuple[str, ...]:
    """The generic prompts every kind may fall back on (`[common] needs_input`)."""
    return tuple(patterns(read(path).get("common", {}), "needs_input", "[common]"))


COMMON_PROMPTS = common_prompts()

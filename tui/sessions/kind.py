"""What loupe knows about one kind of agent: how to start it and how to read its states.

Presets come from `presets.toml` (`tui.sessions.presets`); `[agents.NAME]` tables in config
change them or add kinds (`tui.sessions.agents.agent_kinds`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property

from tui.sessions.preset_file import COMMON_PROMPTS
from tui.sessions.status import ScreenRules

# Where a kind's states come from first (the screen is always the fallback).
STATUS_SOURCES = ("claude", "codex", "opencode", "loupe", "screen")


@dataclass(frozen=True)
class AgentKind:
    name: str
    command: str
    status: str = "screen"
    # "Waiting for your answer", tried on the last `prompt_lines` non-empty screen lines.
    prompt_patterns: tuple[str, ...] = ()
    description: str = ""
    prompt_lines: int = 1
    # The agent's input prompt on the last non-empty line: typed text would be read now.
    ready_pattern: str = ""
    # The last non-empty line once a turn is over; empty: the ready pattern.
    idle_pattern: str = ""
    # A turn is running, however quiet the screen (tried on the last `busy_lines` lines).
    busy_pattern: str = ""
    busy_lines: int = 6
    # Codex notify: patterns on a turn's first input message marking the agent's own turns.
    side_turns: tuple[str, ...] = ()
    # The generic prompts (`presets.toml` [common]) are tried too, on the last line only.
    common_prompts: bool = True

    @property
    def takes_prompt_argument(self) -> bool:
        return "{prompt}" in self.command

    @cached_property
    def screen_rules(self) -> ScreenRules:
        """The kind's patterns, compiled (once per kind)."""
        idle = self.idle_pattern or self.ready_pattern
        common = COMMON_PROMPTS if self.common_prompts else ()
        return ScreenRules(
            needs_input=tuple((re.compile(p), max(1, self.prompt_lines)) for p in self.prompt_patterns)
            + tuple((re.compile(p), 1) for p in common),
            ready=re.compile(self.ready_pattern) if self.ready_pattern else None,
            idle=re.compile(idle) if idle else None,
            busy=(re.compile(self.busy_pattern), max(1, self.busy_lines)) if self.busy_pattern else None,
        )

"""Working out a session's state from what is known about it.

Sources, most trusted first:

1. tmux: a dead pane (or no tmux session at all) means exited, with the code the window's
   wrapper recorded or tmux saw.
2. The status file written by hooks (Claude Code), the opencode plugin, `notify` (Codex) or
   the agent itself (loupe's built-in agent). Codex only reports the end of a turn, so for
   it (and for screen-watched kinds whose scripts call `loupe hook`) screen activity newer
   than the last report wins, and so does a busy line on the screen ("esc to interrupt").
3. The screen, read with the kind's `ScreenRules` (from `presets.toml`): a busy line means
   working; a pane whose content changed within the last 0.5 s is working; a quiet one
   whose last lines ask a question needs input; one whose last line is the agent's idle
   prompt is idle; otherwise, once quiet for the debounce (about 1.5 s), it is idle. The
   debounce keeps redraws and pauses between bursts of output from flickering the state.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from tui.sessions.status_file import State, Status
from tui.sessions.tmux import PaneInfo

# Sources that report every change of state themselves; their reports are trusted over the
# screen. Codex reports only the end of a turn.
REPORTING_SOURCES = ("claude", "opencode", "loupe")

DEBOUNCE = 1.5
# A screen quiet this long whose last lines match a prompt pattern needs input. Shorter than
# the idle debounce: a matching prompt is strong evidence, and the user is waited on.
PROMPT_QUIET = 0.5

_ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def screen_lines(screen: str) -> list[str]:
    """The screen's non-empty lines, without colours."""
    return [line.rstrip() for line in strip_ansi(screen).splitlines() if line.strip()]


@dataclass(frozen=True)
class ScreenRules:
    """What one kind's screen means, compiled from its patterns."""

    # (pattern, how many of the screen's last non-empty lines it is tried on)
    needs_input: tuple[tuple[re.Pattern[str], int], ...] = ()
    # The input prompt on the last non-empty line: typed text is read now.
    ready: re.Pattern[str] | None = None
    # The last non-empty line once a turn is over.
    idle: re.Pattern[str] | None = None
    busy: tuple[re.Pattern[str], int] | None = None

    def asks(self, lines: list[str]) -> str:
        """The lines holding the question the screen asks; "" when it asks none."""
        for pattern, scope in self.needs_input:
            tail = lines[-scope:]
            for line in tail:
                if pattern.search(line):
                    return line.strip()
        return ""

    def is_ready(self, lines: list[str]) -> bool:
        return self.ready is not None and bool(lines) and bool(self.ready.search(lines[-1]))

    def is_idle(self, lines: list[str]) -> bool:
        return self.idle is not None and bool(lines) and bool(self.idle.search(lines[-1]))

    def is_busy(self, lines: list[str]) -> bool:
        if self.busy is None:
            return False
        pattern, scope = self.busy
        return any(pattern.search(line) for line in lines[-scope:])


@dataclass
class ScreenTracker:
    """Remembers when one session's screen last changed."""

    digest: str = ""
    changed_at: float = 0.0

    def observe(self, screen: str, now: float) -> bool:
        digest = hashlib.blake2b(screen.encode("utf-8", "replace"), digest_size=16).hexdigest()
        if digest == self.digest:
            return False
        self.digest = digest
        self.changed_at = now
        return True

    def state(self, lines: list[str], rules: ScreenRules, now: float, debounce: float = DEBOUNCE) -> State:
        """The state the screen's non-empty `lines` (`screen_lines`) show now."""
        quiet = now - self.changed_at
        if quiet < min(PROMPT_QUIET, debounce):
            return State.WORKING
        if rules.asks(lines):
            return State.NEEDS_INPUT
        if rules.is_busy(lines):
            return State.WORKING
        if rules.is_idle(lines):
            return State.IDLE
        return State.WORKING if quiet < debounce else State.IDLE


@dataclass(frozen=True)
class Observation:
    state: State
    exit_code: int | None = None
    # Where the state came from: "tmux", "hook" or "screen".
    source: str = "screen"
    detail: str = ""


def resolve(
    *,
    status_source: str,
    reported: Status | None,
    pane: PaneInfo | None,
    screen_state: State,
    screen_changed_at: float,
    debounce: float = DEBOUNCE,
    screen_busy: bool = False,
) -> Observation:
    """The session's state now, from tmux, the status file and the screen (`screen_busy`:
    the screen shows the kind's busy line)."""
    reported_exit = reported.exit_code if reported and reported.state is State.EXITED else None
    if pane is None or pane.dead:
        code = reported_exit if reported_exit is not None else (pane.exit_code if pane else None)
        detail = reported.detail if reported and reported.state is State.EXITED else ""
        return Observation(State.EXITED, code, "tmux", detail)
    if reported is not None and reported.state is State.EXITED:
        # The wrapper records the exit a moment before tmux marks the pane dead.
        return Observation(State.EXITED, reported.exit_code, "hook", reported.detail)
    if reported is not None and status_source in REPORTING_SOURCES:
        return Observation(reported.state, None, "hook", reported.detail)
    if reported is not None:
        # Codex (and scripts calling `loupe hook`) report when a turn ends, never when one
        # starts: activity after the last report means a new turn (or an approval prompt),
        # which the screen describes; so does a busy line, however recent the report.
        if screen_state is State.NEEDS_INPUT and reported.state is not State.NEEDS_INPUT:
            # An approval question comes inside a turn: a turn-end report cannot answer it.
            return Observation(State.NEEDS_INPUT, None, "screen")
        if screen_busy and reported.state is not State.NEEDS_INPUT:
            return Observation(State.WORKING, None, "screen")
        if screen_changed_at > reported.time + debounce:
            return Observation(screen_state, None, "screen")
        return Observation(reported.state, None, "hook", reported.detail)
    return Observation(screen_state, None, "screen")

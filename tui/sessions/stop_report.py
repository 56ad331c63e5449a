"""What stopping a session did: how its agent ended, and which of its processes it could not
end because they had left its terminal session (setsid, a daemon).

The CLI and the app say the same thing, from `stop_lines`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Command lines are shortened to this many characters in the message.
_COMMAND_WIDTH = 80


@dataclass(frozen=True)
class Process:
    pid: int
    # Its command line, arguments joined by spaces ("" when it could not be read).
    command: str


@dataclass(frozen=True)
class Stopped:
    exit_code: int | None
    # Processes that carry the session's id and still run after the stop.
    left_running: list[Process] = field(default_factory=list)


def stop_lines(number: int, exit_code: int | None, left: list[Process]) -> list[str]:
    """The lines that report one session's stop; a warning line per process left running.

    A command line is the agent's text: it is shown as data, with control characters made
    visible, never interpreted."""
    lines = [f"session {number}: stopped" + (f" (exit {exit_code})" if exit_code is not None else "")]
    if left:
        lines.append(f"session {number}: {len(left)} process{'es' if len(left) != 1 else ''} it started "
                     "left its terminal and still run; end them yourself (kill PID):")
        lines += [f"  {p.pid}  {_visible(p.command)}" for p in left]
    return lines


def _visible(text: str) -> str:
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return shown if len(shown) <= _COMMAND_WIDTH else shown[:_COMMAND_WIDTH - 1] + "…"

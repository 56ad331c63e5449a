"""The status file an agent (or its hooks) writes, and loupe reads, for one session.

This is the contract between loupe and whatever reports an agent's state: Claude Code hooks
through `loupe hook`, Codex's `notify`, and the built-in agent. The path is given to the agent
in `LOUPE_STATUS_FILE`. Writes are atomic (temp file, then rename) so a reader never sees half
a file.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from enum import Enum
from pathlib import Path

ENV_VAR = "LOUPE_STATUS_FILE"


class State(str, Enum):
    WORKING = "working"
    NEEDS_INPUT = "needs-input"
    IDLE = "idle"
    EXITED = "exited"
    # loupe cannot reach the session's host, so it does not know; never written by agents.
    UNREACHABLE = "unreachable"
    # In the store, its window not made yet; never written by agents.
    STARTING = "starting"


# What an agent (or its hooks) may report.
REPORTED_STATES = (State.WORKING, State.NEEDS_INPUT, State.IDLE, State.EXITED)


@dataclass(frozen=True)
class Status:
    state: State
    # What caused it, e.g. "Notification", "Stop", "agent-turn-complete", "tool-call".
    event: str = ""
    # Who wrote it: "claude-hook", "codex-notify", "loupe-agent", "screen".
    source: str = ""
    # Seconds since the epoch.
    time: float = 0.0
    exit_code: int | None = None
    detail: str = ""


def write_status(path: Path, status: Status) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    record = asdict(status)
    record["state"] = status.state.value
    record["time"] = status.time or time.time()
    fd, tmp = tempfile.mkstemp(prefix=".status-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(record, handle)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_status(path: Path) -> Status | None:
    """The last status written, or None when there is none or it cannot be read."""
    try:
        return parse_status(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):  # unreadable, or not UTF-8
        return None


def parse_status(text: str) -> Status | None:
    """A status file's content (read here, or on the session's host), or None when it is not
    one an agent may write."""
    try:
        record = json.loads(text)
        state = State(record["state"])
        if state not in REPORTED_STATES:
            return None
        return Status(
            state=state,
            event=str(record.get("event", "")),
            source=str(record.get("source", "")),
            time=float(record.get("time", 0.0)),
            exit_code=record.get("exit_code"),
            detail=str(record.get("detail", "")),
        )
    except (ValueError, KeyError, TypeError):
        return None


def write_from_env(state: State, *, event: str = "", source: str, exit_code: int | None = None,
                   detail: str = "") -> bool:
    """Write to `$LOUPE_STATUS_FILE` when set (inside a loupe session); say whether it did."""
    target = os.environ.get(ENV_VAR)
    if not target:
        return False
    write_status(Path(target), Status(state, event=event, source=source, exit_code=exit_code,
                                      detail=detail))
    return True

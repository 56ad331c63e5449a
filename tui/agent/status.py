"""The agent's state, as the session grid sees it: working, needs-input, idle, exited.

Written through the shared status-file contract (`$LOUPE_STATUS_FILE`), only on a change of
state so a long run does not rewrite the file on every tool call. `listener` sees every
transition too (tests record them; nothing else needs it).
"""

from __future__ import annotations

from collections.abc import Callable

from tui.sessions.status_file import State, write_from_env

SOURCE = "loupe-agent"


class StatusReporter:
    def __init__(self, listener: Callable[[State, str], None] | None = None) -> None:
        self.state: State | None = None
        self.listener = listener

    def set(self, state: State, event: str, *, exit_code: int | None = None, detail: str = "") -> None:
        if state == self.state and state != State.EXITED:
            return
        self.state = state
        try:
            write_from_env(state, event=event, source=SOURCE, exit_code=exit_code, detail=detail)
        except OSError:
            # A status file we cannot write must not stop the agent's work; the grid falls
            # back to watching the screen.
            pass
        if self.listener is not None:
            self.listener(state, event)

    def working(self, event: str) -> None:
        self.set(State.WORKING, event)

    def needs_input(self, event: str, detail: str = "") -> None:
        self.set(State.NEEDS_INPUT, event, detail=detail)

    def idle(self, event: str, detail: str = "") -> None:
        self.set(State.IDLE, event, detail=detail)

    def exited(self, code: int, detail: str = "") -> None:
        self.set(State.EXITED, "exit", exit_code=code, detail=detail)

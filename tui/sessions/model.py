"""What loupe records about a session, and what it observes of one.

Where a session's files live is its host's business (`tui.sessions.host`); a `Session`
only names its host.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

from tui.sessions.status_file import State

PORTS_PER_SESSION = 10
LOCAL_HOST = "local"
# `Session.end_reason` values, and what each means to a reader.
KILLED = "killed"
INTERRUPTED = "interrupted"
END_DETAILS = {
    KILLED: "killed: its tmux window is gone (the tmux server ended or the window was killed)",
    INTERRUPTED: "start interrupted: `loupe session start` ended before the agent ran; "
                 "`loupe session rm` removes its worktree and unused branch",
}


@dataclass
class Session:
    id: str
    repo: Path
    number: int
    agent: str
    status_source: str
    task: str
    branch: str
    worktree: Path
    worktree_name: str
    base_commit: str
    # The local branch `land` goes onto; empty when the session started from a bare commit.
    base_branch: str
    tmux_socket: str
    port_base: int
    created_at: float = field(default_factory=time.time)
    prompt: str = ""
    task_dir: Path | None = None
    command: str = ""
    base_ref: str = "HEAD"
    ended_at: float | None = None
    exit_code: int | None = None
    removed_at: float | None = None
    # Which host it runs on: "local", or a `[hosts.NAME]` of the config.
    host: str = LOCAL_HOST
    # When loupe was asked to stop it (so its end reads "stopped", not a crash's code).
    stopped_at: float | None = None
    # The task phase it was started for ("research"...), "" for a plain session.
    phase: str = ""
    # The artifact it was started to write, relative to `task_dir` ("" for none).
    output: str = ""
    # When its host said its window exists; until then a session without a window is
    # starting, not exited.
    launched_at: float | None = None
    # How it ended when that was not its own exit: "killed" (its window vanished: the tmux
    # server ended or the window was killed), "interrupted" (its start was killed before the
    # agent ran); "" otherwise.
    end_reason: str = ""
    # The process (on this machine) of the `loupe session start` that is starting it; once
    # that has ended without `launched_at`, the start was interrupted.
    start_pid: int | None = None

    @property
    def in_place(self) -> bool:
        """It runs in the main checkout's task folder (a documents-only phase): no worktree
        of its own, no branch, nothing to land, and nothing there is ever deleted."""
        return not self.worktree_name

    @property
    def tmux_session(self) -> str:
        return f"loupe-{self.id}"

    @property
    def ports(self) -> range:
        return range(self.port_base, self.port_base + PORTS_PER_SESSION)

    @property
    def label(self) -> str:
        return f"{self.number} {self.agent} · {self.task}"


@dataclass(frozen=True)
class Snapshot:
    """A session as it is now: the record plus its observed state."""

    session: Session
    state: State
    exit_code: int | None = None
    # When the session entered this state (seconds since the epoch).
    since: float = 0.0
    # Increases each time the session starts waiting for the user; one notification each.
    wait_id: int = 0
    # The screen (with ANSI colours) when it was captured on this poll, else None.
    screen: str | None = None
    source: str = "screen"
    detail: str = ""
    queued: int = 0
    # While it needs input: what it asks (its prompt line, or what a hook said).
    question: str = ""
    # Queued texts given up on ("not delivered"); `SessionStore.undelivered` says why.
    undelivered: int = 0

    @property
    def needs_you(self) -> bool:
        return self.state is State.NEEDS_INPUT

    @property
    def live(self) -> bool:
        return self.state is not State.EXITED

    @property
    def stopped(self) -> bool:
        """It ended because loupe stopped it (its code is then the signal that did)."""
        return self.state is State.EXITED and self.session.stopped_at is not None

    @property
    def killed(self) -> bool:
        """Its window vanished under it (tmux server ended, window killed): it did not exit,
        and any code is only what its wrapper recorded as it went."""
        return (self.state is State.EXITED and not self.stopped
                and (self.source == "gone" or self.session.end_reason == KILLED))

    @property
    def interrupted(self) -> bool:
        """Its start was killed before its agent ran: a worktree and branch with no agent."""
        return self.state is State.EXITED and (self.source == "interrupted"
                                               or self.session.end_reason == INTERRUPTED)

    def elapsed(self, now: float | None = None) -> float:
        end = self.session.ended_at if self.state is State.EXITED and self.session.ended_at else None
        return max(0.0, (end or now or time.time()) - self.session.created_at)


def format_elapsed(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m{seconds:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m"
    return f"{hours // 24}d{hours % 24:02d}h"

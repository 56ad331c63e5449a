"""Stopping sessions that have sat idle too long: `idle_stop_minutes` of a host or an agent.

    [hosts.gpu]
    idle_stop_minutes = 30      # sessions on gpu
    [agents.claude]
    idle_stop_minutes = 60      # claude sessions anywhere (the smaller of the two wins)

An agent waiting at its prompt with nothing to do still holds its machine (a GPU box, a
paid devbox). After that long idle it is stopped: its processes end; its worktree, branch,
last screen and record stay, so nothing is lost and it can be looked at, landed or removed
later. Never stopped: a session that needs you (a question waits for its answer however
long), one with text queued for it (it is about to get work), one whose host cannot be
reached (its state is not known), and one that is working.

The app's monitor asks `due` on each tick, with the snapshots it just took; the clock is
injected so tests move time instead of waiting.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from tui.config import Config
from tui.sessions.model import Session, Snapshot
from tui.sessions.status_file import State


class IdleStop:
    def __init__(self, config: Config, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        # Seconds since the epoch, as `Snapshot.since` is.
        self.clock = clock

    def limit(self, session: Session) -> float | None:
        """Seconds idle after which `session` is stopped; None: never."""
        host = self.config.hosts.get(session.host)
        agent = self.config.agents.get(session.agent)
        minutes = [m for m in (host.idle_stop_minutes if host else 0, agent.idle_stop_minutes if agent else 0)
                   if m > 0]
        return min(minutes) * 60.0 if minutes else None

    def due(self, snapshots: Sequence[Snapshot]) -> list[Session]:
        """The sessions of `snapshots` that have been idle past their limit."""
        now = self.clock()
        found = []
        for snapshot in snapshots:
            if snapshot.state is not State.IDLE or snapshot.queued:
                continue
            limit = self.limit(snapshot.session)
            if limit is not None and now - snapshot.since >= limit:
                found.append(snapshot.session)
        return found

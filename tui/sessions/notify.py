"""One notification per wait: which sessions have just started waiting for their user, told
once on every channel.

A wait begins when a session enters needs-input. It is the same wait, not a new one, while
the session keeps asking the same question, and when its screen only looked busy for a
moment before asking the same question again within `FLICKER` seconds (a redraw, a resize
by an attaching client). A wait settles when the session goes idle or exits, or its agent
itself says it works (a hook): the next question is a new wait, even the same one. A
session whose host cannot be reached, or that is starting, has not stopped waiting. What is waiting is kept in the session store
(`WaitLedger`), so neither a restarted loupe nor a second one announces a wait again.

A wait that already stands when a notifier first sees its session (loupe just started) is
recorded but not announced: the grid counts it.

`Notifier.observe` takes each poll's snapshots and returns the new waits. The caller (the
app) rings the bell and shows them, and writes `terminal_sequence(wait)` to its terminal.
The desktop and `[notifications] command` are told here, off the caller's thread, each at
most once per session per `min_interval` and `per_minute` times a minute in all.
"""

from __future__ import annotations

import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from tui.config import NotificationsConfig
from tui.sessions.model import Snapshot
from tui.sessions.notify_channels import (ChannelFailed, CommandChannel, DesktopChannel, Message, clean,
                                          terminal_kind, terminal_sequence)
from tui.sessions.status_file import State
from tui.sessions.wait_ledger import WaitLedger

# A session that asks the same question again within this long never stopped waiting.
FLICKER = 3.0
# States that end a wait. UNREACHABLE and STARTING say nothing about it.
_NOT_WAITING = (State.WORKING, State.IDLE, State.EXITED)
# What a notifier last saw of a session's wait: waiting; away, but only the screen looked
# busy; settled.
_WAITING, _AWAY, _SETTLED = "waiting", "away", "settled"


@dataclass(frozen=True)
class Wait:
    session_id: str
    number: int
    agent: str
    task: str
    question: str
    began_at: float

    @property
    def message(self) -> Message:
        title = f"Session {self.number} ({clean(self.agent, 30)}) needs you"
        body = clean(self.question) or "waiting for your answer"
        return Message(title=title, body=f"{body} · {clean(self.task, 60)}", session_id=self.session_id,
                       number=self.number)


class RateLimit:
    """At most one per session per `min_interval`, and `per_minute` in all."""

    def __init__(self, min_interval: float, per_minute: int) -> None:
        self.min_interval = min_interval
        self.per_minute = per_minute
        self._last: dict[str, float] = {}
        self._recent: deque[float] = deque()

    def allow(self, session_id: str, now: float) -> bool:
        while self._recent and now - self._recent[0] >= 60.0:
            self._recent.popleft()
        if now - self._last.get(session_id, -1e18) < self.min_interval or len(self._recent) >= self.per_minute:
            return False
        self._last[session_id] = now
        self._recent.append(now)
        return True


class Notifier:
    def __init__(
        self,
        settings: NotificationsConfig,
        ledger: WaitLedger,
        *,
        channels: list[DesktopChannel | CommandChannel] | None = None,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.ledger = ledger
        environ = os.environ if environ is None else environ
        self._clock = clock
        self._channels = channels if channels is not None else default_channels(settings, environ)
        self._limits = {channel.name: RateLimit(settings.min_interval, settings.per_minute)
                        for channel in self._channels}
        self._terminal = terminal_kind(settings.terminal, environ)
        self._in_tmux = bool(environ.get("TMUX"))
        # By session id: what this loupe last saw of its wait (absent: not seen yet).
        self._waiting: dict[str, str] = {}
        self._pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="loupe-notify")
        self._lock = threading.Lock()
        self._problems: list[str] = []

    def observe(self, snapshots: Iterable[Snapshot]) -> list[Wait]:
        """The waits that begin with these snapshots; the desktop and the command are told."""
        now = self._clock()
        new: list[Wait] = []
        for snapshot in snapshots:
            sid = snapshot.session.id
            was = self._waiting.get(sid)
            if snapshot.state is State.NEEDS_INPUT:
                self._waiting[sid] = _WAITING
                # A wait that stood before this loupe first looked is counted, not announced.
                if was != _WAITING and self.ledger.begin(sid, snapshot.question, now, flicker=FLICKER) \
                        and was is not None:
                    new.append(_wait(snapshot, now))
            elif snapshot.state in _NOT_WAITING:
                settled = snapshot.state is not State.WORKING or snapshot.source != "screen"
                now_is = _SETTLED if settled or was == _SETTLED else _AWAY
                if now_is != was:
                    self.ledger.end(sid, now, settled=now_is == _SETTLED)
                self._waiting[sid] = now_is
        for wait in new:
            self._tell(wait, now)
        return new

    def terminal_sequence(self, wait: Wait) -> str:
        """What the app writes to its terminal for `wait` ("" when the terminal has no
        notifications loupe knows of, or they are off)."""
        return terminal_sequence(self._terminal, wait.message, in_tmux=self._in_tmux)

    def problems(self) -> list[str]:
        """Failures of the desktop or the command since the last call, for the user."""
        with self._lock:
            found, self._problems = self._problems, []
        return found

    def forget(self, session_id: str) -> None:
        self._waiting.pop(session_id, None)
        self.ledger.forget(session_id)

    def close(self) -> None:
        """Wait for notifications under way (each program is killed after its timeout)."""
        self._pool.shutdown(wait=True)

    def _tell(self, wait: Wait, now: float) -> None:
        message = wait.message
        for channel in self._channels:
            if self._limits[channel.name].allow(wait.session_id, now):
                self._pool.submit(self._send, channel, message)

    def _send(self, channel: DesktopChannel | CommandChannel, message: Message) -> None:
        try:
            channel.send(message)
        except ChannelFailed as exc:
            with self._lock:
                self._problems.append(str(exc))


def default_channels(settings: NotificationsConfig, environ: Mapping[str, str]) -> list[DesktopChannel | CommandChannel]:
    channels: list[DesktopChannel | CommandChannel] = []
    desktop = DesktopChannel.find(environ.get("PATH")) if settings.desktop else None
    if desktop is not None:
        channels.append(desktop)
    if settings.command:
        channels.append(CommandChannel(settings.command, environ))
    return channels


def _wait(snapshot: Snapshot, now: float) -> Wait:
    session = snapshot.session
    return Wait(session_id=session.id, number=session.number, agent=session.agent, task=session.task,
                question=snapshot.question, began_at=now)

"""Typing into sessions: at once, or queued until the session is ready for it.

`Delivery` belongs to a `SessionManager`, which hands it the store, the observer, the agent
kinds, and ways to poll the sessions, find a session's host and say the store changed.
Queued text (a `--when-idle` message, or the first prompt of an agent that cannot take it
on its command line) lives in the store and is claimed atomically, so two loupes never type
one twice. It is typed in only when the agent can read it:

- the session is idle, and, when its kind knows its input prompt (`ready` in
  `presets.toml`), that prompt is on the last line of the screen;
- nothing typed before is still on its way, and the agent has shown it took the last text
  (each idle spell gets one message).

Then it must arrive: the agent leaves idle, or the text shows on its screen. Text that does
not is typed again once the agent is ready again, up to `ATTEMPTS` times; after that, or when
the agent never shows its input prompt, the text is given up on with a reason
(`SessionStore.undelivered`), which the session's listing shows as "not delivered".
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

from tui.errors import LoupeError
from tui.sessions.errors import HostUnreachable, SessionError
from tui.sessions.host import SessionHost
from tui.sessions.kind import AgentKind
from tui.sessions.model import Session, Snapshot
from tui.sessions.observer import Observer
from tui.sessions.status import screen_lines
from tui.sessions.status_file import State
from tui.sessions.store import QueuedText, SessionStore

# How long typed text has to show it arrived before it is typed again.
CONFIRM_WITHIN = 5.0
ATTEMPTS = 3
# How long an idle agent may go without its input prompt before queued text is given up.
READY_WITHIN = 60.0
# After typing, the next queued text waits until the agent was busy, or this long.
_REDELIVER_AFTER = 5.0
# Enough of a text's first line to recognise it on a screen.
_ECHO_CHARS = 24


@dataclass(frozen=True)
class SendOutcome:
    session: Session
    delivered: bool
    queued: bool
    # The queued text (`SessionStore.queued_state` follows it); None when typed at once.
    queue_id: int | None = None


@dataclass
class _Typed:
    """This process typed into a session: when, and whether the agent was busy since."""

    at: float
    busy: bool = False


class Delivery:
    def __init__(
        self,
        store: SessionStore,
        observer: Observer,
        *,
        poll: Callable[[set[str] | None], list[Snapshot]],
        host_of: Callable[[Session], SessionHost],
        changed: Callable[[], None],
        kinds: dict[str, AgentKind] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.observer = observer
        self.kinds = kinds if kinds is not None else {}
        # Every session as it is now (screens captured for the ids given), a session's host,
        # and what to call whenever the queue changed.
        self._poll = poll
        self._host_of = host_of
        self._changed = changed
        self._clock = clock
        self._typed: dict[str, _Typed] = {}
        # By session id: since when it has been idle without its input prompt.
        self._not_ready: dict[str, float] = {}

    def send(self, targets: list[Session], text: str, *, when_idle: bool = False) -> list[SendOutcome]:
        outcomes = []
        snapshots = {s.session.id: s for s in self._poll({t.id for t in targets})} if targets else {}
        for session in targets:
            snapshot = snapshots.get(session.id)
            if snapshot is None or snapshot.state is State.EXITED:
                raise SessionError(f"session {session.number} ({session.id}) has exited; "
                                   "start a new one to continue")
            if snapshot.state is State.UNREACHABLE and not when_idle:
                raise HostUnreachable(f"session {session.number} ({session.id}): {snapshot.detail}; "
                                      "use --when-idle to queue the text until it is back")
            if snapshot.state is State.STARTING and not when_idle:
                raise SessionError(f"session {session.number} ({session.id}) is still starting; "
                                   "use --when-idle to queue the text until it is ready")
        for session in targets:
            if when_idle:
                queue_id = self.store.enqueue(session.id, text)
                outcomes.append(SendOutcome(session, delivered=False, queued=True, queue_id=queue_id))
            else:
                self._type(session, text)
                outcomes.append(SendOutcome(session, delivered=True, queued=False))
        if when_idle:
            self._changed()
            delivered = {s.id for s in self.deliver_queued(list(snapshots.values()))}
            outcomes = [SendOutcome(o.session, o.session.id in delivered, o.session.id not in delivered,
                                    o.queue_id)
                        for o in outcomes]
        return outcomes

    def _type(self, session: Session, text: str) -> None:
        self._host_of(session).send_text(session, text)
        self.observer.nudge(session.id)

    def deliver_queued(self, snapshots: list[Snapshot]) -> list[Session]:
        """Settle texts typed in before (arrived, typed again, or given up), then type the
        oldest queued text of each session that is ready for it. Returns the sessions typed
        into now."""
        now = self._clock()
        pending = self.store.pending()
        in_flight = self.store.unconfirmed()
        changed = False
        delivered: list[Session] = []
        for snapshot in snapshots:
            sid = snapshot.session.id
            typed = self._typed.get(sid)
            if typed is not None and snapshot.state is not State.IDLE:
                typed.busy = True
            flying = [item for item in in_flight if item.session_id == sid]
            if flying:
                changed |= self._settle(snapshot, flying, now)
                continue
            item = next((q for q in pending if q.session_id == sid), None)
            if item is None or not self._ready(snapshot, item, now):
                continue
            if typed is not None and not typed.busy and now - typed.at < _REDELIVER_AFTER:
                continue
            if not self.store.claim(item.id, at=now):
                continue
            try:
                self._type(snapshot.session, item.text)
            except LoupeError:
                # Not typed (a host that dropped is no SessionError): it stays queued.
                self.store.unclaim(item.id)
                raise
            self._typed[sid] = _Typed(now)
            delivered.append(snapshot.session)
        if delivered or changed:
            self._changed()
        return delivered

    def _ready(self, snapshot: Snapshot, item: QueuedText, now: float) -> bool:
        """Whether the agent can read typed text now; gives `item` up when an idle agent has
        not shown its input prompt for `READY_WITHIN`."""
        sid = snapshot.session.id
        if snapshot.state is not State.IDLE:
            self._not_ready.pop(sid, None)
            return False
        kind = self.kinds.get(snapshot.session.agent)
        rules = kind.screen_rules if kind is not None else None
        if rules is None or rules.ready is None:
            return True
        if rules.is_ready(screen_lines(self.observer.last_screen(sid))):
            self._not_ready.pop(sid, None)
            return True
        since = self._not_ready.setdefault(sid, now)
        if now - since > READY_WITHIN:
            self.store.fail(item.id, f"the agent never showed its input prompt (ready pattern "
                                     f"{rules.ready.pattern!r}); type it in yourself, or fix the "
                                     f"pattern in [agents.{snapshot.session.agent}] ready_pattern")
            self._not_ready.pop(sid, None)
            self._changed()
        return False

    def _settle(self, snapshot: Snapshot, flying: list[QueuedText], now: float) -> bool:
        """Confirm, retype or give up texts typed into one session; say whether any changed."""
        changed = False
        for item in flying:
            if self._arrived(snapshot, item):
                self.store.confirm(item.id)
                changed = True
            elif snapshot.state is State.EXITED or now - (item.typed_at or now) < CONFIRM_WITHIN:
                continue
            elif item.attempts >= ATTEMPTS:
                self.store.fail(item.id, f"typed in {item.attempts} times without reaching the agent "
                                         "(it stayed idle and the text never showed)")
                changed = True
            else:
                self.store.unclaim(item.id)
                changed = True
        return changed

    def _arrived(self, snapshot: Snapshot, item: QueuedText) -> bool:
        """Whether the agent shows it got `item`. Screen activity alone does not count:
        loupe's own typing changes the screen (and reads as working for a moment)."""
        if snapshot.state is State.NEEDS_INPUT:
            return True
        if snapshot.source == "hook" and snapshot.state is State.WORKING:
            return True
        lines = screen_lines(self.observer.last_screen(snapshot.session.id))
        kind = self.kinds.get(snapshot.session.agent)
        if kind is not None and kind.screen_rules.is_busy(lines):
            return True
        return _shows(lines, item.text)


def _shows(lines: list[str], text: str) -> bool:
    """Whether the start of `text` is on the screen's `lines` (spacing aside)."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if not first:
        return True
    wanted = re.sub(r"\s+", " ", first[:_ECHO_CHARS])
    return wanted in re.sub(r"\s+", " ", " ".join(lines))

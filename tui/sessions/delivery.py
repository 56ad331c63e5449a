"""Typing into sessions: at once, or queued until the session is idle.

`Delivery` belongs to a `SessionManager`, which hands it the store, the observer, and ways to
poll the sessions, find a session's host and say the store changed. Queued text lives in
the store and is claimed atomically, so two loupes never deliver one twice; each idle spell
gets one message.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from tui.sessions.errors import HostUnreachable, SessionError
from tui.sessions.host import SessionHost
from tui.sessions.model import Session, Snapshot
from tui.sessions.observer import Observer
from tui.sessions.status_file import State
from tui.sessions.store import SessionStore

# How long after sending text the agent has to show it is busy before idle counts again.
_REDELIVER_AFTER = 5.0


@dataclass(frozen=True)
class SendOutcome:
    session: Session
    delivered: bool
    queued: bool


class Delivery:
    def __init__(
        self,
        store: SessionStore,
        observer: Observer,
        *,
        poll: Callable[[set[str] | None], list[Snapshot]],
        host_of: Callable[[Session], SessionHost],
        changed: Callable[[], None],
    ) -> None:
        self.store = store
        self.observer = observer
        # Every session as it is now (screens captured for the ids given), a session's host,
        # and what to call whenever the queue changed.
        self._poll = poll
        self._host_of = host_of
        self._changed = changed
        # By session id: when text was last typed in, and whether it has been busy since.
        self._deliveries: dict[str, tuple[float, bool]] = {}

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
                self.store.enqueue(session.id, text)
                outcomes.append(SendOutcome(session, delivered=False, queued=True))
            else:
                self._type(session, text)
                outcomes.append(SendOutcome(session, delivered=True, queued=False))
        if when_idle:
            self._changed()
            delivered = {s.id for s in self.deliver_queued(list(snapshots.values()))}
            outcomes = [SendOutcome(o.session, o.session.id in delivered, not (o.session.id in delivered))
                        for o in outcomes]
        return outcomes

    def _type(self, session: Session, text: str) -> None:
        self._host_of(session).send_text(session, text)
        self.observer.nudge(session.id)

    def deliver_queued(self, snapshots: list[Snapshot]) -> list[Session]:
        """Send the oldest queued text of each idle session; one per idle spell."""
        delivered: list[Session] = []
        now = time.time()
        pending = self.store.pending()
        for snapshot in snapshots:
            sid = snapshot.session.id
            last = self._deliveries.get(sid)
            if last is not None and snapshot.state is not State.IDLE:
                self._deliveries[sid] = (last[0], True)
            if snapshot.state is not State.IDLE:
                continue
            if last is not None and not last[1] and now - last[0] < _REDELIVER_AFTER:
                continue
            item = next((q for q in pending if q.session_id == sid), None)
            if item is None or not self.store.claim(item.id):
                continue
            try:
                self._type(snapshot.session, item.text)
            except SessionError:
                self.store.unclaim(item.id)
                raise
            self._deliveries[sid] = (now, False)
            delivered.append(snapshot.session)
        if delivered:
            self._changed()
        return delivered

"""`loupe session send`, and waiting for queued text to reach an agent (`send --when-idle`,
and `start` for an agent that is typed its first prompt)."""

from __future__ import annotations

import time
from typing import Any

from tui import cli_output as out


def await_delivery(manager, queued: dict[int, Any], timeout: float) -> dict[int, str]:
    """Do what the app's monitor does (poll, type queued text in, check it arrived) until
    each queued text is delivered, given up or dropped, or `timeout` seconds pass. Returns
    each one's `SessionStore.queued_state`."""
    states = {qid: manager.store.queued_state(qid) for qid in queued}
    deadline = time.monotonic() + timeout
    while any(state == "pending" for state in states.values()) and time.monotonic() < deadline:
        time.sleep(0.25)
        ids = {queued[qid].id for qid, state in states.items() if state == "pending"}
        manager.deliver_queued([s for s in manager.poll(ids) if s.session.id in ids])
        states = {qid: manager.store.queued_state(qid) for qid in queued}
    return states


def undelivered_reason(manager, session, queue_id: int) -> str:
    found = next((q for q in manager.store.undelivered(session.id) if q.id == queue_id), None)
    return found.failure if found else "the session ended first"


def cmd_send(manager, args) -> int:
    targets = manager.select(args.targets)
    text = " ".join(args.text)
    outcomes = manager.send(targets, text, when_idle=args.when_idle)
    queued = {o.queue_id: o.session for o in outcomes if o.queue_id is not None}
    states = (await_delivery(manager, queued, args.timeout) if queued and not args.no_wait
              else {qid: manager.store.queued_state(qid) for qid in queued})
    by_session = {session.id: states[qid] for qid, session in queued.items()}
    if args.json:
        def numbers(*wanted: str) -> list[int]:
            return [o.session.number for o in outcomes if by_session.get(o.session.id, "delivered") in wanted]

        out.print_json({"delivered": numbers("delivered"), "queued": numbers("pending"),
                     "undelivered": numbers("undelivered", "dropped")})
    else:
        for outcome in outcomes:
            number = outcome.session.number
            state = by_session.get(outcome.session.id, "delivered")
            if state == "pending":
                out.line(f"session {number}: queued; it is typed in when the session is ready for it "
                         "(while loupe runs)")
            elif state in ("undelivered", "dropped"):
                reason = undelivered_reason(manager, outcome.session, outcome.queue_id)
                out.line(f"session {number}: not delivered: {reason}")
            else:
                out.line(f"session {number}: sent")
    if any(state in ("undelivered", "dropped") for state in states.values()):
        return 1
    if any(state == "pending" for state in states.values()) and not args.no_wait:
        out.error("loupe: timed out waiting for the sessions to be ready; the text stays queued")
        return 1
    return 0

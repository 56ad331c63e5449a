"""What every reviewing pane says about its rounds (artifact panes, session diffs): the
summary in its header, and the notices when a round is sent or settles. `key` is the pane's
submit key, named in what it says.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from tui.app_base import AppBase
from tui.review.delivery import Sent
from tui.review.model import Destination, Round, RoundState
from tui.review.tracking import Tracked, count


def round_summary(tracked: Sequence[Tracked], rounds: Mapping[int, Round], key: str) -> str:
    """`draft 2 (r: submit) · round 3 queued: 1 open · 1 addressed`, "" with no comments."""
    parts = []
    draft = next((r for r in rounds.values() if r.is_draft), None)
    if draft is not None:
        in_draft = sum(1 for t in tracked if t.comment.round_id == draft.id)
        if in_draft:
            parts.append(f"draft {in_draft} ({key}: submit)")
    sent = [r for r in rounds.values() if not r.is_draft]
    if sent:
        latest = max(sent, key=lambda r: r.id)
        state = {RoundState.SUBMITTED: "queued",
                 RoundState.UNDELIVERED: f"undelivered ({key}: retry)"}.get(latest.state, "")
        counts = count(t for t in tracked if not rounds[t.comment.round_id].is_draft)
        parts.append(f"round {latest.id}{' ' + state if state else ''}: {counts.label}")
    return " · ".join(parts)


def notify_sent(app: AppBase, sent: object, key: str) -> None:
    """What the submit dialog returned (a `Sent`, or None when cancelled), told to the user."""
    if not isinstance(sent, Sent):
        return
    round_ = sent.round
    if round_.destination is Destination.COPY:
        app.copy_text(sent.text, f"review round {round_.id}")
    elif round_.state is RoundState.UNDELIVERED:
        app.notify(f"Round {round_.id} was not delivered: {round_.error}. It is kept: {key} sends it again.",
                   title="Review", severity="warning", markup=False)
    elif round_.to_thread:
        app.notify(f"Round {round_.id} added to the chat thread.", title="Review", markup=False)
    else:
        where = f"session {sent.session.label}" if sent.session else "the session"
        state = "queued for" if sent.queued else "sent to"
        app.notify(f"Round {round_.id} {state} {where}.", title="Review", markup=False)


def notify_settled(app: AppBase, round_: Round, key: str) -> None:
    """A round that waited in a session's queue was typed in, or could not be."""
    if round_.state is RoundState.UNDELIVERED:
        app.notify(f"Round {round_.id} was not delivered: {round_.error}. {key} sends it again.",
                   title="Review", severity="warning", markup=False)
    else:
        app.notify(f"Round {round_.id} was typed into session {round_.to_session}.", title="Review", markup=False)

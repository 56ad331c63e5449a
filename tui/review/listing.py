"""Rounds and comments as the command line shows them: JSON records and one-line summaries.

Bodies and quotes are other people's text; they are printed through `tui.cli_output`, which
makes control characters visible on a terminal.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tui.review.model import Round, RoundState
from tui.review.store import ReviewStore
from tui.review.tracking import Counts, Tracked, count, track_rounds

if TYPE_CHECKING:
    from tui.review.session_files import FileSource


@dataclass(frozen=True, slots=True)
class RoundView:
    round: Round
    tracked: list[Tracked]

    @property
    def counts(self) -> Counts:
        return count(self.tracked)


def views(store: ReviewStore, rounds: Iterable[Round], sessions: Mapping[str, FileSource]) -> list[RoundView]:
    """Rounds with every comment placed in its file as it is now (a diff's where its session
    runs: `sessions` by id)."""
    rounds = list(rounds)
    tracked = track_rounds(rounds, store.comments(r.id for r in rounds), sessions)
    by_round: dict[int, list[Tracked]] = {r.id: [] for r in rounds}
    for item in tracked:
        by_round[item.comment.round_id].append(item)
    return [RoundView(r, by_round[r.id]) for r in rounds]


def round_record(view: RoundView, *, message: bool = False) -> dict[str, Any]:
    round_ = view.round
    record: dict[str, Any] = {
        "id": round_.id,
        "target": round_.target.kind.value,
        "path": round_.target.path or None,
        "session": round_.target.session_id,
        "state": round_.state.value,
        "verdict": round_.verdict.value if round_.verdict else None,
        "destination": round_.destination.value if round_.destination else None,
        "to_session": round_.to_session,
        "to_thread": round_.to_thread,
        "error": round_.error or None,
        "created_at": round_.created_at,
        "submitted_at": round_.submitted_at,
        "delivered_at": round_.delivered_at,
        "counts": {"open": view.counts.open, "addressed": view.counts.addressed,
                   "orphaned": view.counts.orphaned, "resolved": view.counts.resolved},
        "comments": [comment_record(item) for item in view.tracked],
    }
    if message:
        record["message"] = round_.message
    return record


def comment_record(item: Tracked) -> dict[str, Any]:
    comment, placement = item.comment, item.placement
    resolution = comment.resolution
    return {
        "id": comment.id,
        "round": comment.round_id,
        "kind": comment.kind.value,
        "status": item.status.value,
        "path": comment.path,
        "side": comment.side.value if comment.side else None,
        # Where its text is now (where it was, when orphaned).
        "line": placement.first_line,
        "last_line": placement.last_line,
        "placement": placement.status.value,
        "scope": comment.anchor.scope.value,
        "quote": comment.anchor.quote,
        "question": comment.question or None,
        "body": comment.body,
        "resolution": None if resolution is None else
        {"by": resolution.by, "note": resolution.note, "at": resolution.at},
    }


def round_line(view: RoundView) -> str:
    round_ = view.round
    parts = [f"round {round_.id}", _state(round_), round_.target.label]
    if round_.verdict is not None:
        parts.insert(1, round_.verdict.label)
    parts.append(view.counts.label)
    return " · ".join(parts)


def comment_line(item: Tracked) -> str:
    comment, placement = item.comment, item.placement
    lines = str(placement.first_line) if placement.first_line == placement.last_line \
        else f"{placement.first_line}-{placement.last_line}"
    what = f"answer to: {comment.question}" if comment.question else comment.body
    first = what.strip().split("\n", 1)[0]
    if len(first) > 72:
        first = first[:71] + "…"
    line = f"  [{comment.id}] {item.status.value:<9} {comment.path}:{lines}  {first}"
    if comment.resolution is not None and comment.resolution.note:
        line += f"\n{'':>8}resolved by {comment.resolution.by}: {comment.resolution.note.strip().splitlines()[0]}"
    return line


def _state(round_: Round) -> str:
    if round_.state is RoundState.DRAFT:
        return "draft"
    where = (f"session {round_.to_session}" if round_.to_session
             else f"thread {round_.to_thread}" if round_.to_thread else "the clipboard")
    if round_.state is RoundState.SUBMITTED:
        return f"queued for {where} (sent when it is idle)"
    if round_.state is RoundState.UNDELIVERED:
        return f"NOT delivered to {where}: {round_.error}"
    return f"delivered to {where}"

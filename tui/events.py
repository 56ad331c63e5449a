"""What background work tells the screen: plain, immutable domain events.

Services and watchers run off the UI loop and never call views. They hand an event to their
`Emit` sink, which may be called from any thread; the app's channel (`tui.channel`) turns
each event into a Textual message on the UI loop for the widgets that subscribed to its
type. A new service adds its events here, emits them, and views subscribe: nothing else.

Events carry data only (no callbacks, no widgets) and are never mutated after emitting.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from tui.guard.audit import AuditEntry
    from tui.review.model import Comment, Round
    from tui.phases.runs import PlanRun
    from tui.sessions.diff import DiffStat
    from tui.sessions.model import Snapshot
    from tui.sessions.notify import Wait
    from tui.threads.model import Message


@dataclass(frozen=True)
class Event:
    """Base of every domain event (so a sink's type says what it accepts)."""


Emit = Callable[[Event], None]
# A watcher's body: runs until its stop event is set, reporting through `emit`.
Loop = Callable[[threading.Event, Emit], None]


def nowhere(event: Event) -> None:
    """The sink of services not connected to a screen (tests of one service, the CLI)."""


# -- anything --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Notice(Event):
    """Something the user should read (a failed reply, a config problem); not markup."""

    text: str
    title: str = ""
    severity: Literal["information", "warning", "error"] = "information"
    timeout: float = 8.0


# -- replies (tui.threads.replies) -----------------------------------------------------------


@dataclass(frozen=True)
class ReplyStreaming(Event):
    """A reply began: its streaming message is in the store."""

    thread_id: str
    message: Message


@dataclass(frozen=True)
class ReplyProgress(Event):
    """The reply's content as saved in the store by now (the whole of it, not a delta).

    Views show only what an event carried, so a crash loses nothing that was on screen.
    Whole content rather than deltas: a view that reloaded meanwhile appends only what it
    lacks, whatever order reload and events came in."""

    thread_id: str
    message_id: str
    content: str


@dataclass(frozen=True)
class ReplyFinished(Event):
    """The reply ended (complete, error or cancelled; `message` is None if it never started)
    and its final state is in the store."""

    thread_id: str
    message: Message | None


# -- sessions (tui.sessions.monitor) ---------------------------------------------------------


@dataclass(frozen=True)
class SessionsUpdated(Event):
    """One tick of the session monitor: every session's state, and what it knows of them."""

    snapshots: list[Snapshot]
    # The latest screen of each session: captured this tick, or remembered from before.
    screens: dict[str, str] = field(default_factory=dict)
    # Diff sizes of the sessions in view (refreshed every few seconds).
    stats: dict[str, DiffStat] = field(default_factory=dict)
    # Sessions that were just sent their queued messages.
    delivered: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SessionWait(Event):
    """A session began to wait for the user (the monitor's `Notifier` decides: once per wait,
    never for a redraw). The desktop and the notify command were told already; the app shows
    one notification, rings when `bell`, and writes `terminal` (an OSC 9/777 sequence, "" for
    none) to its terminal."""

    wait: Wait
    bell: bool = False
    terminal: str = ""


@dataclass(frozen=True)
class SessionsFailed(Event):
    """Sessions cannot be listed (no tmux, a broken store): shown where the grid would be."""

    error: str


# -- git guard (tui.guard.follow) ------------------------------------------------------------


@dataclass(frozen=True)
class GuardRefused(Event):
    """An agent's git command was refused by the guard."""

    entry: AuditEntry
    # "session 2 (claude · fix-tests)" when the session store knows the session.
    session_name: str | None = None


@dataclass(frozen=True)
class GuardUnavailable(Event):
    """The audit log cannot be followed (e.g. the data folder is not writable)."""

    path: Path
    error: str


# -- files (tui.tasks.watch, tui.docs.follow) ------------------------------------------------


@dataclass(frozen=True)
class TasksChanged(Event):
    """Something changed under the tasks folder or the last-read snapshots: rescan.

    `paths` are what changed (the scan walks only their tasks); None: look at everything."""

    paths: tuple[Path, ...] | None = None


@dataclass(frozen=True)
class FileChanged(Event):
    """A followed file may have changed: "watch" (a file event) or "poll" (its stat moved)."""

    path: Path
    reason: Literal["watch", "poll"]


# -- review rounds (tui.services.review) -----------------------------------------------------


@dataclass(frozen=True)
class ReviewChanged(Event):
    """The review store changed (this process or another: an agent's `loupe review resolve`):
    panes showing comments look again. `paths` are the documents (`Target.path`) and
    `sessions` the diffs whose rounds changed, when known; None: any may have."""

    stamp: int
    paths: frozenset[str] | None = None
    sessions: frozenset[str] | None = None


@dataclass(frozen=True)
class CommentsResolved(Event):
    """Comments were marked handled since the last look (by an agent, or by you)."""

    comments: tuple[Comment, ...]


@dataclass(frozen=True)
class RoundSettled(Event):
    """A round that waited in a session's queue was delivered, or could not be (its
    session ended): `round.state` says which, `round.error` why."""

    round: Round


# -- phases (tui.services.phases) ------------------------------------------------------------


@dataclass(frozen=True)
class PlanRunsUpdated(Event):
    """The plan runs of the repository's tasks, as saved (finished ones too), after any of
    them changed: a phase started, finished, failed its checks, or the user said go."""

    # Copies made for this event: nobody changes them after it is emitted.
    runs: tuple[PlanRun, ...]


@dataclass(frozen=True)
class PhaseStarted(Event):
    """A phase's session started (from the dialog, or by a plan run moving on)."""

    task_dir: Path
    phase: str
    session_id: str

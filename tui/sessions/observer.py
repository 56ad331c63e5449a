"""Turns what a session's host saw (its window, screen and status report) into `Snapshot`s,
remembering transitions.

One observer lives as long as one loupe (or one CLI command). It remembers, per session,
when the screen last changed (persisted, so a restarted loupe does not see every quiet
session as freshly busy), when the state last changed, and a wait counter that goes up
each time a session starts waiting for the user: the UI notifies once per wait. It reads
nothing of the session itself: its memory is this loupe's, kept under loupe's data folder
whichever host the session runs on.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from tui import locations, private_files
from tui.sessions.agents import AgentKind
from tui.sessions.model import END_DETAILS, INTERRUPTED, KILLED, Session, Snapshot
from tui.sessions.status import DEBOUNCE, ScreenRules, ScreenTracker, resolve, screen_lines, strip_ansi
from tui.sessions.status_file import State, Status
from tui.sessions.tmux import PaneInfo

# Screen-change times are saved at most this often per session (the file is tiny).
_SAVE_EVERY = 2.0
# A session its host has not launched yet reads "starting" this long after it was created;
# after that, a window that never came means the start died half way.
START_GRACE = 120.0


@dataclass
class _Memory:
    tracker: ScreenTracker
    screen: str = ""
    # The screen's non-empty lines, without colours (worked out once per new screen).
    lines: list[str] = field(default_factory=list)
    state: State | None = None
    since: float = 0.0
    wait_id: int = 0
    # What the current (or last) wait asks, and when the session last stopped waiting.
    question: str = ""
    left_wait_at: float = 0.0
    saved_at: float = 0.0
    rules: ScreenRules = field(default_factory=ScreenRules)


def default_memory_dir() -> Path:
    return locations.data_dir() / "screens"


class Observer:
    def __init__(self, kinds: dict[str, AgentKind], *, debounce: float = DEBOUNCE,
                 memory_dir: Path | None = None) -> None:
        self.kinds = kinds
        self.debounce = debounce
        self.memory_dir = memory_dir or default_memory_dir()
        self._memory: dict[str, _Memory] = {}
        self._lock = threading.Lock()

    def _remember(self, session: Session, now: float) -> _Memory:
        memory = self._memory.get(session.id)
        if memory is None:
            tracker = self._load_tracker(session.id) or ScreenTracker(changed_at=now)
            kind = self.kinds.get(session.agent) or AgentKind(session.agent, "")
            memory = _Memory(tracker=tracker, rules=kind.screen_rules, saved_at=now)
            self._memory[session.id] = memory
        return memory

    def nudge(self, session_id: str, now: float | None = None) -> None:
        """Treat the screen as just changed (input was sent), so idle must be seen again."""
        with self._lock:
            memory = self._memory.get(session_id)
            if memory is not None:
                memory.tracker.changed_at = now or time.time()

    def last_screen(self, session_id: str) -> str:
        memory = self._memory.get(session_id)
        return memory.screen if memory else ""

    def observe(
        self,
        session: Session,
        pane: PaneInfo | None,
        screen: str | None,
        now: float,
        queued: int = 0,
        reported: Status | None = None,
    ) -> Snapshot:
        """The session now, from its window (`pane`), the screen captured on this poll (or
        None) and the last status its agent or hooks reported."""
        with self._lock:
            memory = self._remember(session, now)
            if screen is not None:
                if memory.tracker.observe(screen, now) and now - memory.saved_at >= _SAVE_EVERY:
                    self._save_tracker(session.id, memory.tracker)
                    memory.saved_at = now
                if screen != memory.screen:
                    memory.lines = screen_lines(screen)
                memory.screen = screen
            if session.ended_at is not None and pane is None:
                observation_state, code, source = State.EXITED, session.exit_code, "store"
                detail = END_DETAILS.get(session.end_reason, "")
            elif pane is None and session.launched_at is None:
                if now - session.created_at < START_GRACE and not start_died(session):
                    observation_state, code, source, detail = State.STARTING, None, "store", ""
                else:
                    observation_state, code, source = State.EXITED, None, "interrupted"
                    detail = END_DETAILS[INTERRUPTED]
            elif pane is None and session.stopped_at is None:
                # With remain-on-exit a window outlives its agent: one that is gone was killed.
                # What the wrapper recorded, if anything, is the code of that dying agent.
                code = reported.exit_code if reported is not None and reported.state is State.EXITED else None
                observation_state, source, detail = State.EXITED, "gone", END_DETAILS[KILLED]
            else:
                plain_state = memory.tracker.state(memory.lines, memory.rules, now, self.debounce)
                observation = resolve(
                    status_source=session.status_source,
                    reported=reported,
                    pane=pane,
                    screen_state=plain_state,
                    screen_changed_at=memory.tracker.changed_at,
                    debounce=self.debounce,
                    screen_busy=memory.rules.is_busy(memory.lines),
                )
                observation_state = observation.state
                code, source, detail = observation.exit_code, observation.source, observation.detail
            if observation_state is not memory.state:
                self._save_tracker(session.id, memory.tracker)
                if observation_state is State.NEEDS_INPUT:
                    self._begin_wait(memory, source, detail, now)
                elif memory.state is State.NEEDS_INPUT:
                    memory.left_wait_at = now
                memory.state = observation_state
                memory.since = now
            return Snapshot(
                session=session,
                state=observation_state,
                exit_code=code,
                since=memory.since,
                wait_id=memory.wait_id,
                screen=screen,
                source=source,
                detail=detail,
                queued=queued,
                question=memory.question if observation_state is State.NEEDS_INPUT else "",
            )

    def _begin_wait(self, memory: _Memory, source: str, detail: str, now: float) -> None:
        """Count a new wait, unless the screen only flickered while the same question stood.

        A redraw (the window resized by an attaching client, a blinking cursor) makes the
        screen "busy" for a moment, and then the same prompt reads as a new wait: that would
        notify the user twice for one question. Hooks say exactly when a wait begins, so
        theirs always count.
        """
        question = detail if source == "hook" else (memory.rules.asks(memory.lines) or plain_tail(memory.screen, 1))
        flicker = (source != "hook" and question == memory.question
                   and now - memory.left_wait_at < self.debounce)
        if memory.state is not None and not flicker:
            memory.wait_id += 1
        memory.question = question

    def forget(self, session_id: str) -> None:
        with self._lock:
            self._memory.pop(session_id, None)
            self._tracker_file(session_id).unlink(missing_ok=True)

    def _tracker_file(self, session_id: str) -> Path:
        return self.memory_dir / f"{session_id}.json"

    def _load_tracker(self, session_id: str) -> ScreenTracker | None:
        try:
            data = json.loads(self._tracker_file(session_id).read_text(encoding="utf-8"))
            return ScreenTracker(digest=str(data["digest"]), changed_at=float(data["changed_at"]))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def _save_tracker(self, session_id: str, tracker: ScreenTracker) -> None:
        try:
            path = self._tracker_file(session_id)
            if not path.parent.is_dir():
                private_files.store_folder(path)
            # Private from the first byte; another loupe saving the same session's memory at
            # the same moment writes its own temporary file.
            private_files.write_private(
                path, json.dumps({"digest": tracker.digest, "changed_at": tracker.changed_at}))
        except OSError:
            pass


def start_died(session: Session) -> bool:
    """Whether the `loupe session start` that is starting `session` has ended without
    launching it (killed). Only its own machine can tell; elsewhere, after START_GRACE."""
    from tui.sessions.starting import starter_alive

    return not starter_alive(session)


def plain_tail(screen: str, lines: int = 3) -> str:
    kept = [line.rstrip() for line in strip_ansi(screen).splitlines() if line.strip()]
    return "\n".join(kept[-lines:])

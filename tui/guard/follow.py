"""Follow the guard's audit log and report each new refusal as a `GuardRefused` event.

The log is followed with watchfiles (file events can be dropped, so it is also re-read every
couple of seconds). Refusals from before the app started are in the audit view, not news.
"""

from __future__ import annotations

import threading
from pathlib import Path

from tui.events import Emit, GuardRefused, GuardUnavailable
from tui.guard.audit import default_path, read_from

# Seconds between re-reads when no file event arrives.
POLL_SECONDS = 2.0


class AuditFollower:
    def __init__(self, audit_log: Path | None = None) -> None:
        self.audit_log = audit_log or default_path()
        # Set once the log is being followed: refusals from then on are reported.
        self.following = threading.Event()

    def run(self, stop: threading.Event, emit: Emit) -> None:
        """Report new refusals until `stop` is set."""
        try:
            self._follow(stop, emit)
        except OSError as exc:  # an unwritable data folder must not take the app down
            emit(GuardUnavailable(self.audit_log, str(exc)))

    def _follow(self, stop: threading.Event, emit: Emit) -> None:
        import watchfiles

        folder = self.audit_log.parent
        folder.mkdir(parents=True, exist_ok=True)
        offset = self.audit_log.stat().st_size if self.audit_log.exists() else 0
        changes = watchfiles.watch(
            folder,
            stop_event=stop,
            debounce=100,
            rust_timeout=int(POLL_SECONDS * 1000),
            yield_on_timeout=True,
            recursive=False,
        )
        self.following.set()
        for _ in changes:
            entries, offset = read_from(self.audit_log, offset)
            for entry in entries:
                emit(GuardRefused(entry, session_name(entry.session)))
            if stop.is_set():
                break


def session_name(session_id: str | None) -> str | None:
    """How the session grid names a session ("session 2 (claude · fix-tests)"), if known.

    Reads the session store (never creates it): call it off the UI loop.
    """
    if not session_id:
        return None
    from tui.errors import LoupeError
    from tui.sessions.store import SessionStore, default_store_path

    path = default_store_path()
    if not path.exists():
        return None
    try:
        session = SessionStore(path).get(session_id)
    except (LoupeError, OSError):
        return None
    if session is None:
        return None
    return f"session {session.number} ({session.agent} · {session.task})"

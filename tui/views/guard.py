"""Watches the git guard's audit log and tells the user when an agent's push was refused.

Invisible: it owns a thread that follows the log with watchfiles (file events can be
dropped, so it also re-reads every couple of seconds), turns each new line into a
`GuardView.Refused` message, and shows a notification naming the session. The message
bubbles, so other views (the session grid) can react to it too.

The thread is a plain daemon thread, not a Textual worker: it lives as long as the screen,
and `app.workers.wait_for_complete()` (which waits for every worker) must not wait for it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from pathlib import Path

from textual.message import Message
from textual.widget import Widget

from tui.guard.audit import AuditEntry, default_path, read_from
from tui.views.startup import after_startup

# Seconds between re-reads when no file event arrives.
POLL_SECONDS = 2.0


class GuardView(Widget):
    DEFAULT_CSS = "GuardView { display: none; }"

    class Unavailable(Message):
        """The audit log cannot be followed (e.g. the data folder is not writable)."""

        def __init__(self, error: str) -> None:
            super().__init__()
            self.error = error

    class Refused(Message):
        """An agent's git command was refused by the guard."""

        def __init__(self, entry: AuditEntry, session_name: str | None = None) -> None:
            super().__init__()
            self.entry = entry
            # "session 2 (claude · fix-tests)" when the session store knows the session.
            self.session_name = session_name

    def __init__(self, audit_log: Path | None = None, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.audit_log = audit_log or default_path()
        self._stop = threading.Event()
        # Set once the log is being followed: refusals from then on are notified.
        self.following = threading.Event()
        self._thread: threading.Thread | None = None

    def on_mount(self) -> None:
        # The thread's watchfiles import waits until the first screen is shown.
        after_startup(self, self._start)

    def _start(self) -> None:
        if self._stop.is_set():
            return
        self._thread = threading.Thread(target=self._follow, name="loupe-guard-audit", daemon=True)
        self._thread.start()

    def on_unmount(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def _follow(self) -> None:
        """Thread: post a message per new audit line until unmounted."""
        try:
            self._follow_log()
        except OSError as exc:  # an unwritable data folder must not take the app down
            self.post_message(self.Unavailable(str(exc)))

    def _follow_log(self) -> None:
        import watchfiles

        folder = self.audit_log.parent
        folder.mkdir(parents=True, exist_ok=True)
        # Refusals from before the app started are in the audit view, not notifications.
        offset = self.audit_log.stat().st_size if self.audit_log.exists() else 0
        changes = watchfiles.watch(
            folder,
            stop_event=self._stop,
            debounce=100,
            rust_timeout=int(POLL_SECONDS * 1000),
            yield_on_timeout=True,
            recursive=False,
        )
        self.following.set()
        for _ in changes:
            entries, offset = read_from(self.audit_log, offset)
            for entry in entries:
                self.post_message(self.Refused(entry, session_name(entry.session)))
            if self._stop.is_set():
                break

    def on_guard_view_refused(self, message: Refused) -> None:
        self.notify(
            notification_text(message.entry, message.session_name),
            title="Git guard refused a push",
            severity="error",
            timeout=12,
            markup=False,
        )
        from tui.dialogs.guard_log import AuditScreen

        if isinstance(self.app.screen, AuditScreen):
            self.app.screen.reload()

    def on_guard_view_unavailable(self, message: Unavailable) -> None:
        self.notify(
            f"Cannot follow the git guard's log {self.audit_log}: {message.error}. "
            "Refused pushes are still blocked, but will not be announced here.",
            title="Git guard",
            severity="warning",
            markup=False,
        )

    def open_log(self) -> None:
        from tui.dialogs.guard_log import AuditScreen

        if not isinstance(self.app.screen, AuditScreen):
            self.app.push_screen(AuditScreen(self.audit_log))

    def palette_commands(self) -> Iterable[tuple[str, str, Callable[[], object]]]:
        yield (
            "Guard: show refused pushes",
            "Every force push or remote deletion the git guard blocked (ctrl+g)",
            self.open_log,
        )


def session_name(session_id: str | None) -> str | None:
    """How the session grid names a session ("session 2 (claude · fix-tests)"), if known.

    Runs on the follower thread: it reads the session store, and never creates it.
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


def notification_text(entry: AuditEntry, session_name: str | None = None) -> str:
    if session_name:
        who = session_name[0].upper() + session_name[1:]
    elif entry.session:
        who = f"Session {entry.session}"
    else:
        who = "A git command outside any session"
    return f"{who}: `{entry.command_line}` was refused ({entry.summary}).\nctrl+g shows the guard log."

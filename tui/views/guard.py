"""Tells the user when the git guard refused an agent's push, and opens the guard log.

Invisible. The app's audit follower (`tui.guard.follow`) reports each new refusal on the
channel; this view shows a notification naming the session, and refreshes the guard log if
it is open.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from textual import getters, on
from textual.widget import Widget

from tui.app_base import AppBase
from tui.channel import Received, received
from tui.events import GuardRefused, GuardUnavailable
from tui.guard.audit import AuditEntry


class GuardView(Widget):
    app = getters.app(AppBase)

    DEFAULT_CSS = "GuardView { display: none; }"

    def on_mount(self) -> None:
        self.app.channel.subscribe(self, GuardRefused, GuardUnavailable)

    @on(received(GuardRefused))
    def _refused(self, message: Received[GuardRefused]) -> None:
        refused = message.event
        self.notify(
            notification_text(refused.entry, refused.session_name),
            title="Git guard refused a push",
            severity="error",
            timeout=12,
            markup=False,
        )
        from tui.dialogs.guard_log import AuditScreen

        if isinstance(self.app.screen, AuditScreen):
            self.app.screen.reload()

    @on(received(GuardUnavailable))
    def _unavailable(self, message: Received[GuardUnavailable]) -> None:
        self.notify(
            f"Cannot follow the git guard's log {message.event.path}: {message.event.error}. "
            "Refused pushes are still blocked, but will not be announced here.",
            title="Git guard",
            severity="warning",
            markup=False,
        )

    def open_log(self) -> None:
        from tui.dialogs.guard_log import AuditScreen

        if not isinstance(self.app.screen, AuditScreen):
            self.app.push_screen(AuditScreen(self.app.services.guard.audit_log))

    def palette_commands(self) -> Iterable[tuple[str, str, Callable[[], object]]]:
        yield (
            "Guard: show refused pushes",
            "Every force push or remote deletion the git guard blocked (ctrl+g)",
            self.open_log,
        )


def notification_text(entry: AuditEntry, session_name: str | None = None) -> str:
    if session_name:
        who = session_name[0].upper() + session_name[1:]
    elif entry.session:
        who = f"Session {entry.session}"
    else:
        who = "A git command outside any session"
    return f"{who}: `{entry.command_line}` was refused ({entry.summary}).\nctrl+g shows the guard log."

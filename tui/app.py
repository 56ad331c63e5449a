"""The loupe App: registers themes, shows the main screen, and quits the way sessions need."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from rich.console import RenderableType
from textual import events
from textual.app import App
from textual.binding import Binding
from textual.theme import Theme

import themes
from tui import config as config_module
from tui.app_base import AppBase
from tui.commands import LoupeCommands
from tui.quiet_gc import QuietGC
from tui.screens.main import MainScreen
from tui.views.documents import DocumentsView
from tui.services import Services
from tui.workspace import Workspace
from widgets import strip_cycles

if TYPE_CHECKING:
    from tui.sessions.model import Session


# Work queued with `after_startup` starts after this long even if the task list never reports.
STARTUP_FALLBACK_SECONDS = 2.0
# Seconds after the first screen before what the views loaded by then is frozen as well.
GC_SETTLED_AFTER = 5.0
_settled_frozen = False
# Seconds between checks for a full collection that waits for a pause in input (tui.quiet_gc).
QUIET_GC_TICK = 0.25


def freeze_settled_objects() -> bool:
    """Freeze what the views loaded after the first frame; once per process.

    A full collection walks every tracked object with the GIL held, so every thread stops
    and a key pressed meanwhile waits. The first freeze (`startup_shown`) leaves
    out what views load just after it and keep for the whole run (documents, session tiles
    and their monitor). With those frozen too (after one collection, so no garbage is kept),
    full collections under session load measured 3 ms of CPU instead of 11-12 ms (and
    15-45 ms with no freeze at all). Returns whether it froze.
    """
    global _settled_frozen
    if _settled_frozen:
        return False
    _settled_frozen = True
    gc.collect()
    gc.freeze()
    return True


class LoupeApp(AppBase):
    TITLE = "loupe"
    CSS_PATH = themes.TCSS_PATHS
    COMMANDS = App.COMMANDS | {LoupeCommands}
    BINDING_GROUP_TITLE = "Everywhere"
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
        Binding("f1", "help", "Help", id="app.help"),
        # Not where text is typed (an input takes it), nor while the task list is filtered.
        Binding("question_mark", "help", "Help", show=False, id="app.help_question"),
    ]

    def __init__(
        self,
        workspace: Workspace,
        *,
        remember_theme: bool = True,
        clock: Callable[[], float] = time.time,
        services: Services | None = None,
    ) -> None:
        super().__init__(services or Services(workspace), clock=clock)
        # Painted lines go when the screen drops them, not at the next full collection.
        strip_cycles.install()
        self._quiet_gc = QuietGC()
        # Tests switch themes without writing to the user's config.
        self._remember_theme = remember_theme
        self.sub_title = str(workspace.root)
        # Registered and chosen before the first stylesheet pass: switching themes later, in
        # on_mount, would compute every style twice before the first frame.
        for theme in themes.THEMES:
            self.register_theme(theme)
        if workspace.config.general.theme in self.available_themes:
            self.theme = workspace.config.general.theme

    @property
    def workspace(self) -> Workspace:
        return self.services.workspace

    def get_default_screen(self) -> MainScreen:
        return MainScreen()

    def on_mount(self) -> None:
        self.set_timer(STARTUP_FALLBACK_SECONDS, self.startup_shown)
        wanted = self.workspace.config.general.theme
        if wanted in self.available_themes:
            if self.theme != wanted:
                self.theme = wanted
        else:
            self.theme = themes.DEFAULT_THEME
            self.notify(
                f"Unknown theme '{wanted}' in config; using {themes.DEFAULT_THEME}. "
                f"Known themes: {', '.join(sorted(self.available_themes))}.",
                severity="warning", markup=False,
            )
        for problem in self.workspace.config_problems:
            # Key names and values come from files a repository may have written: text, not markup.
            self.notify(str(problem), title="Config problem", severity="warning", timeout=10, markup=False)
        self.theme_changed_signal.subscribe(self, self._remember_theme_choice)

    def started(self) -> None:
        # `loupe` pauses garbage collection while it starts (see `tui.cli._run_app`). What
        # startup allocated lives as long as the app: freeze it so no collection scans it.
        if not gc.isenabled():
            gc.freeze()
            gc.enable()
        # Not in tests: they run many apps in one process, and would keep the first one's
        # objects; nor would they want another app's collection policy.
        if not self.is_headless:
            self.set_timer(GC_SETTLED_AFTER, freeze_settled_objects)
            self._quiet_gc.install()
            self.set_interval(QUIET_GC_TICK, self._quiet_gc.tick, name="quiet-gc")

    def on_unmount(self) -> None:
        self._quiet_gc.uninstall()

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.InputEvent):
            self._quiet_gc.input_seen()
        await super().on_event(event)

    def exit(self, result: None = None, return_code: int = 0, message: RenderableType | None = None) -> None:
        # Before the screens are taken down: the document tabs still say where each reader is.
        if self.screen_stack:
            for documents in self.screen_stack[0].query(DocumentsView):
                try:
                    documents.keep_open_tabs()
                except OSError as error:
                    self.log.warning(f"open tabs not kept: {error}")
        super().exit(result, return_code, message)

    def action_help(self) -> None:
        """The keys that work where the user is (F1 or ?; the same key closes them)."""
        from tui.dialogs.help import HelpScreen, keys_here

        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss(None)
            return
        self.push_screen(HelpScreen(keys_here(self.screen)))

    def action_quit(self) -> None:
        """Quit, first asking about messages written but not sent, then saying that running
        agents keep running (and offering to stop them)."""
        unsent = [item for documents in self.screen_stack[0].query(DocumentsView)
                  for item in documents.unsent_everywhere()]
        if not unsent:
            self._quit_sessions()
            return
        from tui.dialogs.confirm import ConfirmScreen

        title, lost = unsent[0]
        more = f" So do {len(unsent) - 1} more tab(s)." if len(unsent) > 1 else ""
        self.push_screen(
            ConfirmScreen("Quit loupe?", f"“{title}”: {lost}{more} Quitting discards it.", confirm="Quit"),
            lambda quit: self._quit_sessions() if quit else None,
        )

    def _quit_sessions(self) -> None:
        sessions = self.services.sessions
        live = sessions.live()
        if not live or sessions.manager is None:
            self.exit()
            return
        lines = [f"{s.session.number} {s.session.agent} · {s.session.task} ({s.state.value})" for s in live]

        def chosen(choice: str | None) -> None:
            if choice == "keep":
                self.exit()
            elif choice == "stop":
                self.notify(f"Stopping {len(live)} session(s)...")
                self.run_worker(partial(self._stop_and_exit, [s.session for s in live]), thread=True,
                                group="quit", exit_on_error=False)

        from tui.dialogs.sessions import QuitSessionsScreen

        self.push_screen(QuitSessionsScreen(lines, sessions.manager.socket), chosen)

    def _stop_and_exit(self, sessions: list[Session]) -> None:
        from tui.views.session_actions import notify_stopped

        notify_stopped(self, sessions, self.services.sessions.stop(sessions))
        self.call_later(self.exit)

    def _remember_theme_choice(self, theme: Theme) -> None:
        if not self._remember_theme or theme.name == self.workspace.config.general.theme:
            return
        self.workspace.config.general.theme = theme.name
        self.run_worker(
            lambda: config_module.set_user_value("general", "theme", theme.name),
            thread=True,
            group="remember-theme",
            exclusive=True,
        )

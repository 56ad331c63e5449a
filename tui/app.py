"""The loupe App: registers themes, holds the workspace, and shows the main screen."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable

from textual.app import App
from textual.binding import Binding
from textual.theme import Theme

import themes
from tui import config as config_module
from tui.commands import LoupeCommands
from tui.screens.main import MainScreen
from tui.workspace import Workspace


# Seconds after the first screen before what the views loaded by then is frozen as well.
GC_SETTLED_AFTER = 5.0
_settled_frozen = False


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


# Work queued with `after_startup` starts after this long even if the task list never reports.
STARTUP_FALLBACK_SECONDS = 2.0


class LoupeApp(App[None]):
    TITLE = "loupe"
    CSS_PATH = themes.TCSS_PATHS
    COMMANDS = App.COMMANDS | {LoupeCommands}
    BINDINGS = [
        Binding("ctrl+q", "quit", "Quit", id="app.quit", priority=True),
    ]

    def __init__(
        self,
        workspace: Workspace,
        *,
        remember_theme: bool = True,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.workspace = workspace
        # What "now" is for relative times ("5m ago"); snapshot tests freeze it.
        self.clock = clock
        # Tests switch themes without writing to the user's config.
        self._remember_theme = remember_theme
        self._started = False
        self._after_startup: list[Callable[[], object]] = []
        self.sub_title = str(workspace.root)
        # Registered and chosen before the first stylesheet pass: switching themes later, in
        # on_mount, would compute every style twice before the first frame.
        for theme in themes.THEMES:
            self.register_theme(theme)
        if workspace.config.general.theme in self.available_themes:
            self.theme = workspace.config.general.theme

    def get_default_screen(self) -> MainScreen:
        return MainScreen(self.workspace)

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

    def after_startup(self, callback: Callable[[], object]) -> None:
        """Run `callback` once the first screen is shown (see `tui.views.startup`)."""
        if self._started:
            self.call_later(callback)
        else:
            self._after_startup.append(callback)

    def startup_shown(self) -> None:
        """The first screen, task list included, is shown (or it took too long)."""
        if self._started:
            return
        self._started = True
        # `loupe` pauses garbage collection while it starts (see `tui.cli._run_app`). What
        # startup allocated lives as long as the app: freeze it so no collection scans it.
        if not gc.isenabled():
            gc.freeze()
            gc.enable()
        # Not in tests: they run many apps in one process, and would keep the first one's objects.
        if not self.is_headless:
            self.set_timer(GC_SETTLED_AFTER, freeze_settled_objects)
        waiting, self._after_startup = self._after_startup, []
        for callback in waiting:
            self.call_later(callback)

    async def action_quit(self) -> None:
        # Agents keep running after loupe quits; the sessions view says so before quitting.
        from tui.views.sessions import SessionsView

        found = self.screen_stack[0].query(SessionsView) if self.screen_stack else None
        if found:
            found.first().request_quit()
        else:
            self.exit()

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

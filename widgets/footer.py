"""The footer of key bindings, recomposed only when what it shows changes.

Textual's `Footer` recomposes (a few dozen widgets, styled and laid out again) on every
`bindings_updated_signal`, which fires on each focus move and `refresh_bindings`: six times
before a document opened at start is on screen, ~30 ms of CPU each, and as often afterwards.
Most of those leave the keys shown exactly as they were. A footer made `held` shows no keys
until `release()`: the main screen holds it until its first screen is shown, so the keys of
each focus change during startup are not laid out only to be replaced.
"""

from __future__ import annotations

from collections.abc import Iterator

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer

Shown = tuple[tuple[str, str, str, bool, str], ...]


class KeyFooter(Footer):
    def __init__(self, *children: Widget, held: bool = False, **kwargs: object) -> None:
        super().__init__(*children, **kwargs)  # type: ignore[arg-type]
        self._pending = False
        self._held = held
        self._shown: Shown | None = None

    def release(self) -> None:
        """Show the keys from now on (see `held`)."""
        if self._held:
            self._held = False
            self.bindings_changed(self.screen)

    def bindings_changed(self, screen: Screen) -> None:
        if self._held:
            return
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._pending:
            # One recompose for any number of changes before the next refresh.
            self._pending = True
            self.call_after_refresh(self._recompose_if_changed)

    async def _recompose_if_changed(self) -> None:
        self._pending = False
        if self.is_attached and self._keys() != self._shown:
            # As the footer itself (its keys bind to its reactives), whoever asked.
            with self._context():
                await self.recompose()

    def compose(self) -> ComposeResult:
        self._shown = self._keys() if self._bindings_ready else None
        yield from super().compose()

    def _keys(self) -> Shown:
        return tuple(self._each_key())

    def _each_key(self) -> Iterator[tuple[str, str, str, bool, str]]:
        for _, binding, enabled, tooltip in self.screen.active_bindings.values():
            if binding.show:
                yield binding.key, binding.action, binding.description, enabled, tooltip

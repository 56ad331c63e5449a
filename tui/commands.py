"""Command palette provider: every feature view contributes its own commands.

A view that defines `palette_commands()` returning `(title, help, callback)` tuples gets them
listed in the palette, so adding a command never means editing this file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from typing import Protocol

from textual.command import DiscoveryHit, Hit, Hits, Provider

from tui.terminal_text import visible


class HasPaletteCommands(Protocol):
    def palette_commands(self) -> Iterable[tuple[str, str, Callable[[], object]]]: ...


class LoupeCommands(Provider):
    def _commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        found: list[tuple[str, str, Callable[[], object]]] = []
        for node in self.screen.walk_children(with_self=True):
            provider = getattr(node, "palette_commands", None)
            if callable(provider):
                found.extend(provider())
        return found

    async def discover(self) -> Hits:
        for title, help_text, callback in self._commands():
            yield DiscoveryHit(title, callback, help=_help(help_text))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for title, help_text, callback in self._commands():
            score = matcher.match(title)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(callback), help=_help(help_text))


def _help(text: str) -> str:
    """Help text as palette markup that shows it as written: help may name a folder or a file
    (`Read .loupe/[x]/ again`), and the palette parses help as markup. (Titles are loupe's
    own constants.)"""
    return visible(text).replace("[", "\\[")

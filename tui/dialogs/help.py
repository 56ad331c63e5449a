"""Help (F1 or ?): the keys that work where the user is, what each does there, and where.

Listed from the screen's active bindings, the focused widget's first and the whole app's
last, shown in the footer or not. A key is listed once, with the binding that answers it
here (the nearest), so the labels say what the key does in this place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import Static

from tui.dialogs.base import Dialog
from widgets.focus import focus_now

# Class-name endings that say what a class is, not which part of the screen it is.
_KINDS = re.compile(r"(View|Screen|Pane|Document|Widget)$")


@dataclass
class KeyGroup:
    """The keys of one part of the screen: (keys as shown, what they do), in binding order."""

    title: str
    keys: list[tuple[str, str]] = field(default_factory=list)


def group_title(node: DOMNode) -> str:
    """The name of the part of the screen `node` is: its `BINDING_GROUP_TITLE`, else its class
    name in words ("ThreadsView" -> "Threads")."""
    title = getattr(node, "BINDING_GROUP_TITLE", None)
    if title:
        return str(title)
    name = _KINDS.sub("", type(node).__name__.lstrip("_")) or type(node).__name__
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).split()
    return " ".join([words[0]] + [word.lower() for word in words[1:]]) if words else name


def keys_here(screen: Screen[object]) -> list[KeyGroup]:
    """The keys that work on `screen` as it is focused now, grouped, the nearest group first."""
    app = screen.app
    # Per group, per action (in first-seen order): the keys that do it ("up k") and what it does.
    found: dict[str, dict[str, tuple[list[str], str]]] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        if not binding.description or (binding.system and binding.action != "command_palette"):
            continue
        actions = found.setdefault(group_title(active.node), {})
        description = "Commands" if binding.action == "command_palette" else binding.description
        keys, _ = actions.setdefault(binding.action, ([], description))
        shown = app.get_key_display(binding)
        if shown not in keys:
            keys.append(shown)
    return [
        KeyGroup(title, [(" ".join(keys), description) for keys, description in actions.values()])
        for title, actions in found.items()
    ]


def render_groups(groups: list[KeyGroup]) -> Content:
    """The groups as text: a heading each, then the keys in a column and what they do."""
    width = max((cell_len(keys) for group in groups for keys, _ in group.keys), default=0)
    parts: list[Content | str | tuple[str, str]] = []
    for number, group in enumerate(groups):
        if number:
            parts.append("\n\n")
        parts.append((group.title, "bold $text-primary"))
        for keys, description in group.keys:
            pad = " " * (width - cell_len(keys))
            parts += ["\n  ", (pad + keys, "bold $text-accent"), "  ", Content(description)]
    return Content.assemble(*parts)


class HelpScreen(Dialog[None]):
    """The keys where the user was when they asked (F1 or ?); the same keys close it."""

    SIZE = "wide"
    BINDINGS = [
        Binding("f1,question_mark,q", "close", "Close", id="help.close"),
    ]

    def __init__(self, groups: list[KeyGroup]) -> None:
        super().__init__("Keys here")
        self.groups = groups

    def compose_body(self) -> ComposeResult:
        with VerticalScroll(id="help-keys"):
            if self.groups:
                yield Static(render_groups(self.groups), id="help-text")
            else:
                yield Static("No keys here.", id="help-text")
        yield Static("ctrl+p lists every command · esc closes", classes="dialog-body")

    def on_mount(self) -> None:
        focus_now(self.query_one("#help-keys", VerticalScroll))

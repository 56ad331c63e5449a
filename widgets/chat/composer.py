"""The message composer: a multi-line editor that sends on ctrl+s and completes @references.

Enter inserts a newline (messages are often several lines of text or code); ctrl+s sends, and
so does ctrl+enter in terminals that report it (kitty keyboard protocol). Typing `@` offers the
task artifacts the view provides (`set_references`); up/down choose, tab or enter accepts,
escape closes the list.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import OptionList, TextArea
from textual.widgets.option_list import Option

SEND_KEYS = "ctrl+s"
_REFERENCE_AT_CURSOR = re.compile(r"(?:^|(?<=\s))@([\w./-]*)$")
MAX_SUGGESTIONS = 8


def match_references(partial: str, candidates: Sequence[str]) -> list[str]:
    """Candidates for what follows `@`: prefix matches of any path part first, then substrings."""
    needle = partial.lower()
    if not needle:
        return list(candidates[:MAX_SUGGESTIONS])
    starts = [c for c in candidates if c.lower().startswith(needle)]
    parts = [
        c
        for c in candidates
        if c not in starts and any(p.startswith(needle) for p in re.split(r"[/\-_.]", c.lower()))
    ]
    inside = [c for c in candidates if c not in starts and c not in parts and needle in c.lower()]
    return (starts + parts + inside)[:MAX_SUGGESTIONS]


class ComposerInput(TextArea):
    """The editor part; while suggestions are open it hands navigation keys to them."""

    async def _on_key(self, event: events.Key) -> None:
        composer = self.parent
        if isinstance(composer, Composer) and composer.suggesting:
            if event.key in ("up", "down"):
                event.stop()
                event.prevent_default()
                composer.move_suggestion(-1 if event.key == "up" else 1)
                return
            if event.key in ("tab", "enter"):
                event.stop()
                event.prevent_default()
                composer.accept_suggestion()
                return
            if event.key == "escape":
                event.stop()
                event.prevent_default()
                composer.close_suggestions()
                return
        await super()._on_key(event)


class Composer(Vertical):
    DEFAULT_CSS = """
    Composer {
        height: auto;
        max-height: 50%;
    }
    Composer > ComposerInput {
        height: auto;
        min-height: 3;
        max-height: 12;
        border: tall $panel;
    }
    Composer > ComposerInput:focus {
        border: tall $primary 60%;
    }
    Composer > OptionList {
        height: auto;
        max-height: 8;
        border: none;
        display: none;
    }
    Composer.-suggesting > OptionList {
        display: block;
    }
    """

    BINDINGS = [
        Binding(SEND_KEYS, "send", "Send", id="chat.send"),
        Binding("ctrl+enter", "send", "Send", show=False, id="chat.send_enter"),
    ]

    class Submitted(Message):
        """The user sent a message."""

        def __init__(self, composer: Composer, text: str) -> None:
            super().__init__()
            self.composer = composer
            self.text = text

        @property
        def control(self) -> Composer:
            return self.composer

    def __init__(
        self,
        placeholder: str = (
            "Write a message · ctrl+s sends · @task/artifact attaches a doc · "
            "shift+tab selects messages"
        ),
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._placeholder = placeholder
        self._references: list[str] = []

    def compose(self) -> ComposeResult:
        yield OptionList()
        yield ComposerInput(
            placeholder=self._placeholder,
            soft_wrap=True,
            show_line_numbers=False,
            highlight_cursor_line=False,
        )

    @property
    def input(self) -> ComposerInput:
        return self.query_one(ComposerInput)

    @property
    def text(self) -> str:
        return self.input.text

    @text.setter
    def text(self, value: str) -> None:
        self.input.load_text(value)
        self.input.move_cursor(self.input.document.end)

    def focus_input(self) -> None:
        self.input.focus()

    def set_references(self, references: Sequence[str]) -> None:
        """What `@` may complete to, e.g. `auth-rework/02-design`."""
        self._references = list(references)

    def action_send(self) -> None:
        text = self.text
        if not text.strip():
            self.app.bell()
            return
        self.close_suggestions()
        self.post_message(self.Submitted(self, text))

    def clear(self) -> None:
        self.input.clear()

    # -- @reference completion -----------------------------------------------------------

    @property
    def suggesting(self) -> bool:
        return self.has_class("-suggesting")

    @on(TextArea.Changed)
    @on(TextArea.SelectionChanged)
    def _update_suggestions(self) -> None:
        partial = self._partial_reference()
        matches = match_references(partial, self._references) if partial is not None else []
        options = self.query_one(OptionList)
        if not matches:
            self.close_suggestions()
            return
        current = [str(option.prompt) for option in options.options]
        if current != matches:
            options.set_options([Option(f"@{m}", id=m) for m in matches])
            options.highlighted = 0
        self.add_class("-suggesting")

    def _partial_reference(self) -> str | None:
        area = self.input
        row, column = area.cursor_location
        before = area.document.get_line(row)[:column]
        found = _REFERENCE_AT_CURSOR.search(before)
        return found.group(1) if found else None

    def move_suggestion(self, delta: int) -> None:
        options = self.query_one(OptionList)
        if options.option_count:
            current = options.highlighted or 0
            options.highlighted = (current + delta) % options.option_count

    def accept_suggestion(self) -> None:
        options = self.query_one(OptionList)
        index = options.highlighted
        partial = self._partial_reference()
        if index is None or partial is None:
            self.close_suggestions()
            return
        chosen = options.get_option_at_index(index).id or ""
        area = self.input
        row, column = area.cursor_location
        area.replace(f"{chosen} ", (row, column - len(partial)), (row, column))
        self.close_suggestions()

    def close_suggestions(self) -> None:
        self.remove_class("-suggesting")

    @on(OptionList.OptionSelected)
    def _clicked_suggestion(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.query_one(OptionList).highlighted = event.option_index
        self.accept_suggestion()
        self.input.focus()

"""Text from outside (file names, titles, agents' questions, model replies) made safe to show:
never parsed as markup, and every control character shown as a visible stand-in
(`tui.terminal_text.visible`: ESC as `␛`) instead of reaching the terminal.

Textual parses a `str` given to `Static`, `Label`, `TabPane`, `Option`, `border_title` or
`notify` as markup: `[/api/login]` raises MarkupError and `[link=…]` makes a link. And it
passes ESC, C1 controls and most of C0 through to the terminal. So text built from data
is handed over as Content (or rich Text) made here; the app's own styling around it goes
in a constant template whose `$name` variables Textual fills in as plain text.
"""

from __future__ import annotations

from rich.text import Text
from textual.content import Content

from tui.terminal_text import visible


def plain_text(text: str, style: str = "") -> Content:
    """`text` as Content, shown exactly as written (with visible controls), in `style`."""
    return Content.styled(visible(text), style) if style else Content(visible(text))


def plain_rich_text(text: str, style: str = "") -> Text:
    """The same as rich Text, for the widgets that take only that (Tree labels, DataTable)."""
    return Text(visible(text), style)


def with_data(template: str, **data: str) -> Content:
    """The app's own markup `template` (a constant) with each `$name` filled in with
    `data[name]` as plain text: `with_data("[b]$name[/b] · live", name=path.name)`."""
    return Content.from_markup(template, **{name: visible(value) for name, value in data.items()})

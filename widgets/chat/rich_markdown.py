"""Render markdown blocks to Textual `Strip`s with Rich, in the colours of the current theme.

Rich's markdown renderer draws a block in about a millisecond (a 20-line code fence in ~6 ms),
far cheaper than mounting Textual's widget-per-block `Markdown`. Renders are cached by
(source, width, palette) in one bounded cache shared by every chat view, so switching
siblings, reopening a thread or resizing back costs nothing for blocks already seen.
"""

from __future__ import annotations

import io
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar

from markdown_it.token import Token
from rich import box
from rich.console import Console, ConsoleOptions, ConsoleRenderable, RenderResult
from rich.markdown import CodeBlock, Heading, Markdown, MarkdownElement, TableElement
from rich.segment import Segment
from rich.style import Style
from rich.syntax import Syntax
from rich.table import Table
from rich.theme import Theme as RichTheme
from textual.color import Color
from textual.strip import Strip

from tui.terminal_text import visible
from widgets.chat.blocks import PARSER


@dataclass(frozen=True)
class Palette:
    """The few colours markdown needs, taken from the app's theme."""

    name: str
    dark: bool
    primary: str
    secondary: str
    accent: str
    muted: str
    code_background: str

    @property
    def code_theme(self) -> str:
        return "one-dark" if self.dark else "default"

    @classmethod
    def from_variables(cls, name: str, dark: bool, variables: dict[str, str]) -> Palette:
        background = _color(variables.get("background"), "#000000" if dark else "#ffffff")
        panel = _color(variables.get("panel"), "#333333" if dark else "#dddddd")

        def solid(key: str, fallback: str) -> str:
            # Theme variables may carry alpha ("#C0CAF599"); Rich wants opaque colours.
            return (background + _color(variables.get(key), fallback)).hex

        return cls(
            name=name,
            dark=dark,
            primary=solid("primary", "#4f8cff"),
            secondary=solid("secondary", "#b48cff"),
            accent=solid("accent", "#ff9e64"),
            muted=solid("foreground-muted", "#888888"),
            code_background=background.blend(panel, 0.7).hex,
        )

    def rich_theme(self) -> RichTheme:
        code = Style(color=self.accent, bgcolor=self.code_background)
        return RichTheme(
            {
                "markdown.h1": Style(color=self.primary, bold=True, underline=True),
                "markdown.h2": Style(color=self.primary, bold=True),
                "markdown.h3": Style(color=self.secondary, bold=True),
                "markdown.h4": Style(bold=True),
                "markdown.h5": Style(bold=True, italic=True),
                "markdown.h6": Style(italic=True),
                "markdown.code": code,
                "markdown.code_block": code,
                "markdown.block_quote": Style(color=self.muted, italic=True),
                "markdown.item.bullet": Style(color=self.accent, bold=True),
                "markdown.item.number": Style(color=self.accent),
                "markdown.hr": Style(color=self.muted),
                "markdown.link": Style(color=self.primary, underline=True),
                "markdown.link_url": Style(color=self.muted),
                "markdown.table.border": Style(color=self.muted),
                "markdown.table.header": Style(bold=True),
            },
            inherit=True,
        )


def _color(value: str | None, fallback: str) -> Color:
    try:
        return Color.parse(value or fallback)
    except Exception:
        return Color.parse(fallback)


class _LeftHeading(Heading):
    """Headings flush left: a chat reply is not a title page."""

    LEVEL_ALIGN: ClassVar = {f"h{level}": "left" for level in range(1, 7)}


class _CodeBlock(CodeBlock):
    """A fence on a quiet background, without blank padding rows above and below.

    No vertical padding means a fence rendered in chunks while it streams looks the same as
    the fence rendered whole once it closes.
    """

    @classmethod
    def create(cls, markdown: Markdown, token: Token) -> _CodeBlock:
        block = cls((token.info or "").partition(" ")[0] or "text", markdown.code_theme)
        block.background = getattr(markdown, "code_background", None)
        return block

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield code_syntax(str(self.text).rstrip("\n"), self.lexer_name, self.theme, self.background)


def code_syntax(code: str, language: str, theme: str, background: str | None) -> Syntax:
    return Syntax(
        visible(code),  # a reply is data: its escapes are shown, never sent to the terminal
        language or "text",
        theme=theme,
        word_wrap=True,
        padding=(0, 1),
        background_color=background,
    )


class _Table(TableElement):
    """A table that shows all its text: cells wrap where Rich would cut them short with an
    ellipsis, and a table too wide for its columns (Rich gives some no room at all) shows
    each row's cells one under another."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        header = [self.header.row] if self.header is not None and self.header.row is not None else []
        rows = header + (self.body.rows if self.body is not None else [])
        columns = max((len(row.cells) for row in rows), default=0)
        if options.max_width < 4 * columns + 1:
            stacked = Table(box=box.SIMPLE, show_header=False, pad_edge=False, style="markdown.table.border")
            stacked.add_column(overflow="fold")
            for index, row in enumerate(rows):
                for position, cell in enumerate(row.cells):
                    content = cell.content.copy()
                    if index < len(header):
                        content.stylize("markdown.table.header")
                    stacked.add_row(content, end_section=position == len(row.cells) - 1)
            yield stacked
            return
        for renderable in super().__rich_console__(console, options):
            if isinstance(renderable, Table):
                for column in renderable.columns:
                    column.overflow = "fold"
            yield renderable


class ChatMarkdown(Markdown):
    elements: ClassVar[dict[str, type[MarkdownElement]]] = {
        **Markdown.elements,
        "heading_open": _LeftHeading,
        "fence": _CodeBlock,
        "code_block": _CodeBlock,
        "table_open": _Table,
    }

    def __init__(self, markup: str, palette: Palette) -> None:
        # Not `Markdown.__init__`: it builds a markdown-it parser for every render (~0.4 ms,
        # most of a short tail's render) whose rule tables are reference cycles, garbage only
        # a full collection frees. The chat parses with its own rules (raw HTML off, see
        # `blocks.PARSER`), once per process; these are the attributes Rich's init sets.
        # A reply is data: ESC, BEL and C1 controls show as text (␛) and never reach the
        # terminal (an OSC 52 in a reply would set the user's clipboard).
        markup = visible(markup)
        self.markup = markup
        self.parsed = _images_in_place(PARSER.parse(markup))
        self.code_theme = palette.code_theme
        self.justify = None
        self.style = "none"
        self.hyperlinks = False
        self.inline_code_lexer = None
        self.inline_code_theme = palette.code_theme
        self.code_background = palette.code_background


def _images_in_place(tokens: list[Token]) -> list[Token]:
    """Images as a marker and their alt text, where they stand.

    Rich draws an image as a block of its own, out of place: before its paragraph, outside
    its list item. A terminal shows no image anyway.
    """
    for token in tokens:
        if token.type == "inline" and token.children and any(child.type == "image" for child in token.children):
            children: list[Token] = []
            for child in token.children:
                if child.type == "image":
                    children.append(Token("text", "", 0, content="🖼 "))
                    children.extend(child.children or ())
                else:
                    children.append(child)
            token.children = children
    return tokens


_local = threading.local()


def _console() -> Console:
    """A console per thread: rendering pushes themes on a console's stack, which is not shared
    safely between threads. Truecolor output; Textual maps colours to the terminal later."""
    console = getattr(_local, "console", None)
    if console is None:
        console = Console(
            file=io.StringIO(),
            color_system="truecolor",
            force_terminal=True,
            legacy_windows=False,
            markup=False,
            emoji=False,
            highlight=False,
        )
        _local.console = console
    return console


class BlockRenderer:
    """Turns markdown blocks into strips at a width, with a shared LRU cache.

    Safe to use from a worker thread: the chat renders off the UI loop.
    """

    CACHE_SIZE = 4096
    _cache: ClassVar[OrderedDict[tuple[str, str, int, str], list[Strip]]] = OrderedDict()
    _cache_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(self, palette: Palette) -> None:
        self.palette = palette
        self._theme = palette.rich_theme()

    def block(self, source: str, width: int) -> list[Strip]:
        """A finished top-level block: rendered once per width and theme."""
        return self._cached("md", source, width, lambda: ChatMarkdown(source, self.palette))

    def code(self, code: str, language: str, width: int) -> list[Strip]:
        """Lines of a fence that is still open (a chunk of it)."""
        palette = self.palette
        return self._cached(
            f"code:{language}",
            code,
            width,
            lambda: code_syntax(code, language, palette.code_theme, palette.code_background),
        )

    def uncached(self, source: str, width: int) -> list[Strip]:
        """The growing tail: it changes on every update, so caching it would only churn."""
        return self._render(ChatMarkdown(source, self.palette), width)

    def uncached_code(self, code: str, language: str, width: int) -> list[Strip]:
        palette = self.palette
        return self._render(
            code_syntax(code, language, palette.code_theme, palette.code_background), width
        )

    def _cached(
        self, kind: str, source: str, width: int, make: Callable[[], ConsoleRenderable]
    ) -> list[Strip]:
        key = (kind, source, width, self.palette.name)
        cache = BlockRenderer._cache
        with self._cache_lock:
            found = cache.get(key)
            if found is not None:
                cache.move_to_end(key)
                return found
        strips = self._render(make(), width)
        with self._cache_lock:
            cache[key] = strips
            if len(cache) > self.CACHE_SIZE:
                cache.popitem(last=False)
        return strips

    def _render(self, renderable: ConsoleRenderable, width: int) -> list[Strip]:
        console = _console()
        with console.use_theme(self._theme):
            lines = console.render_lines(
                renderable, console.options.update(width=width, highlight=False), pad=False
            )
        # Rich spaces elements with blank rows; the widget puts exactly one between blocks.
        start, end = 0, len(lines)
        while start < end and _is_blank(lines[start]):
            start += 1
        while end > start and _is_blank(lines[end - 1]):
            end -= 1
        return [Strip(line) for line in lines[start:end]]


def _is_blank(line: list[Segment]) -> bool:
    return all(not seg.text.strip() and (seg.style is None or seg.style.bgcolor is None) for seg in line)

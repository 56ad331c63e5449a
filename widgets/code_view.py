"""A virtualised read-only code view: line numbers, syntax highlighting, a highlighted line.

Lines are painted only when on screen. Highlighting is lexed in a worker thread (big files
stay responsive and show plain text until it is ready).
"""

from __future__ import annotations

from collections import OrderedDict

from rich.segment import Segment
from textual import work
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import get_current_worker

from tui.docs.highlight import LineTokens, lex_lines
from tui.terminal_text import visible
from widgets.reading import ReadingKeys, reading_bindings
from widgets.theme_styles import ThemeStyles

TAB_SIZE = 4
STRIP_CACHE = 2000


class CodeView(ReadingKeys, ScrollView, can_focus=True):
    DEFAULT_CSS = """
    CodeView {
        background: $background;
        scrollbar-gutter: stable;
    }
    """

    BINDINGS = [
        *reading_bindings("code"),
        Binding("h", "scroll_left", "Left", show=False, id="code.left"),
        Binding("l", "scroll_right", "Right", show=False, id="code.right"),
    ]

    class Highlighted(Message):
        """Syntax highlighting finished (or was found impossible)."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.theme_styles = ThemeStyles(self)
        self.lines: list[str] = []
        self.filename = ""
        self.target_line: int | None = None
        self._tokens: list[LineTokens] | None = None
        self._strips: OrderedDict[int, Strip] = OrderedDict()
        self._digits = 1
        self._generation = 0
        self.highlighted = False
        self._scroll_pending = False

    def show_text(self, text: str, filename: str = "", line: int | None = None) -> None:
        """Show `text`; `line` (1-based) is highlighted and scrolled into view."""
        # The file's text is data: controls shown visibly (never sent to the terminal), and
        # the lines, their widths and the highlighting all work on what is shown.
        text = visible(text)
        lines = text.split("\n")
        if lines and lines[-1] == "" and len(lines) > 1:
            lines.pop()
        keep_place = self.lines and filename == self.filename and line is None
        anchor = self.scroll_offset
        self.lines = lines
        self.filename = filename
        if line is not None:
            self.target_line = line
        self._tokens = None
        self.highlighted = False
        self._scroll_pending = False
        self._strips.clear()
        self._digits = len(str(max(1, len(lines))))
        longest = max((len(text) for text in lines), default=0)
        self.virtual_size = Size(self._digits + 3 + longest + 4, len(lines))
        self._generation += 1
        self._lex(self._generation, text, filename)
        if keep_place:
            self.scroll_to(anchor.x, anchor.y, animate=False, immediate=True, force=True)
        elif self.target_line is not None:
            self.go_to_line(self.target_line)
        self.refresh()

    def go_to_line(self, line: int) -> None:
        self.target_line = max(1, min(line, len(self.lines) or 1))
        self._strips.clear()
        height = self.scrollable_content_region.height
        if height <= 0:
            self._scroll_pending = True  # no size yet: scrolling now would be clamped to 0
            return
        self._scroll_pending = False
        self.scroll_to(0, max(0, self.target_line - 1 - height // 3), animate=False, immediate=True, force=True)
        self.refresh()

    def on_resize(self) -> None:
        if self._scroll_pending and self.target_line is not None:
            self.call_after_refresh(self.go_to_line, self.target_line)

    @work(thread=True, exclusive=True, group="code-lex", description="highlight code")
    def _lex(self, generation: int, text: str, filename: str) -> None:
        tokens = lex_lines(text, filename=filename) if filename else None
        if get_current_worker().is_cancelled:
            return
        self.app.call_from_thread(self._lexed, generation, tokens)

    def _lexed(self, generation: int, tokens: list[LineTokens] | None) -> None:
        if generation != self._generation:
            return
        self._tokens = tokens
        self.highlighted = True
        self._strips.clear()
        self.refresh()
        self.post_message(self.Highlighted())

    def render_line(self, y: int) -> Strip:
        if self.theme_styles.refresh():
            self._strips.clear()
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        number = scroll_y + y
        base = self.theme_styles.get("text")
        if number >= len(self.lines):
            return Strip.blank(width, base)
        strip = self._strips.get(number)
        if strip is None:
            strip = self._paint(number)
            self._strips[number] = strip
            if len(self._strips) > STRIP_CACHE:
                self._strips.popitem(last=False)
        gutter_width = self._digits + 3
        gutter, body = strip.divide([gutter_width, strip.cell_length])[:2]
        fill = self.theme_styles.get("line-highlight" if number + 1 == self.target_line else "text")
        body = body.crop_extend(scroll_x, scroll_x + max(0, width - gutter_width), fill)
        return Strip.join([gutter, body])

    def _paint(self, index: int) -> Strip:
        current = index + 1 == self.target_line
        background = "line-highlight" if current else "text"
        number_style = self.theme_styles.get("line-number-current" if current else "line-number")
        segments = [
            Segment(f" {index + 1:>{self._digits}} ", number_style),
            Segment("│", self.theme_styles.get("gutter")),
            Segment(" ", self.theme_styles.get(background)),
        ]
        text = self.lines[index]
        tokens = self._tokens[index] if self._tokens is not None and index < len(self._tokens) else None
        if tokens is None:
            segments.append(Segment(text.expandtabs(TAB_SIZE), self.theme_styles.get(background)))
        else:
            column = 0
            for token_type, piece in tokens:
                if "\t" in piece:
                    expanded = []
                    for char in piece:
                        if char == "\t":
                            pad = TAB_SIZE - column % TAB_SIZE
                            expanded.append(" " * pad)
                            column += pad
                        else:
                            expanded.append(char)
                            column += 1
                    piece = "".join(expanded)
                else:
                    column += len(piece)
                segments.append(Segment(piece, self.theme_styles.token(token_type, background)))
        return Strip(segments)

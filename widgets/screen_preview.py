"""A captured terminal screen (text with SGR colour codes) drawn as a tile's preview rows.

The session grid redraws every visible tile several times a second, and under a flood of
output every capture is new. Going through rich (`Text.from_ansi`, then `Text.render` per
row) cost 2-5 ms per tile. Most of that went into rebuilding the same few styles again
and again, and into rows the tile never shows. This module produces the same strips
(the tests compare both, row for row) with less work:

- styles are built once per distinct SGR sequence and reused (`_Styles`), using rich's
  own decoder for the rare sequence not seen before;
- segments are made straight from the text between escape codes;
- only the bottom lines that can reach the tile's rows are turned into segments. Lines
  above them are scanned only for the colour state they carry down: tmux's `capture-pane
  -e` sets a colour once and lets it run on over the following lines.

Pure computation, safe in any thread: a tile runs it when it is painted, for its own size.
"""

from __future__ import annotations

from collections.abc import Iterator

from rich.ansi import AnsiDecoder, re_ansi
from rich.cells import cell_len
from rich.console import Console
from rich.control import strip_control_codes
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from tui.terminal_text import visible

PLACEHOLDER = Text("(no output yet)", style="dim")
_NULL = Style.null()
# Above this many entries a style cache starts again (a screen full of 24-bit gradients
# could otherwise grow it without bound).
_CACHE_LIMIT = 4096


def _without_defaults(style: Style) -> Style | None:
    """The style minus "default" colours, which would mean the terminal's, not the theme's."""
    color = None if style.color is not None and style.color.is_default else style.color
    bgcolor = None if style.bgcolor is not None and style.bgcolor.is_default else style.bgcolor
    cleaned = Style(color=color, bgcolor=bgcolor, bold=style.bold, dim=style.dim, italic=style.italic,
                    underline=style.underline, reverse=style.reverse, strike=style.strike)
    return cleaned if cleaned else None


class _Styles:
    """Decoder state transitions and cleaned styles, each worked out once."""

    def __init__(self) -> None:
        self._after: dict[tuple[Style, str], Style] = {}
        self._clean: dict[Style, Style | None] = {}
        self._decoder = AnsiDecoder()

    def after(self, style: Style, code: str) -> Style:
        """The decoder's style after the escape sequence `code`, starting from `style`."""
        key = (style, code)
        found = self._after.get(key)
        if found is None:
            if len(self._after) > _CACHE_LIMIT:
                self._after.clear()
            self._decoder.style = style
            self._decoder.decode_line(code)
            found = self._after[key] = self._decoder.style
        return found

    def clean(self, style: Style) -> Style | None:
        try:
            return self._clean[style]
        except KeyError:
            if len(self._clean) > _CACHE_LIMIT:
                self._clean.clear()
            cleaned = self._clean[style] = _without_defaults(style) if style else None
            return cleaned


_STYLES = _Styles()


def _tokens(line: str) -> Iterator[tuple[str, str]]:
    """(text, "") and ("", escape) pieces of one line, split as rich's decoder splits them.

    Only escapes that change the decoder's state are yielded: SGR (`...m`) and OSC.
    """
    position = 0
    for match in re_ansi.finditer(line):
        start, end = match.span(0)
        osc, sgr = match.groups()
        if start > position:
            yield line[position:start], ""
        if sgr == "(":
            position = end + 1
            continue
        if osc is not None or (sgr and sgr.endswith("m")):
            yield "", match.group(0)
        position = end
    if position < len(line):
        yield line[position:], ""


def _plain(line: str) -> str:
    return "".join(strip_control_codes(text) for text, code in _tokens(line) if text)


def _carry(style: Style, line: str, styles: _Styles) -> Style:
    """The decoder's style at the end of `line`, looking at its escape codes only."""
    if "\x1b" not in line:
        return style
    for match in re_ansi.finditer(line):
        osc, sgr = match.groups()
        if osc is not None or (sgr and sgr != "(" and sgr.endswith("m")):
            style = styles.after(style, match.group(0))
    return style


_Tokens = list[tuple[str, str]]


def _split(line: str) -> tuple[_Tokens, int]:
    """The line's pieces (control characters already removed from text) and its width in
    cells. Neither depends on the colour the line starts in."""
    tokens: _Tokens = []
    for text, code in _tokens(line):
        if code:
            tokens.append(("", code))
        else:
            # What is left of the agent's output once colours are taken out is data: any
            # control character in it (a C1 CSI, a stray ESC) is shown, never sent.
            text = visible(strip_control_codes(text))
            if text:
                tokens.append((text, ""))
    return tokens, cell_len("".join(text for text, _ in tokens))


def _parts(tokens: _Tokens, style: Style, styles: _Styles) -> tuple[list[tuple[str, Style | None]], Style]:
    """The line's text pieces with their cleaned styles, and the style it leaves behind."""
    parts: list[tuple[str, Style | None]] = []
    for text, code in tokens:
        if code:
            style = styles.after(style, code)
        else:
            parts.append((text, styles.clean(style)))
    return parts, style


def _line_row(parts: list[tuple[str, Style | None]], cells: int) -> tuple[list[Segment], int]:
    """Segments exactly as `Text.render` makes them for the same styled text."""
    if not any(style is not None for _, style in parts):
        return [Segment("".join(text for text, _ in parts))], cells
    segments: list[Segment] = []
    gap = ""
    for text, style in parts:
        if style is None:
            gap += text
            continue
        if gap:
            segments.append(Segment(gap, _NULL))
            gap = ""
        segments.append(Segment(text, style))
    if gap:
        segments.append(Segment(gap, _NULL))
    return segments, cells


def _as_text(parts: list[tuple[str, Style | None]]) -> Text:
    text = Text(no_wrap=True)
    for piece, style in parts:
        start = len(text)
        text.append(piece)
        if style is not None:
            text.stylize(style, start, len(text))
    return text


def _wrapped(line: Text, width: int, console: Console) -> list[tuple[list[Segment], int]]:
    """A line wider than the tile, word-wrapped (long words folded) as rich wraps it."""
    return [(list(row.render(console, end="")), row.cell_len)
            for row in line.wrap(console, width, overflow="fold", no_wrap=False)]


def screen_strips(screen: str, width: int, height: int, console: Console,
                  style: Style | None = None) -> tuple[Strip, ...]:
    """The bottom `height` rows of a captured screen wrapped to `width`, as finished strips:
    padded to the width, with the tile's own `style` (colour, background) under the screen's
    colours. Blank lines at the bottom are left out; an empty screen shows a placeholder.

    Agents' screens are wider than a tile: long lines wrap, and the bottom of the screen
    (where questions and prompts are) is what stays in view.
    """
    if width <= 0 or height <= 0:
        return ()
    styles = _STYLES
    lines = [line.rsplit("\r", 1)[-1] for line in screen.rstrip("\n").split("\n")]
    while lines and not _plain(lines[-1]).strip():
        lines.pop()
    rows: list[tuple[list[Segment], int]]
    if not lines:
        rows = ([(list(PLACEHOLDER.render(console, end="")), PLACEHOLDER.cell_len)]
                if PLACEHOLDER.cell_len <= width else _wrapped(PLACEHOLDER, width, console))
    else:
        # From the bottom up, just enough lines to fill the rows. Wrapping drops spaces at
        # the breaks but never anything else, so a line takes at least one row per `width`
        # cells of non-space text.
        shown: list[tuple[_Tokens, int]] = []
        filled = 0
        first = len(lines)
        while first > 0 and filled < height:
            first -= 1
            tokens, cells = _split(lines[first])
            shown.append((tokens, cells))
            if cells <= width:
                filled += 1
            else:
                ink = cell_len("".join("".join(text.split()) for text, _ in tokens))
                filled += max(1, -(-ink // width))
        shown.reverse()
        # The colour state runs down from the top of the screen.
        state = _NULL
        for line in lines[:first]:
            state = _carry(state, line, styles)
        rows = []
        for tokens, cells in shown:
            parts, state = _parts(tokens, state, styles)
            if cells <= width:
                rows.append(_line_row(parts, cells))
            else:
                rows.extend(_wrapped(_as_text(parts), width, console))
    return tuple(_finish(segments, cells, width, style) for segments, cells in rows[-height:])


def _finish(segments: list[Segment], cells: int, width: int, style: Style | None) -> Strip:
    """`Strip(...).crop_extend(0, width, None).apply_style(style)` as one strip, not three
    (each strip sets up its own caches, which made up a third of the work)."""
    if cells > width:  # rows are wrapped to the width; kept for safety
        strip = Strip(segments, cells).crop_extend(0, width, None)
        return strip.apply_style(style) if style is not None else strip
    if cells < width:
        segments = [*segments, Segment(" " * (width - cells))]
    if style:
        add = style.__add__
        segments = [Segment(text, None if control else add(segment_style), control)
                    for text, segment_style, control in segments]
    return Strip(segments, width)


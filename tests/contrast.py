"""WCAG contrast of what is on the screen, read from the rendered segments' own colours."""

from __future__ import annotations

from dataclasses import dataclass

from rich.color import Color as RichColor
from rich.segment import Segment
from textual.app import App

# WCAG AA for text.
AA = 4.5


def luminance(color: tuple[int, int, int]) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = color
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(fg: tuple[int, int, int], bg: tuple[int, int, int]) -> float:
    lighter, darker = sorted((luminance(fg), luminance(bg)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _rgb(color: RichColor | None) -> tuple[int, int, int] | None:
    if color is None:
        return None
    triplet = color.get_truecolor()
    return (triplet.red, triplet.green, triplet.blue)


def _is_text(char: str) -> bool:
    # Box drawing, blocks and shapes are borders, scroll bars and bars, not text to read.
    return not char.isspace() and not 0x2500 <= ord(char) <= 0x25FF


@dataclass(frozen=True)
class Low:
    y: int
    x: int
    text: str
    ratio: float

    def __str__(self) -> str:
        return f"row {self.y}, column {self.x}: {self.text!r} at {self.ratio:.2f}:1"


def low_contrast(app: App[object], minimum: float = AA, region: tuple[int, int, int, int] | None = None) -> list[Low]:
    """Every run of text on the screen (in `region`: x, y, width, height) whose colour has
    less than `minimum` contrast against its background."""
    update = app.screen._compositor.render_full_update(simplify=True)
    found: list[Low] = []
    for y, line in enumerate(update.strips):
        x = 0
        for strip in line:
            for segment in strip:
                text, style = segment.text, segment.style
                width = Segment.get_line_length([segment])
                inside = region is None or (
                    region[1] <= y < region[1] + region[3] and region[0] <= x < region[0] + region[2]
                )
                if inside and style is not None and any(_is_text(char) for char in text):
                    fg, bg = _rgb(style.color), _rgb(style.bgcolor)
                    if style.reverse:
                        fg, bg = bg, fg
                    if fg is not None and bg is not None:
                        ratio = contrast(fg, bg)
                        if ratio < minimum:
                            found.append(Low(y, x, text.strip(), ratio))
                x += width
    return found

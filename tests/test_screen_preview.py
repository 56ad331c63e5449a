"""The tile preview renderer draws exactly what rich's ANSI decoding and wrapping would.

`reference` below is the previous implementation (rich's `Text.from_ansi`, then per-row
`Text.render`), which the fast renderer in `widgets.screen_preview` replaced; every screen
here must come out as the same strips, row for row and segment for segment.
"""

from __future__ import annotations

import io

import pytest
from rich.console import Console
from rich.style import Style
from rich.text import Text
from textual.strip import Strip

from widgets import screen_preview
from widgets.screen_preview import PLACEHOLDER, screen_strips

CONSOLE = Console(width=400, color_system="truecolor", force_terminal=True, legacy_windows=False,
                  file=io.StringIO())
TILE = Style(color="#d0d0d0", bgcolor="#1e1e2e")


def reference(screen: str, width: int, height: int, style: Style | None) -> tuple[Strip, ...]:
    lines = Text.from_ansi(screen.rstrip("\n"), no_wrap=True).split("\n")
    while lines and not lines[-1].plain.strip():
        lines.pop()
    kept = []
    for line in lines:
        clean = Text(line.plain, no_wrap=True)
        for span in line.spans:
            span_style = span.style if isinstance(span.style, Style) else Style.parse(span.style)
            cleaned = screen_preview._without_defaults(span_style)
            if cleaned is not None:
                clean.stylize(cleaned, span.start, span.end)
        kept.append(clean)
    rows: list[Text] = []
    for line in reversed(kept or [PLACEHOLDER]):
        if line.cell_len <= width:
            rows.insert(0, line)
        else:
            rows[0:0] = list(line.wrap(CONSOLE, width, overflow="fold", no_wrap=False))
        if len(rows) >= height:
            break
    strips = []
    for row in rows[-height:]:
        strip = Strip(list(row.render(CONSOLE, end="")), row.cell_len).crop_extend(0, width, None)
        strips.append(strip.apply_style(style) if style is not None else strip)
    return tuple(strips)


FLOOD = "".join(f"line {n:>8} \x1b[3{n % 7 + 1}mcompiling crate {n % 97:>3}\x1b[0m ...ok\n"
                for n in range(60))
SCREENS = {
    "flood": FLOOD,
    # tmux's capture-pane -e sets a colour once and lets it run on over the next lines.
    "carried": "\x1b[31mred start\nstill red\x1b[1m bold\nnext\x1b[0m\n\x1b[44mbg\x1b[49m plain\n",
    "carried from above the window": "\x1b[38;5;208morange\n" + "more\n" * 40 + "tail \x1b[0mplain\n",
    "256 and truecolour": "\x1b[38;5;33mblue\x1b[48;2;10;20;30m on rgb\x1b[39m default fg\x1b[0m\n",
    "attributes": ("\x1b[1mbold\x1b[22m \x1b[2mdim\x1b[22m \x1b[3mit\x1b[23m \x1b[4mul\x1b[24m "
                   "\x1b[7mrev\x1b[27m \x1b[9mstrike\x1b[29m \x1b[5mblink\x1b[25m \x1b[21mdouble\x1b[0m\n"),
    "adjacent same style": "\x1b[32mab\x1b[32mcd\x1b[0m\x1b[0mef\n",
    "default colours only": "\x1b[39m\x1b[49mnothing to see\x1b[0m\n",
    "wide lines wrap": ("\x1b[1m● Update\x1b[0m(src/parser.rs) " + "word " * 40 + "\n"
                        + "x" * 130 + "\n" + "\x1b[33m" + "long yellow words " * 12 + "\x1b[0m\n"),
    "wide characters": "日本語のテキスト \x1b[35m絵文字 🎉🎉\x1b[0m done\n" + "漢" * 70 + "\n",
    "controls and carriage returns": "progress 10%\rprogress 90%\x1b[32m ok\x1b[0m\nbell\x07 here\x08\n",
    "other escapes": "\x1b[2J\x1b[Hcleared \x1b(Bcharset \x1b]8;;https://x.invalid\x1b\\link\x1b]8;;\x1b\\ end\n",
    "blank lines kept inside, dropped at the bottom": "top\n\n\n  \nbottom\n\n   \n\x1b[0m\n\n",
    "empty": "",
    "only blanks": "\n\n   \n\x1b[31m\x1b[0m\n",
    "tabs and trailing spaces": "a\tb   \n\x1b[36mc   \x1b[0m   \n",
    # Wrapping drops the spaces at each break, so such lines take fewer rows than cells/width.
    "spaces at the breaks": "".join(f"\x1b[3{n}maaaa{' ' * 30}bbbb{' ' * 30}cc\n" for n in range(1, 8)),
}


@pytest.mark.parametrize("name", list(SCREENS))
@pytest.mark.parametrize("width,height", [(46, 40), (20, 5), (1, 3), (160, 48), (30, 1)])
@pytest.mark.parametrize("style", [TILE, None], ids=["tile-style", "no-style"])
def test_same_strips_as_rich(name: str, width: int, height: int, style: Style | None) -> None:
    screen = SCREENS[name]
    assert screen_strips(screen, width, height, CONSOLE, style) == reference(screen, width, height, style)


def test_nothing_to_draw_in_no_room() -> None:
    assert screen_strips(FLOOD, 0, 10, CONSOLE) == ()
    assert screen_strips(FLOOD, 10, 0, CONSOLE) == ()


def test_only_the_lines_that_reach_the_rows_are_built(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lines above the tile's rows are scanned for colour codes only, never split into text
    pieces or segments; a line wider than the tile counts for the rows it takes at least."""
    built: list[str] = []
    real = screen_preview._split

    def split(line):  # noqa: ANN001, ANN202 - spy
        built.append(line)
        return real(line)

    monkeypatch.setattr(screen_preview, "_split", split)
    screen = "".join(f"\x1b[3{n % 7 + 1}mline {n}\n" for n in range(48))
    strips = screen_strips(screen, 46, 5, CONSOLE, TILE)
    assert len(built) == 5 and built[0].endswith("line 47")
    assert strips == reference(screen, 46, 5, TILE)

    built.clear()
    # 103 cells, 82 of them not spaces: at least 2 rows of 46 each (3 in fact).
    wide = "".join(f"\x1b[3{n % 7 + 1}m{n:02} " + "word " * 20 + "\n" for n in range(48))
    strips = screen_strips(wide, 46, 9, CONSOLE, TILE)
    assert len(built) == 5
    assert strips == reference(wide, 46, 9, TILE)


def test_control_characters_left_between_colours_are_shown_not_sent() -> None:
    """A screen from a host other than tmux's own capture may hold controls besides colours:
    a C1 CSI (U+009B, which xterm acts on as ESC [), a lone ESC, a NUL. They are drawn as
    visible text; only the colours become styles."""
    screen = "\x1b[31mred\x1b[0m \x9b2J clear \x1b!x \x00 end\n"
    (strip,) = screen_strips(screen, 40, 1, CONSOLE)
    text = "".join(segment.text for segment in strip)
    assert text.rstrip() == "red \\x9b2J clear ␛!x ␀ end"
    assert not any(ord(char) < 0x20 or 0x7F <= ord(char) < 0xA0 for char in text)

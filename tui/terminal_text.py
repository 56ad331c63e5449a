"""Untrusted text made safe to show on a terminal: every control character becomes visible.

A title, a chat message, a model reply, a file or an agent's output may carry terminal
controls: `ESC ] 52 ; c ; … BEL` sets the user's clipboard, `ESC ] 0 ; …` the window title,
`ESC [ 2 J` clears the screen. Terminals act on them only through control characters, so
`visible()` replaces every one of those, leaving nothing a terminal could act on:

- C0 controls (U+0000..U+001F) except newline and tab become their control pictures,
  U+2400..U+241F: ESC is `␛`, BEL `␇`, a lone carriage return `␍`. "\\r\\n" becomes "\\n"
  (a Windows line end is a line end, not a `␍` on every line).
- DEL (U+007F) becomes `␡`.
- C1 controls (U+0080..U+009F) become text such as `\\x9b`: Unicode has no pictures for them,
  and terminals (xterm in UTF-8 mode among them) act on U+009B as CSI and U+009D as OSC.
- Lone surrogates (U+D800..U+DFFF, what `surrogateescape` makes of bytes that are not UTF-8)
  become text such as `\\udc9b`: they cannot be encoded, so printing them would crash.

The result can be told from the original, and is the same text when there was nothing to
replace (the common case costs one regex scan). Plain Python, no textual: the CLI uses it
and the app's widgets can too.
"""

from __future__ import annotations

import re

_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")

_PICTURES: dict[int, str] = {code: chr(0x2400 + code) for code in range(0x20) if chr(code) not in "\n\t"}
_PICTURES[0x7F] = "\u2421"
_PICTURES.update({code: f"\\x{code:02x}" for code in range(0x80, 0xA0)})
_PICTURES.update({code: f"\\u{code:04x}" for code in range(0xD800, 0xE000)})
_TABLE = str.maketrans(_PICTURES)

# What `tmux capture-pane -e` writes for colours: SGR, which only sets how text looks.
_SGR = re.compile(r"\x1b\[[0-9;:]*m")


def visible(text: str) -> str:
    """`text` with every terminal control character shown as a visible stand-in."""
    if _CONTROLS.search(text) is None:
        return text
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    return text.translate(_TABLE)


def visible_keeping_colour(text: str) -> str:
    """Like `visible`, but colour and style sequences (SGR, `ESC [ … m`) stay as they are."""
    if _CONTROLS.search(text) is None:
        return text
    parts: list[str] = []
    position = 0
    for match in _SGR.finditer(text):
        parts.append(visible(text[position : match.start()]))
        parts.append(match.group())
        position = match.end()
    parts.append(visible(text[position:]))
    return "".join(parts)

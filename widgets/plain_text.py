"""Text from outside (file names, titles, agents' questions) as plain Content: never markup,
and control characters shown as visible escapes instead of reaching the terminal."""

from __future__ import annotations

import re

from textual.content import Content

# C0 controls except tab and newline, DEL, and C1 controls (ESC starts terminal sequences;
# Textual strips only a few of these).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def visible_controls(text: str) -> str:
    return _CONTROL.sub(lambda match: f"\\x{ord(match.group()):02x}", text)


def plain_text(text: str) -> Content:
    return Content(visible_controls(text))

"""What `loupe agent` prints: a transcript a person can follow in a tmux pane.

Assistant text streams as it arrives; each tool call is one line (`▸ $ pytest -q`), shell
output streams under it, dimmed, and other tools show a short preview of their result.
Colour only when the output is a terminal and NO_COLOR is not set.
"""

from __future__ import annotations

import codecs
import os
import sys
from typing import TextIO

from tui.agent.tools import ToolOutcome, describe_call

PREVIEW_LINES = 6
# Past this much shell output in one call, the terminal gets a note instead of the rest.
DISPLAY_CAP_BYTES = 1 << 20

_STYLES = {
    "user": "\x1b[1;36m",
    "tool": "\x1b[1;33m",
    "dim": "\x1b[2m",
    "ok": "\x1b[32m",
    "bad": "\x1b[1;31m",
    "notice": "\x1b[35m",
}
_RESET = "\x1b[0m"


def wants_colour(stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class Transcript:
    def __init__(self, out: TextIO | None = None, *, colour: bool | None = None,
                 display_cap: int = DISPLAY_CAP_BYTES) -> None:
        self.out = out if out is not None else sys.stdout
        self.colour = wants_colour(self.out) if colour is None else colour
        self.display_cap = display_cap
        self._at_line_start = True
        self._decoder = codecs.getincrementaldecoder("utf-8")("replace")
        self._shown_bytes = 0
        self._shell_streaming = False

    def _style(self, text: str, style: str) -> str:
        return f"{_STYLES[style]}{text}{_RESET}" if self.colour else text

    def _write(self, text: str) -> None:
        if not text:
            return
        self.out.write(text)
        self.out.flush()
        self._at_line_start = text.endswith("\n")

    def _line(self, text: str) -> None:
        if not self._at_line_start:
            self._write("\n")
        self._write(text + "\n")

    def header(self, text: str) -> None:
        self._line(self._style(text, "dim"))

    def user(self, text: str) -> None:
        self._line(self._style("› " + text.replace("\n", "\n  "), "user"))

    def assistant_delta(self, text: str) -> None:
        self._write(text)

    def assistant_done(self) -> None:
        if not self._at_line_start:
            self._write("\n")

    def tool_call(self, name: str, arguments: str) -> None:
        self._line(self._style("▸ " + describe_call(name, arguments), "tool"))
        self._decoder.reset()
        self._shown_bytes = 0
        self._shell_streaming = False

    def tool_output(self, chunk: bytes) -> None:
        """A piece of a running command's output, as it comes."""
        self._shell_streaming = True
        if self._shown_bytes >= self.display_cap:
            return
        room = self.display_cap - self._shown_bytes
        self._shown_bytes += len(chunk)
        text = self._decoder.decode(chunk[:room])
        if self._shown_bytes >= self.display_cap:
            text += self._decoder.decode(b"", final=True)
            text += f"\n[... the rest of this output is not shown here ({self.display_cap} bytes shown)]\n"
        self._write(self._style(text, "dim") if self.colour else text)

    def tool_result(self, name: str, outcome: ToolOutcome) -> None:
        if self._shell_streaming:
            tail = self._decoder.decode(b"", final=True)
            if tail:
                self._write(tail)
        if outcome.exit_code is not None:
            status = f"exit {outcome.exit_code}"
            self._line(self._style(f"  {status}", "ok" if outcome.ok else "bad"))
            return
        lines = outcome.content.splitlines() or [""]
        preview = lines[:PREVIEW_LINES]
        if len(lines) > PREVIEW_LINES:
            preview.append(f"… {len(lines) - PREVIEW_LINES} more lines")
        style = "dim" if outcome.ok else "bad"
        for line in preview:
            self._line(self._style("  " + line, style))

    def ask(self, question: str) -> None:
        """A question the user answers on the same line."""
        if not self._at_line_start:
            self._write("\n")
        self._write(self._style(question, "user"))
        self._at_line_start = True

    def notice(self, text: str) -> None:
        self._line(self._style(f"· {text}", "notice"))

    def error(self, text: str) -> None:
        self._line(self._style(f"✗ {text}", "bad"))

    def finished(self, text: str) -> None:
        self._line(self._style(f"✓ {text}", "ok"))

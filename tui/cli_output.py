"""What loupe's commands print: safe on a terminal, exact in a pipe, quiet when the reader leaves.

- On a terminal, everything printed passes through `tui.terminal_text.visible`: a thread
  title, a message, a model reply or a task name cannot set the clipboard or the window
  title, or clear the screen. Redirected or piped, text is written exactly as stored: a file
  (`loupe thread export > t.md`) or a program (`| grep`, an agent reading the output) gets
  the real text, and whoever shows it on a terminal decides how (`less` shows controls as
  `^[` unless told otherwise). Sanitising only for terminals means no flag is needed for exact
  output; `script` or `tee /dev/tty` users opt into raw text as they do for `cat`.
- JSON: `json` escapes C0 controls but, with `ensure_ascii=False`, leaves DEL and C1 controls
  raw; `json_text` escapes those too (`\\u009b`). The value is unchanged once parsed, so
  JSON is escaped the same way on a terminal and in a pipe.
- A reader that goes away (`| head -3`) ends the output, not the command: stdout is pointed
  at /dev/null and the command finishes what it was doing (a reply streaming into a thread is
  stored whole). `finish()` flushes at exit, so Python has nothing left to complain about.

Each function takes the stream to write to (default: `sys.stdout`, looked up at call time so
tests that capture it see the output).
"""

from __future__ import annotations

import json
import os
import sys
from typing import Any, TextIO

from tui.terminal_text import visible, visible_keeping_colour

_JSON_UNSAFE = str.maketrans({code: f"\\u{code:04x}" for code in (0x7F, *range(0x80, 0xA0))})


def _stream(stream: TextIO | None) -> TextIO:
    return sys.stdout if stream is None else stream


def is_terminal(stream: TextIO | None = None) -> bool:
    try:
        return _stream(stream).isatty()
    except (ValueError, OSError):  # closed, or a stand-in without a descriptor
        return False


def write(
    text: str, stream: TextIO | None = None, *, flush: bool = False, keep_colour: bool = False
) -> None:
    """Write `text` (no newline added); a reader that went away is not an error.

    `keep_colour`: colour sequences (SGR) stay on a terminal, e.g. for a screen tmux drew."""
    out = _stream(stream)
    if is_terminal(out):
        text = visible_keeping_colour(text) if keep_colour else visible(text)
    try:
        out.write(text)
        if flush:
            out.flush()
    except BrokenPipeError:
        reader_gone(out)


def line(text: str = "", stream: TextIO | None = None) -> None:
    write(text + "\n", stream)


def error(text: str) -> None:
    """One line on stderr (made visible on a terminal, like stdout)."""
    line(text, sys.stderr)


def json_text(value: Any) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, default=str).translate(_JSON_UNSAFE)


def print_json(value: Any, stream: TextIO | None = None) -> None:
    # Not through `visible`: the escapes above already keep controls out, and JSON stays exact.
    out = _stream(stream)
    try:
        out.write(json_text(value) + "\n")
    except BrokenPipeError:
        reader_gone(out)


def reader_gone(stream: TextIO) -> None:
    """The pipe's reader closed it: send the rest (and what is buffered) to /dev/null."""
    try:
        descriptor = stream.fileno()
    except (ValueError, OSError):
        return
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, descriptor)
    finally:
        os.close(null)


def finish(stream: TextIO | None = None) -> None:
    """Flush at exit; a reader that already went away is not an error."""
    out = _stream(stream)
    try:
        out.flush()
    except BrokenPipeError:
        reader_gone(out)
        try:
            out.flush()
        except OSError:
            pass
    except (ValueError, OSError):
        pass

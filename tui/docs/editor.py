"""Which command edits a file: the configured editor, else $VISUAL, else $EDITOR, else vi;
and how to ask it for a line."""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from pathlib import Path

from tui.errors import LoupeError


class EditorError(LoupeError):
    """The editor command cannot be used."""


def editor_command(configured: str = "", environ: Mapping[str, str] | None = None) -> list[str]:
    """The argv (without the file) of the user's editor."""
    env = os.environ if environ is None else environ
    for source, value in (
        ("general.editor in config", configured),
        ("$VISUAL", env.get("VISUAL", "")),
        ("$EDITOR", env.get("EDITOR", "")),
    ):
        if value.strip():
            try:
                argv = shlex.split(value)
            except ValueError as exc:
                raise EditorError(f"Cannot parse the editor command from {source} ({value!r}): {exc}.") from exc
            if argv:
                return argv
    return ["vi"]


# How editors are told the line to open at (each one's documented command line).
_PLUS_LINE = frozenset({"vi", "vim", "nvim", "gvim", "view", "nano", "emacs", "emacsclient", "micro", "hx", "helix", "kak"})
_GOTO = frozenset({"code", "code-insiders", "codium", "vscodium", "cursor"})
_FILE_COLON_LINE = frozenset({"subl", "sublime_text"})


def open_at(argv: list[str], path: Path, line: int | None) -> list[str]:
    """`argv` (an editor command) to edit `path` at `line` (1-based).

    Only editors known to take a line get one: to another, `+12` would be a file to create.
    """
    name = os.path.basename(argv[0]).lower().removesuffix(".exe")
    file = str(path)
    if line is None or line < 1:
        return [*argv, file]
    if name in _PLUS_LINE:
        return [*argv, f"+{line}", file]
    if name in _GOTO:
        return [*argv, "--goto", f"{file}:{line}"]
    if name in _FILE_COLON_LINE:
        return [*argv, f"{file}:{line}"]
    return [*argv, file]

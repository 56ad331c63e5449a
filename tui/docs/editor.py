"""Which command edits a file: the configured editor, else $VISUAL, else $EDITOR, else vi."""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping

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

"""Copying text to the system clipboard, beside the terminal's own (OSC 52).

OSC 52 reaches the clipboard of the machine the terminal runs on, even over ssh, but many
terminals (and tmux without `set-clipboard on`) drop it silently. Where a clipboard program
is installed here, it is run too, so a copy lands in at least one of the two. No textual:
the App runs `copy_to_system` off the UI loop.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

# Tried in order; the first one installed (and usable in this session) is used.
_PROGRAMS: tuple[tuple[str, ...], ...] = (
    ("wl-copy",),
    ("xclip", "-selection", "clipboard"),
    ("xsel", "--clipboard", "--input"),
    ("pbcopy",),
)


class ClipboardError(Exception):
    """The system clipboard program failed; the message says which and why."""


def system_copy_command(env: dict[str, str] | None = None) -> list[str] | None:
    """The clipboard program to run here, or None (no display, or none installed)."""
    environ = os.environ if env is None else env
    for argv in _PROGRAMS:
        name = argv[0]
        if name == "wl-copy" and not environ.get("WAYLAND_DISPLAY"):
            continue
        if name in ("xclip", "xsel") and not environ.get("DISPLAY"):
            continue
        if name == "pbcopy" and sys.platform != "darwin":
            continue
        path = shutil.which(name, path=environ.get("PATH"))
        if path:
            return [path, *argv[1:]]
    return None


def copy_to_system(text: str, env: dict[str, str] | None = None, timeout: float = 5.0) -> bool:
    """Put `text` on the system clipboard; False where there is none to use."""
    argv = system_copy_command(env)
    if argv is None:
        return False
    try:
        subprocess.run(
            argv,
            input=text.encode("utf-8", "surrogateescape"),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            timeout=timeout,
            check=True,
            env=env,
        )
    except (OSError, subprocess.SubprocessError) as error:
        raise ClipboardError(f"{argv[0]} could not take the copied text: {error}") from error
    return True

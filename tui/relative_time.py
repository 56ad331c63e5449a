"""How long ago something happened, in one style everywhere: "now", "5m", "3h", "2d", "6w", "1y".

The task list, the threads list and the artifact pane use it. How long a session has been
running is a duration, not a time ago (`tui.sessions.model.format_elapsed`).
"""

from __future__ import annotations


def relative_time(when: float, now: float, *, ago: bool = False) -> str:
    """Short, for narrow columns; with `ago`, for a sentence: "just now", "5m ago"."""
    seconds = now - when
    for unit, size in (("y", 365 * 86400), ("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}" + (" ago" if ago else "")
    return "just now" if ago else "now"

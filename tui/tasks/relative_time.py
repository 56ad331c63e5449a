"""Short relative times for narrow columns: "now", "5m", "3h", "2d", "6w", "1y"."""

from __future__ import annotations


def relative_time(when: float, now: float) -> str:
    seconds = now - when
    if seconds < 60:
        return "now"
    for unit, size in (("y", 365 * 86400), ("w", 7 * 86400), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return "now"

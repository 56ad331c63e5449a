"""Reading a file as text to place review comments in it, wherever it is read (here, or by
the far side of a session host): None, never an exception, for a file that is missing,
unreadable, binary or too big; bytes that are not UTF-8 are replaced, not refused."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

# Past this size a file is not read (its comments count as orphaned).
MAX_TEXT_BYTES = 32 * 1024 * 1024


def read_text(path: Path, max_bytes: int = MAX_TEXT_BYTES) -> str | None:
    try:
        if path.stat().st_size > max_bytes:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    if b"\0" in data[:8192]:
        return None
    return data.decode("utf-8", errors="replace")


def read_texts_under(root: Path, paths: Iterable[str], max_bytes: int = MAX_TEXT_BYTES) -> dict[str, str | None]:
    """Each of `paths` (relative to `root`, as a diff names them) read as text; None also for
    a path that leads out of `root`: the names come from a store other processes write."""
    base = root.resolve()
    found: dict[str, str | None] = {}
    for name in paths:
        path = (base / name).resolve()
        found[name] = read_text(path, max_bytes) if path.is_relative_to(base) and path != base else None
    return found

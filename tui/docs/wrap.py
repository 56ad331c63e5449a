"""Word wrapping of styled text runs, measured in terminal cells.

Layout of a long document wraps every paragraph once per width, so this is on the hot path:
it works on plain strings and character offsets and only slices the styled runs at the end.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Sequence

from rich.cells import cell_len, get_character_cell_size

# (text, style key, link target or None). Style keys are names the widget maps to colours.
Run = tuple[str, str, "str | None"]

_WORD = re.compile(r"\S+")


def cells(text: str) -> int:
    return len(text) if text.isascii() else cell_len(text)


def wrap_text(text: str, width: int) -> list[tuple[int, int]]:
    """Greedy word wrap of `text` (which may hold hard breaks) into (start, end) offsets."""
    width = max(1, width)
    out: list[tuple[int, int]] = []
    position = 0
    for segment in text.split("\n"):
        _wrap_segment(segment, position, width, out)
        position += len(segment) + 1
    return out


def _wrap_segment(segment: str, base: int, width: int, out: list[tuple[int, int]]) -> None:
    if segment.isascii() and len(segment) <= width:
        stripped = segment.strip()
        if not stripped:
            out.append((base, base))
            return
        start = base + len(segment) - len(segment.lstrip())
        out.append((start, start + len(stripped)))
        return
    ascii_only = segment.isascii()
    line_start = -1
    line_end = 0
    used = 0
    emitted = len(out)
    for match in _WORD.finditer(segment):
        word_start, word_end = match.span()
        word = match.group()
        size = len(word) if ascii_only else cell_len(word)
        if line_start >= 0:
            gap = word_start - line_end
            if used + gap + size <= width:
                used += gap + size
                line_end = word_end
                continue
            out.append((base + line_start, base + line_end))
            line_start = -1
        if size <= width:
            line_start, line_end, used = word_start, word_end, size
            continue
        # A word longer than the line (a URL, a hash): cut it where the cells run out.
        for piece_start, piece_end in _chop(word, width, ascii_only):
            out.append((base + word_start + piece_start, base + word_start + piece_end))
        last_start, last_end = out.pop()
        line_start, line_end = last_start - base, last_end - base
        used = cells(segment[line_start:line_end])
    if line_start >= 0:
        out.append((base + line_start, base + line_end))
    if len(out) == emitted:
        out.append((base, base))


def _chop(word: str, width: int, ascii_only: bool) -> list[tuple[int, int]]:
    if ascii_only:
        return [(start, min(start + width, len(word))) for start in range(0, len(word), width)]
    pieces = []
    start = 0
    used = 0
    for index, char in enumerate(word):
        size = get_character_cell_size(char)
        if used + size > width and index > start:
            pieces.append((start, index))
            start, used = index, 0
        used += size
    pieces.append((start, len(word)))
    return pieces


def fold_text(text: str, width: int) -> list[tuple[int, int]]:
    """Hard wrap at exactly `width` cells (code: every character matters, no word breaks)."""
    width = max(1, width)
    if text.isascii():
        if len(text) <= width:
            return [(0, len(text))]
        return [(start, min(start + width, len(text))) for start in range(0, len(text), width)]
    return _chop(text, width, False) if text else [(0, 0)]


def slice_runs(runs: Sequence[Run], starts: Sequence[int], start: int, end: int) -> list[Run]:
    """The parts of `runs` (beginning at offsets `starts`) covering characters [start, end)."""
    if start >= end:
        return []
    out: list[Run] = []
    index = bisect_right(starts, start) - 1
    count = len(runs)
    while index < count:
        run_start = starts[index]
        if run_start >= end:
            break
        text, style, link = runs[index]
        run_end = run_start + len(text)
        if run_end > start:
            piece = text[max(0, start - run_start) : min(len(text), end - run_start)]
            if piece:
                out.append((piece, style, link))
        index += 1
    return out


def wrap_runs(runs: Sequence[Run], width: int) -> list[list[Run]]:
    """Word-wrap styled runs into lines of at most `width` cells."""
    if not runs:
        return [[]]
    starts = []
    position = 0
    for text, _, _ in runs:
        starts.append(position)
        position += len(text)
    text = "".join(run[0] for run in runs)
    return [slice_runs(runs, starts, a, b) for a, b in wrap_text(text, width)]


def runs_width(runs: Sequence[Run]) -> int:
    return sum(cells(text) for text, _, _ in runs)

"""Finding a quote the agent edited: the window of lines most like it, near where it belongs.

Windows of about the quote's size start where its lines, or the lines around it, now are
(and where it was). Each is compared word by word with difflib (words keep the comparison
short and tell look-alike lines apart better than characters); a window that still holds
most of the quote scores well even when text grew around it. Between look-alikes, the one
whose surroundings are the quote's old surroundings wins. A quote whose neighbours are
still there with nothing left between them was deleted: it is orphaned, and a similar line
next to it does not take its place.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Protocol

from tui.review.model import Anchor, Placement, PlacementStatus


class DocumentIndex(Protocol):
    """What of `tui.review.anchoring.DocumentIndex` this module reads (named here, not
    imported: anchoring imports this module)."""

    @property
    def line_count(self) -> int: ...

    @property
    def by_line(self) -> dict[str, list[int]]: ...

    def tokens(self, number: int) -> list[str]: ...

    def line_span(self, first_line: int, last_line: int) -> tuple[int, int]: ...

    def context_around(self, context: tuple[str, str], start: int, end: int) -> int: ...

# Word similarity from which an edited quote still counts as the same place.
FUZZY_THRESHOLD = 0.6
# How much a window gains for having all of the quote's old surroundings around it.
_CONTEXT_WEIGHT = 0.3
# Lines shorter than this (blank, "```", "- ") say nothing about where a quote went.
_MIN_LINE = 4
# A line found more often than this is boilerplate, not a landmark.
_MAX_LINE_REPEATS = 16
# Window starts tried per edited quote (after removing duplicates).
_MAX_CANDIDATES = 24
# What a window holding all of an edited quote scores, and how many words a quote needs for
# that to count (a short one is held by too many lines).
_COVERED = 0.8
_MIN_COVERED = 4
# Words and single punctuation marks.
TOKEN = re.compile(r"\w+|[^\w\s]")


def find_edited(index: DocumentIndex, anchor: Anchor) -> Placement:
    quote_lines = whole_lines(anchor)
    size = len(quote_lines)
    if _closed_up(index, anchor):
        return orphaned(anchor)
    wanted = _joined(TOKEN.findall(line) for line in quote_lines)
    matcher = difflib.SequenceMatcher(None, autojunk=False)
    matcher.set_seq2(wanted)
    cover = _COVERED if len(wanted) >= _MIN_COVERED else 0.0
    context = context_lines(anchor)
    available = max(1, len(context[0]) + len(context[1]))
    # (similarity + context bonus, similarity, -distance, -length, start)
    best: tuple[float, float, int, int, int] | None = None
    for start in _candidates(index, anchor, quote_lines):
        for length in sorted({max(1, size - 1), size, size + 1}):
            if start < 0 or start + length > index.line_count:
                continue
            matcher.set_seq1(_joined(index.tokens(n) for n in range(start, start + length)))
            total = len(matcher.a) + len(wanted)
            floor = best[0] - _CONTEXT_WEIGHT if best else FUZZY_THRESHOLD
            if _bound(matcher.real_quick_ratio(), total, len(wanted), cover) < floor \
                    or _bound(matcher.quick_ratio(), total, len(wanted), cover) < floor:
                continue
            matches = sum(block.size for block in matcher.get_matching_blocks())
            score = max(2 * matches / total, cover * matches / len(wanted))
            if score < FUZZY_THRESHOLD:
                continue
            span = index.line_span(start + 1, start + length)
            bonus = _CONTEXT_WEIGHT * index.context_around(context, *span) / available
            key = (score + bonus, score, -abs(start + 1 - anchor.first_line), -length, start)
            if best is None or key > best:
                best = key
    if best is None:
        return orphaned(anchor)
    _, score, _, negative_length, start = best
    first, last = start + 1, start - negative_length
    span_start, span_end = index.line_span(first, last)
    return Placement(PlacementStatus.FUZZY, first, last, span_start, span_end, round(score, 3))


def orphaned(anchor: Anchor) -> Placement:
    return Placement(PlacementStatus.ORPHANED, anchor.first_line, anchor.last_line, -1, -1, 0.0)


def _closed_up(index: DocumentIndex, anchor: Anchor) -> bool:
    """Whether the lines around the quote are still there with no room left between them."""
    before = _nearest_text_line(reversed(anchor.before.split("\n")[:-1]))
    after = _nearest_text_line(anchor.after.split("\n")[1:])
    if before is None or after is None:
        return False
    (above, line_above), (below, line_below) = before, after
    tops, bottoms = index.by_line.get(line_above, []), set(index.by_line.get(line_below, []))
    if not tops or len(tops) > _MAX_LINE_REPEATS:
        return False
    # The blank lines that were between them may stay; the quote's lines may not.
    room = (above - 1) + (below - 1)
    return any(top + gap + 1 in bottoms for top in tops for gap in range(room + 1))


def _candidates(index: DocumentIndex, anchor: Anchor, quote_lines: list[str]) -> list[int]:
    """0-based lines where the edited quote may now start, likeliest first."""
    starts: list[int] = []

    def add(line_text: str, shift: int) -> None:
        if len(line_text.strip()) < _MIN_LINE:
            return
        hits = index.by_line.get(line_text)
        if hits and len(hits) <= _MAX_LINE_REPEATS:
            starts.extend(hit + shift for hit in hits)

    for position, line in enumerate(quote_lines):
        add(line, -position)
    before_lines = anchor.before.split("\n")[:-1]  # the last piece is the quote's own line
    for distance, line in enumerate(reversed(before_lines[-3:]), start=1):
        add(line, distance)
    after_lines = anchor.after.split("\n")[1:]
    for distance, line in enumerate(after_lines[:3], start=1):
        add(line, -(len(quote_lines) - 1) - distance)
    old = anchor.first_line - 1
    scaled = round(old * index.line_count / anchor.doc_lines) if anchor.doc_lines else old
    starts += [old, scaled]
    unique = list(dict.fromkeys(starts))
    if len(unique) > _MAX_CANDIDATES:
        unique.sort(key=lambda start: abs(start - old))
        unique = unique[:_MAX_CANDIDATES]
    return unique


def _bound(ratio_bound: float, total: int, wanted: int, cover: float) -> float:
    """The best score a window can reach, from an upper bound of its difflib ratio."""
    return max(ratio_bound, cover * min(1.0, ratio_bound * total / (2 * wanted)))


def _joined(token_lines: Iterable[list[str]]) -> list[str]:
    """Tokens of several lines, with a line break between lines."""
    out: list[str] = []
    for number, tokens in enumerate(token_lines):
        if number:
            out.append("\n")
        out.extend(tokens)
    return out


def _nearest_text_line(lines: Iterable[str]) -> tuple[int, str] | None:
    """(distance, text) of the first distinctive line, counting from 1; None if there is
    none within three lines (the context's far end may be a cut line)."""
    for distance, line in enumerate(lines, start=1):
        if distance > 3:
            return None
        if len(line.strip()) >= _MIN_LINE:
            return distance, line
    return None


# -- the anchor's text, as both exact and edited lookups use it ---------------------------


def whole_lines(anchor: Anchor) -> list[str]:
    """The full lines the quote was on when it was made (a selection may start mid-line)."""
    head = anchor.before.rsplit("\n", 1)[-1]
    tail = anchor.after.split("\n", 1)[0]
    return (head + anchor.quote + tail).split("\n")


def context_lines(anchor: Anchor) -> tuple[str, str]:
    """The anchor's context without the parts of the quote's own first and last lines."""
    head = anchor.before.rsplit("\n", 1)[0] + "\n" if "\n" in anchor.before else ""
    tail = "\n" + anchor.after.split("\n", 1)[1] if "\n" in anchor.after else ""
    return head, tail


def common_prefix(a: str, b: str) -> int:
    """Length of the longest common prefix, by halving (slices compare in C)."""
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def common_suffix(a: str, b: str) -> int:
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[len(a) - middle:] == b[len(b) - middle:]:
            low = middle
        else:
            high = middle - 1
    return low

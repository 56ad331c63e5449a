"""Where a comment's quoted text is in a new version of its document.

Agents rewrite whole files, so a comment cannot keep a line number: it keeps the text it
quotes, a little context either side, and where it was. `DocumentIndex.place` finds it
again, in this order:

1. the document is unchanged (same hash): where it was;
2. the quote occurs as is: the occurrence whose context matches best, then the one nearest
   to where it was (duplicated text), "exact" if that is the same line, else "moved";
3. the quote was edited: windows of about the quote's size, started where its lines or its
   context lines now are (and where it was), compared with difflib; the best at or above
   `FUZZY_THRESHOLD` is "fuzzy";
4. otherwise "orphaned".

Everything that depends only on the document (line offsets, a table of lines, headings) is
built once per `DocumentIndex`, lazily, so placing 200 comments costs little more than one.
"""

from __future__ import annotations

import bisect
import difflib
import itertools
import re
from dataclasses import dataclass
from enum import StrEnum
from functools import cached_property

from tui.review.errors import NotCommentable
from tui.review.model import Anchor, Scope, text_hash

# Characters kept either side of a quote, to choose between duplicates and find edited text.
CONTEXT_CHARS = 200
# difflib ratio from which an edited quote still counts as the same place.
FUZZY_THRESHOLD = 0.6
# Past this many occurrences of a quote, the rest are not looked at (a quote of "the").
_MAX_OCCURRENCES = 400
# Lines shorter than this (blank, "```", "- ") say nothing about where a quote went.
_MIN_LINE = 4
# A line found more often than this is boilerplate, not a landmark.
_MAX_LINE_REPEATS = 16
# Window starts tried per edited quote (after removing duplicates).
_MAX_CANDIDATES = 24
# How much a window holding all of an edited quote scores, and how long a quote must be for
# that to count (a short one is held by too many lines).
_COVERED = 0.8
_MIN_COVERED = 12
# Quotes longer than this are compared line by line (difflib on characters is quadratic).
_CHAR_COMPARE_LIMIT = 1500

_ATX = re.compile(r" {0,3}(#{1,6})(?:[ \t]|$)")
_SETEXT = re.compile(r" {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_LIST_ITEM = re.compile(r" {0,3}(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$)")


class PlacementStatus(StrEnum):
    EXACT = "exact"
    MOVED = "moved"
    FUZZY = "fuzzy"
    ORPHANED = "orphaned"


@dataclass(frozen=True, slots=True)
class Placement:
    """Where an anchor is now. Orphaned placements keep the lines it had, for reference."""

    status: PlacementStatus
    first_line: int
    last_line: int
    # Character span of the anchored text (a section's whole text); (-1, -1) when orphaned.
    start: int
    end: int
    # 1.0 for found text, the difflib ratio for fuzzy matches, 0.0 when orphaned.
    score: float = 1.0

    @property
    def found(self) -> bool:
        return self.status is not PlacementStatus.ORPHANED


class DocumentIndex:
    """One version of a document, prepared for placing any number of anchors in it."""

    def __init__(self, text: str) -> None:
        self.text = text
        lines = text.split("\n")
        if len(lines) > 1 and lines[-1] == "":
            lines.pop()  # the newline that ends the last line does not start another
        self.lines = lines
        self.starts = list(itertools.accumulate((len(line) + 1 for line in lines), initial=0))

    @property
    def line_count(self) -> int:
        return len(self.lines)

    @cached_property
    def hash(self) -> str:
        return text_hash(self.text)

    @cached_property
    def _by_line(self) -> dict[str, list[int]]:
        table: dict[str, list[int]] = {}
        for number, line in enumerate(self.lines):
            key = line.strip()
            if len(key) >= _MIN_LINE:
                table.setdefault(key, []).append(number)
        return table

    @cached_property
    def headings(self) -> list[tuple[int, int]]:
        """(0-based line, level) of every heading, fenced code skipped."""
        found: list[tuple[int, int]] = []
        fence = ""
        previous = ""
        for number, line in enumerate(self.lines):
            if fence:
                stripped = line.strip()
                if stripped.startswith(fence) and not stripped.lstrip(fence[0]):
                    fence = ""
                previous = ""
                continue
            opened = _FENCE.match(line)
            if opened:
                fence = opened.group(1)
                previous = ""
                continue
            atx = _ATX.match(line) if line.lstrip(" ").startswith("#") else None
            if atx:
                found.append((number, len(atx.group(1))))
            elif previous.strip() and not previous.startswith(("    ", "\t")) and _SETEXT.match(line) \
                    and not _LIST_ITEM.match(previous) and (not found or found[-1][0] != number - 1):
                found.append((number - 1, 1 if line.strip().startswith("=") else 2))
            previous = line
        return found

    # -- lines and offsets -----------------------------------------------------------------

    def line_at(self, offset: int) -> int:
        """The 1-based line holding character `offset`."""
        return max(1, min(self.line_count, bisect.bisect_right(self.starts, offset)))

    def line_span(self, first_line: int, last_line: int) -> tuple[int, int]:
        """Character span of lines `first_line`..`last_line`, without the final newline."""
        if not 1 <= first_line <= last_line <= self.line_count:
            raise NotCommentable(
                f"lines {first_line}-{last_line} are outside the document (it has {self.line_count} lines)"
            )
        return self.starts[first_line - 1], self.starts[last_line] - 1

    def section_lines(self, line: int) -> tuple[int, int]:
        """The section that `line` starts or lies in: its heading up to the next heading of
        the same or a higher level (trailing blank lines left out). Before the first
        heading, the lines up to it."""
        headings = self.headings
        index = bisect.bisect_right(headings, (line - 1, 99)) - 1
        if index < 0:
            start, level = 0, 0
        else:
            start, level = headings[index]
        end = self.line_count
        for number, other in headings[index + 1:]:
            if level == 0 or other <= level:
                end = number
                break
        while end > start + 1 and not self.lines[end - 1].strip():
            end -= 1
        return start + 1, end

    # -- making anchors --------------------------------------------------------------------

    def anchor(self, start: int, end: int, scope: Scope = Scope.TEXT) -> Anchor:
        """An anchor for the text between character offsets `start` and `end`."""
        if not 0 <= start < end <= len(self.text):
            raise NotCommentable(f"characters {start}-{end} are outside the document ({len(self.text)} characters)")
        quote = self.text[start:end]
        if not quote.strip():
            raise NotCommentable("nothing to comment on: the selected text is blank")
        return Anchor(
            quote=quote,
            before=self.text[max(0, start - CONTEXT_CHARS):start],
            after=self.text[end:end + CONTEXT_CHARS],
            first_line=self.line_at(start),
            last_line=self.line_at(end - 1),
            offset=start,
            doc_hash=self.hash,
            doc_lines=self.line_count,
            scope=scope,
        )

    def anchor_lines(self, first_line: int, last_line: int | None = None) -> Anchor:
        start, end = self.line_span(first_line, last_line or first_line)
        if not self.text[start:end].strip():
            raise NotCommentable(f"line {first_line} is blank; pick a line with text on it")
        return self.anchor(start, end)

    def anchor_section(self, line: int) -> Anchor:
        """An anchor on the section `line` lies in, quoting its heading line."""
        first, _ = self.section_lines(line)
        if not any(number == first - 1 for number, _ in self.headings):
            raise NotCommentable(f"line {line} is before the first heading; comment on lines instead")
        start, end = self.line_span(first, first)
        return self.anchor(start, end, Scope.SECTION)

    def anchor_quote(self, quote: str, near_line: int) -> Anchor:
        """An anchor on the occurrence of `quote` nearest to `near_line`."""
        found = self._occurrences(quote)
        if not found:
            raise NotCommentable(f"the text {quote[:60]!r} is not in the document")
        best = min(found, key=lambda offset: abs(self.line_at(offset) - near_line))
        return self.anchor(best, best + len(quote))

    # -- placing anchors -------------------------------------------------------------------

    def place(self, anchor: Anchor) -> Placement:
        """Where `anchor` is in this version; a section placement spans the whole section."""
        found = self._place_quote(anchor)
        if anchor.scope is Scope.SECTION and found.found:
            first, last = self.section_lines(found.first_line)
            start, end = self.line_span(first, last)
            return Placement(found.status, first, last, start, end, found.score)
        return found

    def span_hash(self, placement: Placement) -> str | None:
        """Hash of the text a placement covers: it changes when the anchored text does."""
        return text_hash(self.text[placement.start:placement.end]) if placement.found else None

    def _place_quote(self, anchor: Anchor) -> Placement:
        quote = anchor.quote
        if anchor.doc_hash == self.hash and self.text.startswith(quote, anchor.offset):
            return self._found(anchor, anchor.offset, PlacementStatus.EXACT)
        occurrences = self._occurrences(quote)
        if occurrences:
            best = max(occurrences, key=lambda offset: self._rank(anchor, offset))
            same = self.line_at(best) == anchor.first_line
            return self._found(anchor, best, PlacementStatus.EXACT if same else PlacementStatus.MOVED)
        return self._fuzzy(anchor)

    def _found(self, anchor: Anchor, offset: int, status: PlacementStatus) -> Placement:
        end = offset + len(anchor.quote)
        return Placement(status, self.line_at(offset), self.line_at(end - 1), offset, end)

    def _occurrences(self, quote: str) -> list[int]:
        found: list[int] = []
        position = self.text.find(quote)
        while position != -1 and len(found) < _MAX_OCCURRENCES:
            found.append(position)
            position = self.text.find(quote, position + 1)
        return found

    def _rank(self, anchor: Anchor, offset: int) -> tuple[int, int]:
        """Longer matching context first, then nearer to the old line."""
        before = self.text[max(0, offset - len(anchor.before)):offset]
        end = offset + len(anchor.quote)
        after = self.text[end:end + len(anchor.after)]
        context = (len(before) if before == anchor.before else _common_suffix(before, anchor.before)) + (
            len(after) if after == anchor.after else _common_prefix(after, anchor.after))
        return context, -abs(self.line_at(offset) - anchor.first_line)

    def _fuzzy(self, anchor: Anchor) -> Placement:
        quote_lines = _whole_lines(anchor)
        size = len(quote_lines)
        best: tuple[float, int, int, int] | None = None  # score, -distance, -size, start
        wanted = "\n".join(quote_lines)
        by_chars = len(wanted) <= _CHAR_COMPARE_LIMIT
        matcher = difflib.SequenceMatcher(None, autojunk=False)
        matcher.set_seq2(wanted if by_chars else quote_lines)  # type: ignore[arg-type]
        wanted_size = len(wanted) if by_chars else size
        # Text that grew around the quote ("In the worker." -> "In the worker, because...")
        # has a low ratio but still holds the quote; short quotes are held by too much.
        cover = _COVERED if len(wanted) >= _MIN_COVERED else 0.0
        for start in self._candidates(anchor, quote_lines):
            for length in sorted({max(1, size - 1), size, size + 1}):
                if start < 0 or start + length > self.line_count:
                    continue
                window = self.lines[start:start + length]
                matcher.set_seq1("\n".join(window) if by_chars else window)  # type: ignore[arg-type]
                total = len(matcher.a) + wanted_size
                floor = best[0] if best else FUZZY_THRESHOLD
                if _bound(matcher.real_quick_ratio(), total, wanted_size, cover) < floor \
                        or _bound(matcher.quick_ratio(), total, wanted_size, cover) < floor:
                    continue
                matches = sum(block.size for block in matcher.get_matching_blocks())
                score = max(2 * matches / total, cover * matches / wanted_size)
                key = (score, -abs(start + 1 - anchor.first_line), -length, start)
                if score >= FUZZY_THRESHOLD and (best is None or key > best):
                    best = key
        if best is None:
            return Placement(PlacementStatus.ORPHANED, anchor.first_line, anchor.last_line, -1, -1, 0.0)
        score, _, negative_length, start = best
        first, last = start + 1, start - negative_length
        span_start, span_end = self.line_span(first, last)
        return Placement(PlacementStatus.FUZZY, first, last, span_start, span_end, round(score, 3))

    def _candidates(self, anchor: Anchor, quote_lines: list[str]) -> list[int]:
        """0-based lines where the edited quote may now start, likeliest first."""
        table = self._by_line
        starts: list[int] = []

        def add(line_text: str, shift: int) -> None:
            hits = table.get(line_text.strip())
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
        scaled = round(old * self.line_count / anchor.doc_lines) if anchor.doc_lines else old
        starts += [old, scaled]
        unique = list(dict.fromkeys(starts))
        if len(unique) > _MAX_CANDIDATES:
            unique.sort(key=lambda start: abs(start - old))
            unique = unique[:_MAX_CANDIDATES]
        return unique


def reanchor(anchor: Anchor, new_text: str) -> Placement:
    """Where `anchor` is in `new_text` (to place many anchors, build one `DocumentIndex`)."""
    return DocumentIndex(new_text).place(anchor)


def _bound(ratio_bound: float, total: int, wanted: int, cover: float) -> float:
    """The best score a window can reach, from an upper bound of its difflib ratio."""
    return max(ratio_bound, cover * min(1.0, ratio_bound * total / (2 * wanted)))


def _whole_lines(anchor: Anchor) -> list[str]:
    """The full lines the quote was on when it was made (a selection may start mid-line)."""
    head = anchor.before.rsplit("\n", 1)[-1]
    tail = anchor.after.split("\n", 1)[0]
    return (head + anchor.quote + tail).split("\n")


def _common_prefix(a: str, b: str) -> int:
    limit = min(len(a), len(b))
    count = 0
    while count < limit and a[count] == b[count]:
        count += 1
    return count


def _common_suffix(a: str, b: str) -> int:
    limit = min(len(a), len(b))
    count = 0
    while count < limit and a[-1 - count] == b[-1 - count]:
        count += 1
    return count

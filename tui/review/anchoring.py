"""Where a comment's quoted text is in a new version of its document.

Agents rewrite whole files, so a comment cannot keep a line number: it keeps the text it
quotes, a little context either side, and where it was. `DocumentIndex.place` finds it
again, in this order:

1. the document is unchanged (same hash): where it was;
2. the quote occurs as is (its whole lines looked up in a table of lines; a quote that
   starts or ends inside a line also searched for as text): the occurrence with the most
   context around it, then the nearest to where it was (duplicated text); "exact" if on the
   same line, else "moved";
3. the quote was edited (`tui.review.edited`): "fuzzy" where the most similar lines are,
   also when the text found in 2 had little of its context, so it may be a copy elsewhere
   while the quote itself was edited in place;
4. otherwise "orphaned".

Everything that depends only on the document (line offsets, a table of lines, headings,
words per line) is built once per `DocumentIndex`, lazily, so placing 200 comments costs
little more than placing one (bench/review_anchor.py).
"""

from __future__ import annotations

import bisect
import itertools
import re
from functools import cached_property

from tui.review.edited import TOKEN, common_prefix, common_suffix, context_lines, find_edited
from tui.review.errors import NotCommentable
from tui.review.model import Anchor, Placement, PlacementStatus, Scope, text_hash

__all__ = ["CONTEXT_CHARS", "DocumentIndex", "Placement", "PlacementStatus", "reanchor"]

# Characters kept either side of a quote, to choose between duplicates and find edited text.
CONTEXT_CHARS = 200
# Past this many occurrences of a quote, the rest are not looked at (a quote of "the"); of
# those, the nearest are compared by context.
_MAX_OCCURRENCES = 400
_MAX_RANKED = 48
# Below this share of its context around the text found, a quote may have been edited in
# place while a copy of it elsewhere survived.
_STRONG_CONTEXT = 0.5

# Lines that may open or close a fence, or be a heading or a heading's underline.
_STRUCTURE = re.compile(r"(?m)^ {0,3}(?:#{1,6}(?:[ \t]|$)|`{3,}|~{3,}|(?:=+|-+)[ \t]*$)")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_LIST_ITEM = re.compile(r" {0,3}(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$)")


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
    def by_line(self) -> dict[str, list[int]]:
        """0-based numbers of the lines with each text."""
        table: dict[str, list[int]] = {}
        for number, line in enumerate(self.lines):
            found = table.get(line)
            if found is None:
                table[line] = [number]
            else:
                found.append(number)
        return table

    @cached_property
    def headings(self) -> list[tuple[int, int]]:
        """(0-based line, level) of every heading, fenced code skipped.

        Only lines that can open or close a fence or be a heading are looked at (found by
        one regex over the text), so a long document costs little more than a short one.
        """
        found: list[tuple[int, int]] = []
        fence = ""
        for match in _STRUCTURE.finditer(self.text):
            number = bisect.bisect_right(self.starts, match.start()) - 1
            line = self.lines[number]
            stripped = line.strip()
            if fence:
                if stripped.startswith(fence) and not stripped.lstrip(fence[0]):
                    fence = ""
                continue
            opened = _FENCE.match(line)
            if opened:
                fence = opened.group(1)
            elif stripped.startswith("#"):
                found.append((number, len(stripped) - len(stripped.lstrip("#"))))
            elif number > 0 and self._underlines(number - 1) and (not found or found[-1][0] != number - 1):
                found.append((number - 1, 1 if stripped.startswith("=") else 2))
        return found

    def _underlines(self, number: int) -> bool:
        """Whether line `number` is paragraph text that the line after it makes a heading."""
        previous = self.lines[number]
        return bool(previous.strip()) and not previous.startswith(("    ", "\t")) \
            and not _LIST_ITEM.match(previous) and not _FENCE.match(previous) \
            and not previous.lstrip(" ").startswith(("#", ">", "|"))

    def tokens(self, number: int) -> list[str]:
        """The words of 0-based line `number` (`edited.TOKEN`), computed once."""
        cached = self._tokens.get(number)
        if cached is None:
            cached = self._tokens[number] = TOKEN.findall(self.lines[number])
        return cached

    @cached_property
    def _tokens(self) -> dict[int, list[str]]:
        return {}

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
        whole = _is_whole_lines(anchor)
        occurrences = self._whole_line_occurrences(quote) if whole else self._in_lines(anchor)
        best = self._best(anchor, occurrences)
        if not whole and not self._strong(anchor, best):
            # The quote's whole line is gone or found only out of context: look for the
            # quote itself (its line may have been edited around it).
            best = self._best(anchor, self._occurrences(quote)) or best
        if best is None:
            return find_edited(self, anchor)
        offset, _ = best
        status = PlacementStatus.EXACT if self.line_at(offset) == anchor.first_line else PlacementStatus.MOVED
        exact = self._found(anchor, offset, status)
        if self._strong(anchor, best):
            return exact
        # What was found may be a copy elsewhere, while the quoted text itself was edited in
        # place, where its context still is.
        edited = find_edited(self, anchor)
        if edited.found and not edited.start <= offset < edited.end \
                and self.context_around(context_lines(anchor), edited.start, edited.end) > best[1][0]:
            return edited
        return exact

    def _best(self, anchor: Anchor, occurrences: list[int]) -> tuple[int, tuple[int, int]] | None:
        """The occurrence with the most context around it (then the nearest), and its rank."""
        if not occurrences:
            return None
        if len(occurrences) > _MAX_RANKED:
            # Many copies (a table's separator row): the nearest ones are the likely ones.
            occurrences = sorted(occurrences, key=lambda offset: abs(self.line_at(offset) - anchor.first_line))
            del occurrences[_MAX_RANKED:]
        return max(((offset, self._rank(anchor, offset)) for offset in occurrences), key=lambda pair: pair[1])

    @staticmethod
    def _strong(anchor: Anchor, best: tuple[int, tuple[int, int]] | None) -> bool:
        return best is not None and best[1][0] >= _STRONG_CONTEXT * (len(anchor.before) + len(anchor.after))

    def context_around(self, context: tuple[str, str], start: int, end: int) -> int:
        """How much of the anchor's whole-line context surrounds the span `start`..`end`."""
        head, tail = context
        before = self.text[max(0, start - len(head)):start]
        after = self.text[end:end + len(tail)]
        return common_suffix(before, head) + common_prefix(after, tail)

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

    def _in_lines(self, anchor: Anchor) -> list[int]:
        """Occurrences of a quote that starts or ends inside a line, where its whole lines
        are unchanged (a table lookup, not a scan of the text)."""
        head = anchor.before.rsplit("\n", 1)[-1]
        tail = anchor.after.split("\n", 1)[0]
        # A line longer than the context: where it starts or ends is not known.
        if (head == anchor.before and anchor.offset > len(head)) or (tail == anchor.after and len(tail) == CONTEXT_CHARS):
            return []
        return [offset + len(head) for offset in self._whole_line_occurrences(head + anchor.quote + tail)]

    def _whole_line_occurrences(self, quote: str) -> list[int]:
        """Offsets where `quote` (whole lines) is whole lines again: a table lookup, not a
        scan of the text."""
        lines = quote.split("\n")
        found: list[int] = []
        for number in self.by_line.get(lines[0], ())[:_MAX_OCCURRENCES]:
            if self.lines[number:number + len(lines)] == lines:
                found.append(self.starts[number])
        return found

    def _rank(self, anchor: Anchor, offset: int) -> tuple[int, int]:
        """Longer matching context first, then nearer to the old line."""
        before = self.text[max(0, offset - len(anchor.before)):offset]
        end = offset + len(anchor.quote)
        after = self.text[end:end + len(anchor.after)]
        context = common_suffix(before, anchor.before) + common_prefix(after, anchor.after)
        return context, -abs(self.line_at(offset) - anchor.first_line)


def reanchor(anchor: Anchor, new_text: str) -> Placement:
    """Where `anchor` is in `new_text` (to place many anchors, build one `DocumentIndex`)."""
    return DocumentIndex(new_text).place(anchor)


def _is_whole_lines(anchor: Anchor) -> bool:
    return (not anchor.before or anchor.before.endswith("\n")) and (not anchor.after or anchor.after.startswith("\n"))

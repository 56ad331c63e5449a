"""Where text selected on screen is in the markdown source.

The reading view shows markdown rendered: markers gone (`**`, `` ` ``, `#`), links shown by
their text, list numbers redone, lines wrapped. A comment anchors to the source, so a
selection has to be found there again. The selected words are looked for in order within
the source of the blocks the selection covers, allowing anything between them that
rendering drops (punctuation, markup, a link's target); when they are not found (a table,
an odd construct), the selection stands for the whole lines of those blocks.
"""

from __future__ import annotations

import bisect
import itertools
import re

from tui.docs.blocks import MarkdownDoc

_WORD = re.compile(r"\w+")
# What may lie between two words in the source but not on screen: a link's target, a
# reference label, a task box, or one character that is not part of a word.
_BETWEEN = r"(?:\]\([^)\n]*\)|\]\[[^\]\n]*\]|\[[ xX]\]|\W)*?"
# Words matched as one pattern at most (the head and the tail of a long selection).
_MAX_WORDS = 60


def line_starts(text: str) -> list[int]:
    """Character offset of the start of each line (0-based lines)."""
    return list(itertools.accumulate((len(line) + 1 for line in text.split("\n")), initial=0))[:-1] or [0]


def blocks_span(doc: MarkdownDoc, first_block: int, last_block: int) -> tuple[int, int]:
    """Characters of the source lines of blocks `first_block`..`last_block`, without the
    newline that ends the last (and without trailing blank lines)."""
    starts = line_starts(doc.text)
    first = doc.blocks[first_block].start
    end_line = doc.blocks[last_block].end
    lines = doc.text.split("\n")
    while end_line > first + 1 and end_line - 1 < len(lines) and not lines[end_line - 1].strip():
        end_line -= 1
    start = starts[min(first, len(starts) - 1)]
    end = starts[end_line] - 1 if end_line < len(starts) else len(doc.text)
    return start, max(start, end)


def find_selection(doc: MarkdownDoc, first_block: int, last_block: int, shown: str) -> tuple[int, int] | None:
    """Character span in `doc.text` of `shown` (the selected text as rendered) within blocks
    `first_block`..`last_block`; None when its words are not found there in order."""
    words = _WORD.findall(shown)
    if not words:
        return None
    start, end = blocks_span(doc, first_block, last_block)
    head = _pattern(words[:_MAX_WORDS]).search(doc.text, start, end)
    if head is None:
        return None
    if len(words) <= _MAX_WORDS:
        return head.span()
    tail = None
    for tail in _pattern(words[-_MAX_WORDS:]).finditer(doc.text, head.start(), end):
        pass  # the last occurrence: the selection ends as late as its words allow
    return (head.start(), tail.end()) if tail is not None else None


def selection_span(doc: MarkdownDoc, first_block: int, last_block: int, shown: str) -> tuple[int, int]:
    """`find_selection`, else the whole lines of the blocks."""
    return find_selection(doc, first_block, last_block, shown) or blocks_span(doc, first_block, last_block)


def lines_span(text: str, first: int, last: int) -> tuple[int, int]:
    """Characters of lines `first`..`last` (1-based), without the newline that ends the last."""
    starts = line_starts(text)
    start = starts[first - 1]
    end = starts[last] - 1 if last < len(starts) else len(text)
    return start, max(start, end)


def lines_of(text: str, start: int, end: int) -> tuple[int, int]:
    """1-based first and last line of the characters `start`..`end`."""
    starts = line_starts(text)
    first = bisect.bisect_right(starts, start)
    last = bisect.bisect_right(starts, max(start, end - 1))
    return first, last


def _pattern(words: list[str]) -> re.Pattern[str]:
    return re.compile(_BETWEEN.join(re.escape(word) for word in words))

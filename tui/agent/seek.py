"""Find a run of lines in a file, tolerating the whitespace drift models introduce.

Like codex's seek_sequence: try an exact match first, then ignoring trailing whitespace, then
ignoring leading and trailing whitespace, then with typographic punctuation (curly quotes,
dashes, non-breaking spaces) folded to ASCII. The first strictness that matches anywhere wins,
so a looser match never beats an exact one further down.
"""

from __future__ import annotations

from collections.abc import Callable

_PUNCTUATION = str.maketrans(
    {
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-",
        "\u2212": "-",
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"',
        "\u00a0": " ", "\u2002": " ", "\u2003": " ", "\u2004": " ", "\u2005": " ", "\u2006": " ",
        "\u2007": " ", "\u2008": " ", "\u2009": " ", "\u200a": " ", "\u202f": " ", "\u205f": " ",
        "\u3000": " ",
    }
)


def _normalise(line: str) -> str:
    return line.strip().translate(_PUNCTUATION)


_LEVELS: tuple[Callable[[str], str], ...] = (
    lambda s: s,
    str.rstrip,
    str.strip,
    _normalise,
)


def seek_sequence(lines: list[str], pattern: list[str], start: int, at_end: bool) -> int | None:
    """Index in `lines` (at or after `start`) where `pattern` begins, or None.

    With `at_end` the end of the file is tried first, since the chunk said it ends there.
    """
    if not pattern:
        return start
    if len(pattern) > len(lines):
        return None
    last = len(lines) - len(pattern)
    for fold in _LEVELS:
        wanted = [fold(p) for p in pattern]
        if at_end and last >= start and [fold(x) for x in lines[last:]] == wanted:
            return last
        for index in range(start, last + 1):
            if fold(lines[index]) == wanted[0] and all(
                fold(lines[index + k]) == wanted[k] for k in range(1, len(wanted))
            ):
                return index
    return None

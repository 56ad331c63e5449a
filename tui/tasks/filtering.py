"""Type-to-filter matching for the task list: substring first, then fuzzy (letters in order)."""

from __future__ import annotations


def match(query: str, text: str) -> tuple[int, tuple[int, ...]] | None:
    """Score and matched character positions of `query` in `text`, or None when it does not match.

    Case-insensitive. A substring match scores highest (earlier is better); otherwise every
    query character must appear in order, and matches at word starts and in runs score more.
    An empty query matches everything with score 0.
    """
    if not query:
        return 0, ()
    needle, haystack = query.lower(), text.lower()
    found = haystack.find(needle)
    if found >= 0:
        return 10_000 - found, tuple(range(found, found + len(needle)))
    positions: list[int] = []
    score = 0
    start = 0
    for char in needle:
        if char == " ":
            continue
        index = haystack.find(char, start)
        if index < 0:
            return None
        if index == 0 or not haystack[index - 1].isalnum():
            score += 10
        if positions and index == positions[-1] + 1:
            score += 5
        score -= index - start
        positions.append(index)
        start = index + 1
    return score, tuple(positions)

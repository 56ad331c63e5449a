"""Thread titles made from what was asked: the first line of a message, short enough to list.

A thread started without a title takes its first question's (`ThreadStore.append`); a map
branch is titled by its question. In a narrow sidebar only the first words show, so a
title starts with what tells it apart: nothing shared (the parent's title, the text of the
fork point) goes in front of the question.
"""

from __future__ import annotations

MAX_TITLE = 60


def title_from(text: str, width: int = MAX_TITLE) -> str:
    """The first non-blank line of `text`, whitespace collapsed, cut to `width` with `…`."""
    line = next((" ".join(part.split()) for part in text.splitlines() if part.strip()), "")
    if len(line) <= width:
        return line
    cut = line[: width - 1]
    # At a word boundary, unless that would lose more than a third of the room.
    space = cut.rfind(" ")
    if space >= width * 2 // 3:
        cut = cut[:space]
    return cut.rstrip() + "…"

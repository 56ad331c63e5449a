"""Splitting a document that grew by appends resumes at its tail, and gives what a full split
gives: over random documents cut into random appends (mid-line too), and over the appends
that change what came before (a setext underline, a list item after a blank line, a fence
or an HTML comment closing, front matter closing)."""

from __future__ import annotations

import random

import pytest

from tests.markdown_gen import MarkdownGen
from tui.docs.blocks import MarkdownDoc, split_blocks

TRICKY = (
    "Title line\n===",
    "Title line\n---",
    "- item one\n\n- item two after a blank\n\n  continued, indented",
    "```python\nunclosed = True\n\n# still code\n",
    "```\n",
    "~~~\ncode\n~~~",
    "<!-- a comment\n\n# not a heading\n-->",
    "<script>\nlet x = 1\n\n</script>",
    "<div>\n# in html\n</div>",
    "    indented code\n\n    more code",
    "[ref]: https://example.com/ref\n\nUses [the ref][ref].",
    "[ref]: https://example.com/other",
    "# Same\n\n# Same",
    "> quote\nlazy continuation",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "---",
    "1. one\n2. two",
    "#",
    "#no space is text",
)


def pieces(seed: int, count: int) -> str:
    rng = random.Random(seed)
    gen = MarkdownGen(seed)
    parts = ["---\ntitle: x\n" + ("---\n" if rng.random() < 0.5 else "")] if rng.random() < 0.3 else []
    for _ in range(count):
        parts.append(rng.choice(TRICKY) if rng.random() < 0.4 else gen.block())
        # Mostly a blank line between pieces; sometimes none, so a piece continues the last.
        parts.append(rng.choice(("\n\n", "\n\n", "\n\n", "\n", "\n\n\n")))
    return "".join(parts)


def cuts(text: str, rng: random.Random) -> list[int]:
    """Where the appends end: anywhere, mid-line included, a few characters to a few lines."""
    ends, position = [], 0
    while position < len(text):
        position = min(len(text), position + rng.choice((1, 2, 5, 17, 40, 120, 400)))
        ends.append(position)
    return ends


def same(resumed: MarkdownDoc, full: MarkdownDoc) -> None:
    assert resumed.blocks == full.blocks
    assert resumed.references == full.references


@pytest.mark.parametrize("seed", range(40))
def test_appended_splits_equal_full_splits(seed: int) -> None:
    text = pieces(seed, 40)
    rng = random.Random(seed)
    previous = split_blocks("")
    resumed = 0
    for end in cuts(text, rng):
        part = text[:end]
        doc = split_blocks(part, previous)
        same(doc, split_blocks(part))
        resumed += previous.resume is not None
        previous = doc
    assert resumed > 0


@pytest.mark.parametrize(
    ("before", "appended"),
    [
        ("Intro.\n\nTitle line\n", "===\n"),  # the paragraph becomes a heading
        ("Intro.\n\nTitle line\n", "---\n"),
        ("Intro.\n\n- one\n\n", "- two\n"),  # the list goes on after a blank line
        ("Intro.\n\n- one\n\n", "  more of one\n"),
        ("Intro.\n\n```\ncode\n\n# a comment\n", "```\n\nAfter.\n"),  # the fence closes
        ("Intro.\n\n<!-- note\n\n# hidden\n", "-->\n\n# Shown\n"),
        ("---\ntitle: x\n", "---\n\n# Body\n"),  # the front matter closes
        ("Intro.\n\n1", ". item\n"),  # an unfinished last line
        ("- one\n\n1", ". two\n"),  # ... that decides where the block before it ends
        ("Text\n#", "no heading after all\n"),
        ("Intro.\n\n#", " Heading\n"),
        ("# A\n\n# A\n\n", "# A\n"),  # anchors keep counting
        ("Uses [r].\n\n[r]: /first\n\n", "[r]: /second\n"),  # the first definition wins
        ("Intro.\n\nText", " goes on\n\nand on\n"),
    ],
)
def test_appends_that_change_what_came_before(before: str, appended: str) -> None:
    text = before + appended
    same(split_blocks(text, split_blocks(before)), split_blocks(text))


def test_an_append_splits_the_tail_only() -> None:
    gen = MarkdownGen(3)
    text = gen.document(300)
    previous = split_blocks(text)
    doc = split_blocks(text + "\n" + gen.paragraph() + "\n", previous)
    assert previous.resume is not None and previous.resume.kept >= len(previous.blocks) - 2
    # The blocks before the last few are the very same objects, not split again.
    assert all(doc.blocks[index] is previous.blocks[index] for index in range(previous.resume.kept))
    # Anything but an append splits everything.
    rewritten = split_blocks("Changed.\n" + text, previous)
    assert rewritten.blocks[-1] is not previous.blocks[-1]
    same(rewritten, split_blocks("Changed.\n" + text))

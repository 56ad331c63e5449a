"""Splitting a document that grew by appends resumes at its tail, and gives what a full split
gives: over random documents cut into random appends (mid-line too), and over the appends
that change what came before (a setext underline, a list item after a blank line, a fence
or an HTML comment closing, front matter closing)."""

from __future__ import annotations

import random

import pytest

from tests.markdown_gen import MarkdownGen
from tui.docs.blocks import MAX_LIST_LINES, Block, MarkdownDoc, split_blocks
from tui.docs.layout import layout_block

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


def long_list(rng: random.Random, gen: MarkdownGen) -> str:
    """A progress log: a list longer than a block may be, with now and then a nested item,
    an indented or lazy line, another bullet, a blank line, an ordered item."""
    bullet = rng.choice("-*+")
    lines = []
    for number in range(rng.randint(MAX_LIST_LINES // 2, 3 * MAX_LIST_LINES)):
        lines.append(f"{bullet} step {number}: {gen.inline(1, 2)}")
        roll = rng.random()
        extra = (
            "  - nested detail", "  indented continuation", "lazy continuation", "", "1. ordered",
            "* other bullet", "+ other bullet", "  ```\n  code in the item\n  ```", "---",
        )
        if roll < 0.1:
            lines.append(rng.choice(extra))
    return "\n".join(lines)


def pieces(seed: int, count: int) -> str:
    rng = random.Random(seed)
    gen = MarkdownGen(seed)
    parts = ["---\ntitle: x\n" + ("---\n" if rng.random() < 0.5 else "")] if rng.random() < 0.3 else []
    for _ in range(count):
        roll = rng.random()
        parts.append(long_list(rng, gen) if roll < 0.05 else rng.choice(TRICKY) if roll < 0.4 else gen.block())
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


def test_a_long_tight_list_is_cut_between_items_and_looks_the_same() -> None:
    gen = MarkdownGen(5)
    items = [f"- [x] step {number}: {gen.inline(1, 3)}" for number in range(3 * MAX_LIST_LINES + 7)]
    items[10] += "\n  - a nested detail\n  continued"
    source = "\n".join(items)
    doc = split_blocks(f"# Log\n\n{source}\n\nAfter.\n")
    pieces = [block for block in doc.blocks if block.kind == "list"]
    assert len(pieces) == 4 and all(block.end - block.start <= MAX_LIST_LINES + 2 for block in pieces)
    assert [block.continued for block in pieces] == [True, True, True, False]
    assert "\n".join(block.source for block in pieces) == source
    # Laid out one after the other, the pieces are the list laid out whole.
    whole = Block("list", 0, 0, source, hash(source))
    for width in (30, 80):
        cut = [(line.runs, line.fill) for block in pieces for line in layout_block(block, width, doc.references).lines]
        assert cut == [(line.runs, line.fill) for line in layout_block(whole, width).lines]


def test_a_loose_list_is_not_cut() -> None:
    source = "\n\n".join(f"- step {number}" for number in range(3 * MAX_LIST_LINES))
    assert len(split_blocks(source + "\n").blocks) == 1

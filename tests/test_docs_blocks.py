"""Splitting markdown into top-level blocks, and diffing two versions block by block."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tui.docs.block_diff import diff_blocks
from tui.docs.blocks import full_parser, head_of, heading_text, slugify, split_blocks
from tui.docs.layout import _close_index, _Renderer, layout_block
from tui.docs.links import resolve_link

DOC = """\
---
status: design
---
# Title

Intro paragraph
on two lines.

- item
- item two

  continued

```python
x = 1

y = 2
```

| a | b |
|---|---|
| 1 | 2 |

> quote

---

## Second *heading* with `code`
"""


def test_split_kinds_lines_and_headings() -> None:
    doc = split_blocks(DOC)
    kinds = [b.kind for b in doc.blocks]
    assert kinds == ["front_matter", "heading", "paragraph", "list", "fence", "table", "quote", "hr", "heading"]
    lines = DOC.split("\n")
    for block in doc.blocks:
        assert block.source == "\n".join(lines[block.start : block.end])
    fence = doc.blocks[4]
    assert fence.source.startswith("```python") and "y = 2" in fence.source  # blank line inside kept
    heading = doc.blocks[-1]
    assert (heading.level, heading.title, heading.slug) == (2, "Second heading with code", "second-heading-with-code")
    assert [index for index, _ in doc.headings] == [1, 8]
    assert doc.block_at_line(6) == 2


def test_front_matter_only_at_start_and_references_kept() -> None:
    doc = split_blocks("Text with [a link][ref].\n\n[ref]: https://example.com\n")
    assert "REF" in doc.references
    # The definitions draw nothing; the link uses them.
    assert layout_block(doc.blocks[1], 40, doc.references).lines == []
    runs = layout_block(doc.blocks[0], 40, doc.references).lines[0].runs
    assert ("a link", "text link", "https://example.com") in runs
    assert split_blocks("# x\n---\na: 1\n---\n").blocks[0].kind == "heading"
    assert split_blocks("").blocks == []


def test_slugs_follow_github() -> None:
    assert slugify("Q4: What should the init API look like?") == "q4-what-should-the-init-api-look-like"
    doc = split_blocks("# Same\n\n# Same\n\n# Same\n")
    assert [b.slug for b in doc.blocks] == ["same", "same-1", "same-2"]
    assert heading_text("A [link](x.md) and **bold** `code`") == "A link and bold code"


def test_headings_keep_underscores_and_code_spans() -> None:
    doc = split_blocks(
        "## Tests: tests/test_clock.py\n\n## `quarry/__init__.py`\n\n## snake_case, __dunder__ and _em_\n\n"
        "## Escaped \\* and &amp; and ![alt](a.png)\n"
    )
    assert [(b.title, b.slug) for b in doc.blocks] == [
        ("Tests: tests/test_clock.py", "tests-teststest_clockpy"),
        ("quarry/__init__.py", "quarry__init__py"),
        ("snake_case, dunder and em", "snake_case-dunder-and-em"),
        ("Escaped * and & and alt", "escaped--and--and-alt"),
    ]
    target = resolve_link("#tests-teststest_clockpy", Path("plan.md"), Path("."))
    assert target.kind == "anchor" and target.anchor == doc.blocks[0].slug


def test_diff_blocks_marks_changes_and_maps_old_to_new() -> None:
    old = split_blocks("# A\n\none\n\ntwo\n\nthree\n\nfour\n")
    # Insert above, change one block, delete another.
    new = split_blocks("# A\n\nnew first\n\none\n\nTWO\n\nfour\n")
    diff = diff_blocks(old.blocks, new.blocks)
    assert sorted(diff.changed) == [1, 3]  # "new first" inserted, "TWO" replaced "two"
    # "one" moved down by one block; "four" keeps its identity.
    assert diff.old_to_new[1] == 2
    assert diff.old_to_new[4] == 4
    assert diff.old_to_new[2] == 3  # replaced: maps onto its replacement
    assert diff.removed_before == {4}  # "three" was deleted just before "four"
    same = diff_blocks(old.blocks, split_blocks("# A\n\none\n\ntwo\n\nthree\n\nfour\n").blocks)
    assert same.unchanged and same.old_to_new == (0, 1, 2, 3, 4)


def test_diff_of_an_append_or_an_edit_names_the_blocks_unchanged_at_both_ends() -> None:
    text = "".join(f"Paragraph {number}.\n\n" for number in range(500))
    old = split_blocks(text)
    appended = diff_blocks(old.blocks, split_blocks(text + "Last.\n").blocks)
    assert (appended.same_start, appended.same_end, appended.changed) == (500, 0, {500})
    assert appended.old_to_new == tuple(range(500))
    edited = diff_blocks(old.blocks, split_blocks(text.replace("Paragraph 7.", "Changed.")).blocks)
    assert (edited.same_start, edited.same_end, edited.changed) == (7, 492, {7})
    assert edited.old_to_new == tuple(range(500))


def test_diff_to_empty_document() -> None:
    old = split_blocks("a\n\nb\n")
    diff = diff_blocks(old.blocks, [])
    assert diff.changed == frozenset() and diff.old_to_new == (0, 0)


# Constructs where a naive cut at blank lines or headings would change the rendering.
TRICKY = [
    "- a\n\n- b\n\n  cont\n\n- c\n",
    "1. one\n\n2. two\n\n10. ten\n",
    "Intro:\n- a\n- b\n\n- c\n\nAfter.\n",
    "- item\n\n  ```python\n  x = 1\n\n  y = 2\n  ```\n\n- next\n",
    "```\nunclosed fence\n\n# not a heading\n",
    "````md\n```\ninner\n```\n\n# still code\n````\n\n# Real\n",
    "<div>\n# not heading\n</div>\n\n# Heading\n",
    "<!-- comment\n\n# inside comment\n-->\n\nText\n",
    "<pre>\nline\n\n# in pre\n</pre>\n\npara\n",
    "Title\n=====\n\nSub\n---\n\ntext\n",
    "para\n---\n\n***\n\n- - -\n",
    "    indented code\n\n    more code\n\ntext\n",
    "> quote\n\n> another\n>\n> same\n\ntext\n",
    "| a | b |\n|---|---|\n| 1 | 2 |\ntrailing row?\n\nafter\n",
    "Use [ref] and [other][o].\n\n[ref]: https://a.example\n[o]: ./b.md \"T\"\n",
    "# H1 #\n## H2\n### H3 ###\ntext right after\n####### not heading\n",
    "- a\n  - b\n\n    deep para\n\n  - c\n- d\n",
    "Text\n\n\n\nMore text after many blanks\n",
    "> - list in quote\n>\n>   more\n\n> # heading in quote\n",
    "~~~\ntilde\n\n~~~~\n\nafter\n",
    "``` `not fence` ```\n\ntext\n",
    "<script>\nvar a;\n\nvar b;\n</script>\n# h\n",
    "Line one  \nhard break\n\n1) paren\n2) list\n",
]


def _whole_document_lines(text: str, width: int) -> list[str]:
    """The reference: markdown-it parses the whole document; each top-level block is drawn."""
    tokens = full_parser().parse(text, {})
    out: list[str] = []
    index = 0
    while index < len(tokens):
        close = _close_index(tokens, index)
        drawn = _Renderer([]).block(tokens, index, close, width, tight=False)
        if drawn is not None:
            out.extend(line.plain for line in drawn)
            out.append("")
        index = close + 1
    return out


def _split_lines(text: str, width: int) -> list[str]:
    doc = split_blocks(text)
    return [line.plain for block in doc.blocks for line in layout_block(block, width, doc.references).lines]


def _corpus() -> list[str]:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "bench"))
    from docgen import design_doc

    root = Path(__file__).resolve().parent.parent
    files = [p for p in root.rglob("*.md") if ".venv" not in p.parts and ".git" not in p.parts]
    return [*TRICKY, design_doc(600), *(p.read_text(errors="replace") for p in files)]


@pytest.mark.parametrize("width", [30, 80])
def test_splitting_never_changes_the_rendering(width: int) -> None:
    # Blocks are parsed one at a time; they must draw exactly what parsing the whole
    # document draws (front matter aside, which markdown-it does not know).
    for text in _corpus():
        if text.startswith("---"):
            continue
        assert _split_lines(text, width) == _whole_document_lines(text, width), text[:200]


def test_head_is_cut_at_a_block_boundary() -> None:
    text = "".join(f"Paragraph {n}.\n\n```\ncode {n}\n\nmore\n```\n\n" for n in range(300))
    head = head_of(text, lines=100, min_chars=0)
    assert head is not None and text.startswith(head)
    blocks = split_blocks(text).blocks
    head_blocks = split_blocks(head).blocks
    assert [b.source for b in head_blocks] == [b.source for b in blocks[: len(head_blocks)]]
    assert head_of("short\n", min_chars=100) is None

"""Splitting markdown into top-level blocks, and diffing two versions block by block."""

from __future__ import annotations

from tui.docs.blocks import diff_blocks, heading_text, slugify, split_blocks

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
    assert doc.tokens is not None and len(doc.tokens) == len(doc.blocks)


def test_front_matter_only_at_start_and_references_kept() -> None:
    doc = split_blocks("Text with [a link][ref].\n\n[ref]: https://example.com\n")
    assert [b.kind for b in doc.blocks] == ["paragraph"]
    assert "REF" in doc.references
    assert split_blocks("# x\n---\na: 1\n---\n").blocks[0].kind == "heading"
    assert split_blocks("").blocks == []


def test_slugs_follow_github() -> None:
    assert slugify("Q4: What should the init API look like?") == "q4-what-should-the-init-api-look-like"
    doc = split_blocks("# Same\n\n# Same\n\n# Same\n")
    assert [b.slug for b in doc.blocks] == ["same", "same-1", "same-2"]
    assert heading_text("A [link](x.md) and **bold** `code`") == "A link and bold code"


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


def test_diff_to_empty_document() -> None:
    old = split_blocks("a\n\nb\n")
    diff = diff_blocks(old.blocks, [])
    assert diff.changed == frozenset() and diff.old_to_new == (0, 0)

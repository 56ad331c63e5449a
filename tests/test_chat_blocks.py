"""Streaming markdown is cut into the same blocks as the finished text, whatever the chunking."""

from __future__ import annotations

import random

import pytest

from widgets.chat.blocks import BlockStream, block_sources, open_fence

REPLY = """# Plan

First paragraph with `code` and **bold**.
It continues here.

1. one
2. two

   still item two

3. three

```python
def f(x):
    return x + 1
```

| a | b |
|---|---|
| 1 | 2 |

> a quote
continued lazily

---

Last words.
"""


@pytest.mark.parametrize("seed", range(5))
def test_streamed_blocks_equal_whole_parse(seed: int) -> None:
    rng = random.Random(seed)
    stream = BlockStream()
    position = 0
    while position < len(REPLY):
        size = rng.randint(1, 7)
        stream.feed(REPLY[position : position + size])
        position += size
    stream.finish()
    assert stream.frozen == block_sources(REPLY)
    assert stream.text == REPLY


def test_only_complete_lines_end_a_block() -> None:
    stream = BlockStream()
    stream.feed("1. one\n\n2")
    # "2" may become "2. two" (the same list), so the list is not final yet.
    assert stream.frozen == []
    stream.feed(". two\n\nAfter.\n")
    assert [block.strip() for block in stream.frozen] == ["1. one\n\n2. two"]
    assert stream.tail.startswith("After.")


def test_open_fence_is_split_into_complete_lines_and_the_partial_one() -> None:
    fence = open_fence("```py\nline 1\nline 2\nline")
    assert fence is not None
    assert (fence.language, fence.complete, fence.partial) == ("py", ["line 1", "line 2"], "line")
    assert open_fence("```py\ncode\n```") is None
    assert open_fence("not a fence") is None
    # A longer marker is not closed by a shorter one.
    assert open_fence("````\n```\nx") is not None


def test_excerpts_drop_markdown_marks_but_keep_identifiers() -> None:
    from tui.threads.chat_data import excerpt

    text = "## Plan\n\nThe **worker** calls `schedule_retry`;\n> see Q1"
    assert excerpt(text, 80) == "Plan The worker calls schedule_retry; see Q1"
    assert excerpt("", 20) == "(no reply yet)"

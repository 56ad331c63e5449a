"""Split streaming markdown into top-level blocks, freezing the ones that can no longer change.

A reply arrives a few characters at a time. Re-parsing and re-rendering all of it for every
token is quadratic (Elia's bug); rendering every block as its own widget saturates the UI loop
(textual_anchors.md §1.4). Instead the text is cut into top-level markdown blocks: once a new
block has started after a complete line, every block before it is final and can be rendered
once and cached. Only the last block, the tail, is re-parsed and re-rendered as it grows.

Plain Python (no textual), so it is unit-tested without a screen.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from markdown_it import MarkdownIt

# The rules replies are rendered with (`rich_markdown.ChatMarkdown`), so block boundaries agree
# with rendering. Raw HTML is off: Rich drops the HTML it cannot draw, and in a reply
# `Vec<String>` or `<details>` is text to show.
PARSER = MarkdownIt("commonmark", {"html": False}).enable(["strikethrough", "table"])

_FENCE_OPEN = re.compile(r"^ {0,3}(`{3,}|~{3,})([^`]*)$")


def block_sources(text: str) -> list[str]:
    """The source of each top-level block of `text`, without the blank lines between them."""
    lines = text.split("\n")
    return ["\n".join(lines[start:end]) for start, end in _top_level_spans(text)]


def _top_level_spans(text: str) -> list[tuple[int, int]]:
    return [
        (token.map[0], token.map[1])
        for token in PARSER.parse(text)
        if token.level == 0 and token.map is not None and token.nesting != -1
    ]


@dataclass
class OpenFence:
    """A code fence that has not been closed yet: the tail of a reply that is writing code."""

    language: str
    # Lines of code known to be complete (a newline followed them).
    complete: list[str]
    # The line being written, possibly empty.
    partial: str


def open_fence(block: str) -> OpenFence | None:
    """`block` as an unclosed fence, or None if it is not a fence or the fence is closed."""
    lines = block.split("\n")
    match = _FENCE_OPEN.match(lines[0])
    if match is None:
        return None
    marker = match.group(1)
    closing = re.compile(rf"^ {{0,3}}{re.escape(marker[0])}{{{len(marker)},}}\s*$")
    body = lines[1:]
    # The last line may still be growing into a closing marker; treat it as code until then.
    if any(closing.match(line) for line in body[:-1]) or (body and closing.match(body[-1])):
        return None
    if not body:
        return OpenFence(match.group(2).strip().split(" ")[0], [], "")
    return OpenFence(match.group(2).strip().split(" ")[0], body[:-1], body[-1])


@dataclass
class BlockStream:
    """Markdown text that grows, kept as frozen blocks plus a tail that may still change."""

    frozen: list[str] = field(default_factory=list)
    tail: str = ""
    _chunks: list[str] = field(default_factory=list)
    _text: str | None = ""

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = "".join(self._chunks)
            self._chunks = [self._text]
        return self._text

    def feed(self, chunk: str) -> int:
        """Add text; return how many blocks became frozen."""
        if not chunk:
            return 0
        self._chunks.append(chunk)
        self._text = None
        self.tail += chunk
        # Only complete lines decide block boundaries: a half-written line ("2" on its way to
        # "2. item") could otherwise end a list too early.
        cut = self.tail.rfind("\n")
        if cut < 0:
            return 0
        complete = self.tail[: cut + 1]
        lines = complete.split("\n")
        spans = _top_level_spans(complete)
        if len(spans) < 2:
            return 0
        for start, end in spans[:-1]:
            self.frozen.append("\n".join(lines[start:end]))
        self.tail = "\n".join(lines[spans[-1][0] :]) + self.tail[cut + 1 :]
        return len(spans) - 1

    def finish(self) -> int:
        """The text is complete: every block is final. Returns how many blocks were frozen."""
        blocks = block_sources(self.tail) if self.tail.strip() else []
        self.frozen.extend(blocks)
        self.tail = ""
        return len(blocks)

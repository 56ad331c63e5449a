"""Split a markdown document into top-level blocks, and compare two versions block by block.

The artifact pane renders, caches and diffs per top-level block (a heading, a paragraph, a
list, a fence, a table...). Splitting runs markdown-it's block rules only; inline parsing
happens later, per block, when a block is laid out (most blocks of a long document are never
on screen). Blocks are keyed by a hash of their source, so an unchanged block keeps its
cached layout across reloads and edits elsewhere in the file.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)

# markdown-it token type of a top-level opening token -> our block kind.
_KINDS = {
    "heading_open": "heading",
    "paragraph_open": "paragraph",
    "bullet_list_open": "list",
    "ordered_list_open": "list",
    "blockquote_open": "quote",
    "table_open": "table",
    "fence": "fence",
    "code_block": "code",
    "hr": "hr",
    "html_block": "html",
}


@lru_cache(maxsize=2)
def _parser(inline: bool) -> MarkdownIt:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    if not inline:
        md.disable("inline")
        md.disable("text_join")
    return md


def block_parser() -> MarkdownIt:
    """Block rules only: fast, used to split documents."""
    return _parser(False)


def full_parser() -> MarkdownIt:
    """Block and inline rules: used to lay out one block at a time."""
    return _parser(True)


@dataclass(frozen=True, slots=True)
class Block:
    kind: str
    start: int  # first source line, 0-based
    end: int  # one past the last source line
    source: str
    key: int  # hash of kind and source: equal keys render identically
    level: int = 0  # heading level, 0 for other blocks
    title: str = ""  # heading text without markup
    slug: str = ""  # GitHub-style anchor of a heading


@dataclass(slots=True)
class MarkdownDoc:
    text: str
    blocks: list[Block]
    # Link reference definitions of the whole document, needed to lay out any block.
    references: dict[str, Any] = field(default_factory=dict)
    # The block-level tokens of each block from the split, so the first layout of a block
    # needs only inline parsing. Dropped (set to None) once every block has been laid out.
    tokens: list[list[Any]] | None = None

    @property
    def headings(self) -> list[tuple[int, Block]]:
        return [(index, block) for index, block in enumerate(self.blocks) if block.kind == "heading"]

    def block_at_line(self, line: int) -> int:
        """Index of the block containing source line `line` (or the next one after it)."""
        for index, block in enumerate(self.blocks):
            if block.end > line:
                return index
        return max(0, len(self.blocks) - 1)


def split_blocks(text: str) -> MarkdownDoc:
    """Parse `text` into top-level blocks (block rules only; inline parsing is deferred)."""
    lines = text.split("\n")
    blocks: list[Block] = []
    offset = 0
    body = text
    match = FRONT_MATTER_RE.match(text)
    if match:
        source = match.group(0).rstrip("\n")
        offset = source.count("\n") + 1
        blocks.append(Block("front_matter", 0, offset, source, hash(("front_matter", source))))
        body = text[match.end() :]
    env: dict[str, Any] = {}
    tokens = block_parser().parse(body, env)
    slugs = _Slugger()
    block_tokens: list[list[Any]] = []
    index = 0
    count = len(tokens)
    while index < count:
        token = tokens[index]
        kind = _KINDS.get(token.type)
        if kind is None or token.level != 0 or token.map is None:
            index += 1
            continue
        start, end = token.map[0] + offset, token.map[1] + offset
        # Trailing blank lines inside a list's map carry no content; they would make two
        # otherwise equal lists differ.
        while end > start + 1 and not lines[end - 1].strip():
            end -= 1
        source = "\n".join(lines[start:end])
        if kind == "heading":
            level = int(token.tag[1])
            raw = tokens[index + 1].content if index + 1 < count else ""
            title = heading_text(raw)
            blocks.append(
                Block(kind, start, end, source, hash((kind, source)), level, title, slugs.slug(title))
            )
        else:
            blocks.append(Block(kind, start, end, source, hash((kind, source))))
        after = _skip_block(tokens, index)
        block_tokens.append(tokens[index:after])
        index = after
    if match:
        block_tokens.insert(0, [])
    return MarkdownDoc(text, blocks, env.get("references", {}), block_tokens)


def _skip_block(tokens: list[Any], index: int) -> int:
    """Index just past the top-level block that starts at `index`."""
    token = tokens[index]
    if token.nesting != 1:
        return index + 1
    depth = 0
    for position in range(index, len(tokens)):
        depth += tokens[position].nesting
        if depth == 0:
            return position + 1
    return len(tokens)


_INLINE_MARKUP = re.compile(r"!?\[([^\]]*)\]\([^)]*\)|[*_~`]{1,3}(?=\S)|(?<=\S)[*_~`]{1,3}")


def heading_text(raw: str) -> str:
    """A heading's text as shown: link targets and emphasis markers removed."""
    return _INLINE_MARKUP.sub(lambda m: m.group(1) or "", raw).strip()


class _Slugger:
    """GitHub's heading anchors: lowercase, punctuation dropped, spaces to dashes, deduplicated."""

    def __init__(self) -> None:
        self.seen: dict[str, int] = {}

    def slug(self, title: str) -> str:
        base = slugify(title)
        count = self.seen.get(base, 0)
        self.seen[base] = count + 1
        return base if count == 0 else f"{base}-{count}"


def slugify(title: str) -> str:
    kept = []
    for char in title.lower():
        category = unicodedata.category(char)
        if char in " -":
            kept.append("-" if char == " " else char)
        elif char == "_" or category[0] in "LN" or category == "Mn":
            kept.append(char)
    return "".join(kept)


@dataclass(frozen=True, slots=True)
class BlockDiff:
    """How the blocks of a new version relate to an old one."""

    # Indices of new blocks that are new or changed.
    changed: frozenset[int]
    # For each old block index: the new index of the same block, or of the block that
    # replaced it (so a reader anchored there stays near the same place).
    old_to_new: tuple[int, ...]
    # New indices just after a run of deleted blocks (the deletion is shown there).
    removed_before: frozenset[int] = frozenset()

    @property
    def unchanged(self) -> bool:
        return not self.changed and not self.removed_before


def diff_blocks(old: list[Block], new: list[Block]) -> BlockDiff:
    old_keys = [block.key for block in old]
    new_keys = [block.key for block in new]
    if old_keys == new_keys:
        return BlockDiff(frozenset(), tuple(range(len(old))))
    changed: set[int] = set()
    removed: set[int] = set()
    mapping = [0] * len(old)
    matcher = difflib.SequenceMatcher(None, old_keys, new_keys, autojunk=False)
    last_new = max(0, len(new) - 1)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            for step in range(i2 - i1):
                mapping[i1 + step] = j1 + step
            continue
        changed.update(range(j1, j2))
        if tag == "delete" or (tag == "replace" and i2 - i1 > j2 - j1):
            # More blocks went than came: show that something was removed after them.
            removed.add(min(j2, last_new))
        for step in range(i2 - i1):
            # Replaced blocks map onto their replacements in order; deleted ones onto the
            # block that now follows the gap.
            target = j1 + min(step, j2 - j1 - 1) if j2 > j1 else j1
            mapping[i1 + step] = min(target, last_new)
    if not new:
        removed = set()
    return BlockDiff(frozenset(changed), tuple(mapping), frozenset(removed))

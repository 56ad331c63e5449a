"""Split a markdown document into blocks (compared block by block in `tui.docs.block_diff`).

The artifact pane renders, caches and diffs per block (a heading, a paragraph, a list, a
fence, a table...). Splitting is a fast line scan (`split_blocks`); markdown-it parses each
block later, when it is laid out, and most blocks of a long document never are. Blocks are
keyed by a hash of their source, so an unchanged block keeps its cached layout across
reloads and edits elsewhere in the file. When text was only appended, splitting resumes
near the end (`Resume`): a file an agent keeps appending to costs its tail, not its length.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

FRONT_MATTER_RE = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)


@lru_cache(maxsize=2)
def _parser(inline: bool) -> MarkdownIt:
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
    if not inline:
        md.disable("inline")
        md.disable("text_join")
    return md


def block_parser() -> MarkdownIt:
    """Block rules only: enough to collect link reference definitions."""
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
    continued: bool = False  # the next block goes on with the same list: no spacing after this one


@dataclass(frozen=True, slots=True)
class Resume:
    """Where splitting picks up again when text is appended: the blocks before `kept` are
    final (no append can change them); the others are split again from their first line,
    `line`, at character `offset` of the text."""

    kept: int
    line: int
    offset: int
    # Anchors and link reference definitions of the kept blocks.
    slugs: dict[str, int]
    references: dict[str, Any]


@dataclass(slots=True)
class MarkdownDoc:
    # Documents are big: keep them out of reprs (logs, worker descriptions).
    text: str = field(repr=False)
    blocks: list[Block] = field(repr=False)
    # Link reference definitions of the whole document, needed to lay out any block.
    references: dict[str, Any] = field(default_factory=dict, repr=False)
    resume: Resume | None = field(default=None, repr=False, compare=False)
    _keys: frozenset[int] | None = field(default=None, init=False, repr=False, compare=False)
    _heading_indices: list[int] | None = field(default=None, init=False, repr=False, compare=False)

    def __repr__(self) -> str:
        return f"MarkdownDoc({len(self.text)} chars, {len(self.blocks)} blocks)"

    @property
    def keys(self) -> frozenset[int]:
        """Keys of all blocks (computed once: ask first from a worker thread)."""
        if self._keys is None:
            self._keys = frozenset(block.key for block in self.blocks)
        return self._keys

    @property
    def heading_indices(self) -> list[int]:
        """Indices of the heading blocks, in order (computed once, as `keys`)."""
        if self._heading_indices is None:
            self._heading_indices = [index for index, block in enumerate(self.blocks) if block.kind == "heading"]
        return self._heading_indices

    @property
    def headings(self) -> list[tuple[int, Block]]:
        return [(index, self.blocks[index]) for index in self.heading_indices]

    def block_at_line(self, line: int) -> int:
        """Index of the block containing source line `line` (or the next one after it)."""
        for index, block in enumerate(self.blocks):
            if block.end > line:
                return index
        return max(0, len(self.blocks) - 1)


_ATX = re.compile(r" {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r" {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_LIST_ITEM = re.compile(r" {0,3}(?:[-+*]|\d{1,9}[.)])(?:[ \t]|$)")
_HR = re.compile(r" {0,3}(?:(?:-[ \t]*){3,}|(?:_[ \t]*){3,}|(?:\*[ \t]*){3,})$")
_TABLE_DELIMITER = re.compile(r" {0,3}\|?[ \t]*:?-+:?[ \t]*(?:\|[ \t]*:?-+:?[ \t]*)*\|?[ \t]*$")
_REFERENCE = re.compile(r" {0,3}\[[^\]]+\]:")
# A tight bullet list longer than this is cut into blocks of about this many lines, between
# two of its items: a progress log an agent keeps appending to is laid out a piece at a time.
MAX_LIST_LINES = 100
# HTML blocks that may contain blank lines (CommonMark types 1-5), and how each ends.
_HTML_OPEN = (
    (re.compile(r" {0,3}<(?:script|pre|style|textarea)(?:\s|>|$)", re.IGNORECASE), re.compile(r"</(?:script|pre|style|textarea)>", re.IGNORECASE)),
    (re.compile(r" {0,3}<!--"), re.compile(r"-->")),
    (re.compile(r" {0,3}<\?"), re.compile(r"\?>")),
    (re.compile(r" {0,3}<![A-Za-z]"), re.compile(r">")),
    (re.compile(r" {0,3}<!\[CDATA\["), re.compile(r"\]\]>")),
)


def split_blocks(text: str, previous: MarkdownDoc | None = None) -> MarkdownDoc:
    """Cut `text` into blocks at the places where CommonMark ends every construct.

    A block starts after a blank line (outside fences and multi-line HTML) when the next
    line is not indented and does not continue a list, and at every ATX heading. A block may
    hold several markdown blocks (a paragraph and the list it introduces): it is parsed by
    markdown-it as a whole when laid out, so the cut points only need to be places where
    nothing spans across. This scan is a few times faster than markdown-it's own block
    parser, which is what lets a long document be scrollable almost at once.

    With `previous`, the last version split, and `text` that version with more appended,
    only the blocks from `previous.resume` on are split again (the result is the same).
    """
    resume = previous.resume if previous is not None else None
    if resume is not None and previous is not None and text.startswith(previous.text):
        return _split(text, previous.blocks[: resume.kept], resume)
    return _split(text, [], None)


def _split(text: str, kept: list[Block], resume: Resume | None) -> MarkdownDoc:
    base, offset = (resume.line, resume.offset) if resume is not None else (0, 0)
    # Line numbers in `lines` count from `base`.
    lines = text[offset:].split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    blocks = list(kept)
    slugs = _Slugger(dict(resume.slugs) if resume is not None else {})
    start = 0
    match = FRONT_MATTER_RE.match(text) if resume is None else None
    if match:
        source = match.group(0).rstrip("\n")
        start = source.count("\n") + 1
        blocks.append(Block("front_matter", 0, start, source, hash(("front_matter", source))))
    chunk = -1  # first line of the block being collected, -1 between blocks
    chunk_is_list = False
    fence = ""
    html_end: re.Pattern[str] | None = None
    after_blank = True
    raw_html = False
    references: list[int] = []
    # The bullet of the list item the block is in (while it only has items and their indented
    # lines since), and whether the block has had a blank line: where a list may be cut.
    bullet = ""
    loose = False

    def close(end: int, continued: bool = False) -> None:
        nonlocal chunk
        if chunk < 0:
            return
        while end > chunk and not lines[end - 1].strip():
            end -= 1
        blocks.append(_make_block(lines, chunk, end, slugs, base, continued))
        chunk = -1

    for number in range(start, len(lines)):
        line = lines[number]
        if fence:
            stripped = line.strip()
            if stripped.startswith(fence) and not stripped.lstrip(fence[0]) and len(line) - len(line.lstrip(" ")) <= 3:
                fence = ""
            continue
        if html_end is not None:
            if html_end.search(line):
                html_end = None
            continue
        if not line.strip():
            after_blank = True
            raw_html = False
            loose = chunk >= 0
            continue
        indented = line.startswith(("    ", "\t"))
        if after_blank and not indented and line.lstrip(" ").startswith("<"):
            raw_html = True  # an HTML block runs to the next blank line, headings included
        is_heading = (
            not indented and not raw_html and line.lstrip(" ").startswith("#") and _ATX.match(line) is not None
        )
        is_item = not indented and _LIST_ITEM.match(line) is not None
        item_bullet = line[0] if is_item and line[0] in "-+*" else ""
        if chunk >= 0 and (
            is_heading or (after_blank and not indented and line[0] != " " and not (chunk_is_list and is_item))
        ):
            close(number)
        elif chunk >= 0 and item_bullet and item_bullet == bullet and not loose and number - chunk >= MAX_LIST_LINES:
            close(number, continued=True)  # the next item of a long tight list
        if chunk < 0:
            chunk = number
            chunk_is_list = loose = False
            if not indented and _REFERENCE.match(line):
                references.append(len(blocks))
        bullet = item_bullet or (bullet if line[0] in " \t" else "")
        # Once a block holds a list, an item after a blank line continues it (a loose list).
        chunk_is_list = chunk_is_list or is_item
        after_blank = False
        if is_heading:
            close(number + 1)
            after_blank = True
            continue
        opened = _FENCE.match(line)
        if opened:
            marker = opened.group(1)
            # A backtick fence's info string cannot hold backticks: then it is inline code.
            if marker[0] == "~" or "`" not in line[opened.end() :]:
                fence = marker
            continue
        if line.lstrip(" ").startswith("<"):
            for opener, closer in _HTML_OPEN:
                if opener.match(line):
                    if not closer.search(line, opener.match(line).end()):  # type: ignore[union-attr]
                        html_end = closer
                    break
    close(len(lines))
    doc = MarkdownDoc(text, blocks)
    _finish(doc, lines, base, offset, len(kept), slugs, references, resume)
    return doc


def _finish(
    doc: MarkdownDoc,
    lines: list[str],
    base: int,
    offset: int,
    kept: int,
    slugs: _Slugger,
    candidates: list[int],
    resume: Resume | None,
) -> None:
    """Collect the link references of `doc`, and where its splitting can resume."""
    blocks, text = doc.blocks, doc.text
    # The last block may go on; so may the one before when the last starts on an unfinished
    # last line (its first line decides where the one before ends).
    keep = len(blocks) - 1
    if keep > 0 and not text.endswith("\n") and blocks[-1].start == base + len(lines) - 1:
        keep -= 1
    env: dict[str, Any] = {"references": dict(resume.references)} if resume is not None else {}
    parser = block_parser()
    kept_references: dict[str, Any] | None = None
    for index in candidates:
        if index >= keep and kept_references is None:
            kept_references = dict(env.get("references", {}))
        parser.parse(blocks[index].source, env)
    doc.references = env.get("references", {})
    if kept_references is None:
        kept_references = dict(doc.references)
    # An unclosed front matter becomes one when its closing line is appended.
    unclosed = text.startswith("---") and not (blocks and blocks[0].kind == "front_matter")
    if keep < max(kept, 1) or unclosed:
        return
    counts = dict(slugs.seen)
    for block in blocks[keep:]:
        if block.kind == "heading":
            counts[slugify(block.title)] -= 1
    line = blocks[keep].start
    position = offset + sum(map(len, lines[: line - base])) + (line - base)
    doc.resume = Resume(keep, line, position, counts, kept_references)


def _make_block(lines: list[str], start: int, end: int, slugs: _Slugger, base: int, continued: bool) -> Block:
    source = "\n".join(lines[start:end])
    first = lines[start]
    kind = "paragraph"
    level = 0
    title = ""
    heading = _ATX.match(first) if first.lstrip(" ").startswith("#") else None
    if heading:
        kind, level, title = "heading", len(heading.group(1)), heading_text(heading.group(2) or "")
    elif end - start >= 2 and _SETEXT.match(lines[start + 1]) and not _LIST_ITEM.match(first) and not first.lstrip().startswith((">", "<", "|")):
        kind = "heading"
        level = 1 if lines[start + 1].strip().startswith("=") else 2
        title = heading_text(first.strip())
    elif _FENCE.match(first):
        kind = "fence"
    elif first.startswith(("    ", "\t")):
        kind = "code"
    elif _HR.match(first) and end - start == 1:
        kind = "hr"
    elif _LIST_ITEM.match(first):
        kind = "list"
    elif first.lstrip(" ").startswith(">"):
        kind = "quote"
    elif end - start >= 2 and "|" in first and _TABLE_DELIMITER.match(lines[start + 1]):
        kind = "table"
    elif first.lstrip(" ").startswith("<"):
        kind = "html"
    key = hash((kind, source, continued))
    if kind == "heading":
        return Block(kind, base + start, base + end, source, key, level, title, slugs.slug(title))
    return Block(kind, base + start, base + end, source, key, continued=continued)


def head_of(text: str, *, lines: int = 200, min_chars: int = 256_000) -> str | None:
    """The start of a long document, cut at a block boundary after about `lines` lines.

    Splitting this first lets a pane paint a long document before the whole of it is parsed.
    The cut is at a blank line outside code fences, followed by an unindented line, so the
    blocks of the head are (almost always) the same as in the whole document; the rare block
    that is not is simply replaced when the whole document arrives. None for short texts.
    """
    if len(text) < min_chars:
        return None
    fence = ""
    position = 0
    previous_blank = False
    for number, line in enumerate(text.split("\n")):
        stripped = line.lstrip(" ")
        if len(line) - len(stripped) <= 3 and stripped.startswith(("```", "~~~")):
            marker = stripped[: len(stripped) - len(stripped.lstrip(stripped[0]))]
            if not fence:
                fence = marker
            elif stripped.startswith(fence) and not stripped[len(fence) :].strip():
                fence = ""
        elif (
            number >= lines
            and not fence
            and previous_blank
            and line.strip()
            and not line.startswith((" ", "\t"))
        ):
            return text[:position]
        previous_blank = not line.strip()
        position += len(line) + 1
    return None


# Characters that may start inline markup (or an escape, an entity, raw HTML).
_MARKUP_CHARS = frozenset("*_~`[]!<&\\")


def heading_text(raw: str) -> str:
    """A heading's text as shown: markup left out, code spans and underscores kept."""
    raw = raw.strip()
    if _MARKUP_CHARS.isdisjoint(raw):
        return raw
    # CommonMark decides what is markup (`test_clock.py` has none): ask the parser.
    tokens = full_parser().parseInline(raw)
    children = tokens[0].children if tokens else None
    return "".join(_shown(child) for child in children or ()).strip()


def _shown(token: Any) -> str:
    kind = token.type
    if kind in ("text", "text_special", "code_inline", "html_inline"):
        return str(token.content)
    if kind in ("softbreak", "hardbreak"):
        return " "
    if kind == "image":
        return "".join(_shown(child) for child in token.children or ())
    return ""


class _Slugger:
    """GitHub's heading anchors: lowercase, punctuation dropped, spaces to dashes, deduplicated."""

    def __init__(self, seen: dict[str, int]) -> None:
        self.seen = seen

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

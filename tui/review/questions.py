"""A design doc's questions, so each can be answered in place.

A question is:

- a heading that asks (`## Q4: What should init look like?`): answering it anchors to its
  whole section, which is where the agent writes the decision;
- a list item that asks: its text ends with `?`, or its first sentence does
  (`1. Where is a failure recorded? (see worker.py)`);
- any top-level list item under a heading named "... questions" ("Open questions",
  "Research questions"), asking or not (`5. **Clock skew between workers**: ...`).

Headings come from the same scan the anchors use (`DocumentIndex.headings`); list items from
markdown-it, run only on the sections that can hold questions.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tui.docs.blocks import FRONT_MATTER_RE, block_parser
from tui.review.anchoring import DocumentIndex
from tui.review.errors import NotCommentable
from tui.review.model import Anchor

_ATX_TEXT = re.compile(r" {0,3}#{1,6}(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
# Emphasis and code markers around words; underscores inside names (`give_up_on`) stay.
_MARKERS = re.compile(r"\*\*|__(?=\S)|(?<=\S)__|`+|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])")
# A first sentence that ends with a question mark, followed by the rest of the item.
_ASKS_FIRST = re.compile(r"^[^.!?]*\?(?:\s|$)")


@dataclass(frozen=True, slots=True)
class Question:
    # 1-based, in document order: `loupe review answer PATH --question N`.
    number: int
    text: str
    first_line: int
    last_line: int
    # "heading" or "item".
    kind: str
    # The title of the heading it is under ("" before the first heading).
    section: str

    def anchor(self, index: DocumentIndex) -> Anchor:
        """Where an answer to this question is anchored in `index` (the same document)."""
        if self.kind == "heading":
            return index.anchor_section(self.first_line)
        return index.anchor_lines(self.first_line, self.last_line)


def asks(text: str) -> bool:
    plain = text.strip()
    return plain.endswith("?") or _ASKS_FIRST.match(plain) is not None


def is_question_section(title: str) -> bool:
    return title.strip().rstrip(":").strip().lower().endswith("questions")


def find_questions(index: DocumentIndex) -> list[Question]:
    lines = index.lines
    body_start = 0
    front = FRONT_MATTER_RE.match(index.text)
    if front:
        body_start = front.group(0).rstrip("\n").count("\n") + 1
    headings = [(number, level) for number, level in index.headings if number >= body_start]
    found: list[tuple[int, int, str, str, str]] = []  # first, last, kind, text, section
    # (level, is a question section) of the headings enclosing the current line.
    stack: list[tuple[int, bool]] = []
    bounds = [body_start] + [number for number, _ in headings] + [len(lines)]
    titles = [""] + [_title(lines, number) for number, _ in headings]
    levels = [0] + [level for _, level in headings]
    for part in range(len(bounds) - 1):
        start, end = bounds[part], bounds[part + 1]
        title, level = titles[part], levels[part]
        body = start
        if part > 0:
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, is_question_section(title)))
            if asks(title):
                found.append((start + 1, start + 1, "heading", title, _parent_title(titles, levels, part)))
            setext = not lines[start].lstrip(" ").startswith("#")
            body = start + (2 if setext else 1)
        in_questions = any(flag for _, flag in stack)
        source = "\n".join(lines[body:end])
        if in_questions or "?" in source:
            for first, last, raw, depth in _list_items(source):
                if (in_questions and depth == 0) or asks(plain(raw)):
                    found.append((body + first + 1, body + last, "item", _question_text(raw), title))
    return [Question(number, text, first, last, kind, section)
            for number, (first, last, kind, text, section) in enumerate(found, start=1)]


def question(index: DocumentIndex, number: int) -> Question:
    found = find_questions(index)
    if not 1 <= number <= len(found):
        raise NotCommentable(
            f"there is no question {number}; the document has {len(found)} "
            "(list them with `loupe review questions PATH`)"
        )
    return found[number - 1]


def plain(text: str) -> str:
    """Markdown inline text as read: link targets and emphasis markers dropped."""
    return " ".join(_MARKERS.sub("", _LINK.sub(r"\1", text)).split())


def _question_text(raw: str) -> str:
    """The question itself, without what the item goes on to say: its bold lead
    (`**Should X?** Because...`), else up to its first question mark, else its first
    sentence."""
    lead = re.match(r"\s*\*\*(.+?)\*\*", raw)
    if lead:
        return plain(lead.group(1)).rstrip(":")
    text = plain(raw)
    asked = re.search(r"\?(?:\s|$)", text)
    if asked:
        return text[:asked.start() + 1]
    sentence = re.search(r"[.:](?:\s|$)", text)
    return text[:sentence.start()] if sentence else text


def _title(lines: list[str], number: int) -> str:
    atx = _ATX_TEXT.match(lines[number])
    if atx and lines[number].lstrip(" ").startswith("#"):
        return plain(atx.group(1) or "")
    return plain(lines[number])  # a setext heading: the line above the underline


def _parent_title(titles: list[str], levels: list[int], part: int) -> str:
    for earlier in range(part - 1, 0, -1):
        if levels[earlier] < levels[part]:
            return titles[earlier]
    return ""


def _list_items(source: str) -> list[tuple[int, int, str, int]]:
    """(first line, end line, markdown of its first paragraph, nesting depth) of each list
    item in `source`; lines are 0-based, the end exclusive, trailing blank lines dropped."""
    items: list[tuple[int, int, str, int]] = []
    depth = -1
    open_items: list[list] = []
    source_lines = source.split("\n")
    for token in block_parser().parse(source):
        if token.type == "list_item_open" and token.map:
            depth += 1
            open_items.append([token.map[0], token.map[1], None, depth])
        elif token.type == "list_item_close":
            first, end, text, level = open_items.pop()
            depth -= 1
            while end > first + 1 and not source_lines[end - 1].strip():
                end -= 1
            items.append((first, end, text or "", level))
        elif token.type == "inline" and open_items and open_items[-1][2] is None:
            open_items[-1][2] = token.content
    items.sort()
    return items

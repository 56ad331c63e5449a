"""Lay out one markdown block as lines of styled runs, for a given width.

This is the reading view's typesetting, kept free of Textual so it runs in worker threads and
is tested without a screen. Styles are names ("h1", "text strong", "code-block"...); the
widget maps them to colours of the current theme. Syntax highlighting of code is left to
paint time (only for code on screen): fence lines record where their code text sits.
"""

from __future__ import annotations

import re
from typing import Any

from tui.docs.blocks import Block, full_parser
from tui.docs.lines import BLANK, BlockLayout, Fence, Line
from tui.docs.tables import layout_table
from tui.docs.wrap import Run, cells, fold_text, wrap_runs
from tui.terminal_text import visible

# A bare URL in text, not swallowing trailing punctuation.
_URL = re.compile(r"https?://[^\s<>()\[\]]+[^\s<>()\[\].,;:!?'\"]")
# `path/to/file.py:123` or `notes/plan.md`: inline code that names a file becomes a link.
_CODE_PATH = re.compile(r"^(?:~|\.{1,2})?[\w.\-/]*[\w\-]\.[A-Za-z0-9]{1,8}(?::\d+(?::\d+)?)?$")
_ALERT = re.compile(r"^\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\s*", re.IGNORECASE)
_ALERT_TITLES = {
    "note": "ℹ Note",
    "tip": "✦ Tip",
    "important": "❢ Important",
    "warning": "⚠ Warning",
    "caution": "⛔ Caution",
}
BULLETS = ("•", "◦", "▪")


def layout_block(block: Block, width: int, references: dict[str, Any] | None = None) -> BlockLayout:
    """Lines for `block` at `width` cells, ending with one blank line of spacing (unless the
    next block continues it).

    `references` are the document's link reference definitions (a link may use one defined
    anywhere in the file). Pure computation: worker threads lay blocks out in parallel to
    the UI loop painting them.
    """
    width = max(8, width)
    fences: list[Fence] = []
    # The document is data (DESIGN decision 9): its control characters are shown as visible
    # text, never sent to the terminal. Done on the source, so wrapping measures what is shown
    # (markdown-it turns a character reference to a control, `&#27;`, into U+FFFD).
    source = visible(block.source)
    if block.kind == "front_matter":
        lines = _front_matter(source, width)
    elif block.kind == "hr":
        lines = [Line([("─" * width, "hr", None)])]
    else:
        env = {"references": references} if references else {}
        tokens = full_parser().parse(source, env)
        lines = _Renderer(fences).blocks(tokens, 0, len(tokens), width, tight=False)
        if not lines:
            return BlockLayout([], fences)  # only link reference definitions: nothing to show
    if not block.continued:
        lines.append(BLANK)
    return BlockLayout(lines, fences)


def estimate_height(block: Block, width: int) -> int:
    """A cheap guess of `layout_block(...).height`, used until the block is laid out."""
    width = max(8, width)
    kind = block.kind
    if kind == "heading":
        return 2 + 2 * (block.level <= 2) + len(block.title) // width
    if kind == "hr":
        return 2
    if kind in ("fence", "code"):
        return sum(1 + len(line) // (width - 2) for line in block.source.split("\n")) + 1
    if kind == "table":
        return block.end - block.start + 2
    return sum(1 + len(line) // width for line in block.source.split("\n")) + (not block.continued)


class _Renderer:
    def __init__(self, fences: list[Fence]) -> None:
        self.fences = fences
        self.bullet_depth = 0
        # (inline token, characters): a marker at the start of that paragraph not to show
        # (a task's "[ ] ", an alert's "[!NOTE]").
        self.skip: tuple[Any, int] | None = None

    def blocks(self, tokens: list[Any], start: int, end: int, width: int, *, tight: bool) -> list[Line]:
        out: list[Line] = []
        index = start
        while index < end:
            token = tokens[index]
            close = _close_index(tokens, index)
            rendered = self.block(tokens, index, close, width, tight=tight)
            if rendered is not None:
                if out and not tight:
                    out.append(BLANK)
                out.extend(rendered)
            index = close + 1
        return out

    def block(self, tokens: list[Any], index: int, close: int, width: int, *, tight: bool) -> list[Line] | None:
        token = tokens[index]
        kind = token.type
        if kind == "paragraph_open":
            inline = tokens[index + 1]
            skip = 0
            if self.skip is not None and self.skip[0] is inline:
                skip = self.skip[1]
                self.skip = None
            return _wrap(inline_runs(inline, "text", skip), width)
        if kind == "heading_open":
            return _heading(tokens[index + 1], int(token.tag[1]), width)
        if kind in ("bullet_list_open", "ordered_list_open"):
            return self.list(tokens, index, close, width)
        if kind == "blockquote_open":
            return self.quote(tokens, index, close, width)
        if kind in ("fence", "code_block"):
            return self.fence(token, width)
        if kind == "table_open":
            return layout_table(tokens, index, close, width, inline_runs)
        if kind == "hr":
            return [Line([("─" * width, "hr", None)])]
        if kind == "html_block":
            return [
                Line([(text[a:b], "html", None)])
                for text in token.content.rstrip("\n").split("\n")
                for a, b in fold_text(text, width)
            ]
        return None

    def list(self, tokens: list[Any], index: int, close: int, width: int) -> list[Line]:
        opening = tokens[index]
        ordered = opening.type == "ordered_list_open"
        number = int(opening.attrs.get("start", 1) or 1) if ordered else 0
        items = []
        position = index + 1
        while position < close:
            item_close = _close_index(tokens, position)
            items.append((position, item_close))
            position = item_close + 1
        tight = bool(items) and all(
            tokens[i + 1].hidden for i, _ in items if i + 1 < len(tokens) and tokens[i + 1].type == "paragraph_open"
        )
        if ordered:
            marker_width = len(f"{number + len(items) - 1}.") + 1
        else:
            marker_width = 2
        out: list[Line] = []
        for item_index, (item_open, item_close) in enumerate(items):
            if ordered:
                marker = f"{number + item_index}.".rjust(marker_width - 1) + " "
                marker_style = "number"
            else:
                marker = BULLETS[self.bullet_depth % len(BULLETS)] + " "
                marker_style = "bullet"
            inner = width - marker_width
            task = _task_state(tokens, item_open)
            if task is not None:
                self.skip = (tokens[item_open + 2], 4)
                marker = ("☑ " if task else "☐ ").rjust(marker_width)
                marker_style = "task-done" if task else "task-open"
            self.bullet_depth += not ordered
            body = self.blocks(tokens, item_open + 1, item_close, inner, tight=tight)
            self.bullet_depth -= not ordered
            if not body:
                body = [BLANK]
            if item_index and not tight:
                out.append(BLANK)
            pad = " " * marker_width
            for line_index, line in enumerate(body):
                prefix = (marker, marker_style, None) if line_index == 0 else (pad, "text", None)
                out.append(_prefixed(prefix, line))
        return out

    def quote(self, tokens: list[Any], index: int, close: int, width: int) -> list[Line]:
        bar_style = "quote-bar"
        title: list[Line] = []
        self.skip = None
        if index + 2 < close and tokens[index + 1].type == "paragraph_open":
            inline = tokens[index + 2]
            head = inline.children[0] if inline.children else None
            match = _ALERT.match(head.content) if head is not None and head.type == "text" else None
            if match:
                kind = match.group(1).lower()
                bar_style = f"alert-{kind}"
                title = [Line([(_ALERT_TITLES[kind], f"alert-{kind} strong", None)])]
                self.skip = (inline, match.end())
        body = self.blocks(tokens, index + 1, close, width - 2, tight=False)
        lines = title + body if body and any(line.runs for line in body) else title or body
        prefix = ("▌ ", bar_style, None)
        return [_prefixed(prefix, line) for line in lines] or [Line([prefix])]

    def fence(self, token: Any, width: int) -> list[Line]:
        language = (token.info or "").strip().split(" ")[0] if token.type == "fence" else ""
        code = token.content[:-1] if token.content.endswith("\n") else token.content
        source_lines = code.expandtabs(4).split("\n")
        fence_index = len(self.fences)
        first_line = token.map[0] + (1 if token.type == "fence" else 0) if token.map else 0
        self.fences.append(Fence(language, "\n".join(source_lines), source_lines, first_line))
        inner = width - 2
        top_runs: list[Run] = [(" ", "code-pad", None)]
        if language:
            label = language[: max(1, inner)]
            top_runs = [(" " * max(1, width - cells(label) - 1), "code-pad", None), (label, "code-lang", None)]
        out = [Line(top_runs, "code-block")]
        for number, text in enumerate(source_lines):
            for part, (a, b) in enumerate(fold_text(text, inner)):
                lead = " " if part == 0 else "↪"
                out.append(
                    Line(
                        [(lead, "code-pad" if part == 0 else "code-wrap", None), (text[a:b], "code-block", None)],
                        "code-block",
                        (fence_index, number, a, b, 1),
                    )
                )
        out.append(Line([], "code-block"))
        return out


def _close_index(tokens: list[Any], index: int) -> int:
    """Index of the token closing the one at `index` (itself for unnested tokens)."""
    if tokens[index].nesting != 1:
        return index
    depth = 0
    for position in range(index, len(tokens)):
        depth += tokens[position].nesting
        if depth == 0:
            return position
    return len(tokens) - 1


def _prefixed(prefix: Run, line: Line) -> Line:
    code = line.code
    if code is not None:
        code = (*code[:4], code[4] + 1)
    return Line([prefix, *line.runs], line.fill, code)


def _wrap(runs: list[Run], width: int) -> list[Line]:
    return [Line(parts) for parts in wrap_runs(runs, width)]


def _heading(inline: Any, level: int, width: int) -> list[Line]:
    style = f"h{min(level, 4)}"
    lines = _wrap(inline_runs(inline, style), width)
    if level <= 2:
        # Sections start with air above them; terminals have no bigger fonts.
        lines.insert(0, BLANK)
    if level == 1:
        lines.append(Line([("━" * width, "h1-rule", None)]))
    elif level == 2:
        lines.append(Line([("─" * width, "h2-rule", None)]))
    return lines


def _task_state(tokens: list[Any], item_open: int) -> bool | None:
    """True/False for a `[x]` / `[ ]` task item, else None."""
    if item_open + 2 >= len(tokens) or tokens[item_open + 1].type != "paragraph_open":
        return None
    inline = tokens[item_open + 2]
    if not inline.children or inline.children[0].type != "text":
        return None
    head = inline.children[0].content[:4]
    if head in ("[ ] ", "[x] ", "[X] ") or head in ("[ ]", "[x]", "[X]"):
        return head[1] in "xX"
    return None


_STYLE_KEYS: dict[tuple[str, ...], str] = {}


def _style_key(base: str, mods: list[str]) -> str:
    if not mods:
        return base
    key = (base, *mods)
    found = _STYLE_KEYS.get(key)
    if found is None:
        found = _STYLE_KEYS[key] = " ".join(key)
    return found


def inline_runs(inline: Any, base: str, skip: int = 0) -> list[Run]:
    """Styled runs for an inline token's children, leaving out the first `skip` characters
    of the first text (a marker shown another way)."""
    out: list[Run] = []
    mods: list[str] = []
    link: str | None = None
    drop_break = False
    for child in inline.children or ():
        kind = child.type
        after_marker, drop_break = drop_break, False
        if kind == "text" or kind == "text_special":
            content = child.content
            if skip:
                content, skip = content[skip:], 0
                # A line break right after the marker is the marker's.
                drop_break = not content.strip()
            if not content:
                continue
            style = _style_key(base, mods)
            if link is None and "://" in content:
                _linkify(content, style, base, mods, out)
            else:
                out.append((content, style, link))
        elif kind == "softbreak":
            if after_marker:
                continue
            out.append((" ", _style_key(base, mods), link))
        elif kind == "hardbreak":
            out.append(("\n", base, None))
        elif kind == "code_inline":
            content = child.content
            target = link
            extra = ["code"]
            if target is None and _CODE_PATH.match(content) and ("/" in content or ":" in content):
                target = content
                extra.append("link")
            out.append((content, _style_key(base, [*mods, *extra]), target))
        elif kind in ("strong_open", "em_open", "s_open"):
            mods.append({"strong_open": "strong", "em_open": "em", "s_open": "strike"}[kind])
        elif kind in ("strong_close", "em_close", "s_close"):
            name = {"strong_close": "strong", "em_close": "em", "s_close": "strike"}[kind]
            if name in mods:
                del mods[len(mods) - 1 - mods[::-1].index(name)]
        elif kind == "link_open":
            link = str(child.attrs.get("href", ""))
            mods.append("link")
        elif kind == "link_close":
            link = None
            if "link" in mods:
                mods.remove("link")
        elif kind == "image":
            alt = "".join(c.content for c in child.children or ()) or str(child.attrs.get("src", ""))
            out.append((f"🖼 {alt}", _style_key(base, [*mods, "link"]), str(child.attrs.get("src", ""))))
        elif kind == "html_inline":
            out.append((child.content, _style_key(base, [*mods, "html"]), link))
    return out


def _linkify(text: str, style: str, base: str, mods: list[str], out: list[Run]) -> None:
    position = 0
    link_style = _style_key(base, [*mods, "link"])
    for match in _URL.finditer(text):
        if match.start() > position:
            out.append((text[position : match.start()], style, None))
        out.append((match.group(), link_style, match.group()))
        position = match.end()
    if position < len(text):
        out.append((text[position:], style, None))


def _front_matter(source: str, width: int) -> list[Line]:
    body = source.split("\n")[1:-1]
    out = [Line([(" properties", "meta-title", None)], "meta")]
    for text in body:
        key, sep, value = text.partition(":")
        if sep and key and not key.startswith(" "):
            runs: list[Run] = [(key, "meta-key", None), (":" + value, "meta-value", None)]
        else:
            runs = [(text, "meta-value", None)]
        for parts in wrap_runs(runs, width - 1):
            out.append(Line([(" ", "meta", None), *parts], "meta"))
    out.append(Line([], "meta"))
    return out

"""What a reader should see of markdown: markdown-it's text content of each leaf block.

Renderers are checked against this (see test_docs_fidelity.py): whatever chrome they draw
(bullets, task boxes, table borders, fence padding), the characters of the text must all be
there, in order.
"""

from __future__ import annotations

import re
from typing import Any

_SPACE = re.compile(r"\s+")
_TASK = re.compile(r"\[[ xX]\](?:\s+|$)")
_ALERT = re.compile(r"\[!(?:NOTE|TIP|IMPORTANT|WARNING|CAUTION)\]\s*", re.IGNORECASE)


def inline_text(inline: Any, *, link_targets: bool = False) -> str:
    """The text content of an inline token: what its children show, markup left out.

    Code spans keep their content verbatim, line breaks read as spaces, an image reads as its
    alt text. `link_targets`: a link is followed by " (href)", as Rich draws links when it
    does not make them clickable.
    """
    out: list[str] = []
    href = ""
    for child in inline.children or ():
        kind = child.type
        if kind in ("text", "text_special", "code_inline", "html_inline"):
            out.append(child.content)
        elif kind in ("softbreak", "hardbreak"):
            out.append(" ")
        elif kind == "image":
            out.append(inline_text(child))
        elif kind == "link_open":
            href = str(child.attrs.get("href", ""))
        elif kind == "link_close" and link_targets:
            out.append(f" ({href})")
    return "".join(out)


def leaf_texts(
    tokens: list[Any], *, tasks: bool = False, alerts: bool = False, link_targets: bool = False
) -> list[str]:
    """The text of each leaf block (paragraph, heading, table cell, code, raw HTML), in order.

    `tasks`: a `[ ] `/`[x] ` at the start of a list item is a task box, drawn as a marker
    rather than as text. `alerts`: so is a `[!NOTE]` at the start of a quote.
    """
    out: list[str] = []
    for index, token in enumerate(tokens):
        if token.type == "inline":
            text = inline_text(token, link_targets=link_targets)
            # A marker is plain text at the very start: `[[x]](notes.md)` is a link.
            plain = bool(token.children) and token.children[0].type == "text"
            marker = None
            if plain and tasks and _opens(tokens, index, "list_item_open"):
                marker = _TASK.match(text)
            elif plain and alerts and _opens(tokens, index, "blockquote_open"):
                marker = _ALERT.match(text)
            if marker:
                text = text[marker.end() :]
            out.append(text)
        elif token.type in ("fence", "code_block", "html_block"):
            out.append(token.content)
    return out


def _opens(tokens: list[Any], index: int, container: str) -> bool:
    """Whether the inline token at `index` is the first paragraph of a `container`."""
    return index >= 2 and tokens[index - 1].type == "paragraph_open" and tokens[index - 2].type == container


def squeeze(text: str) -> str:
    """Runs of whitespace as one space: wrapping and padding move spaces, never letters."""
    return _SPACE.sub(" ", text).strip()

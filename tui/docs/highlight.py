"""Syntax highlighting as data: Pygments tokens split per source line.

Views paint these with theme colours; lexing stays out of the widget so it can run in a
worker thread for big files. Pygments is imported on first use (it is not needed at startup).
"""

from __future__ import annotations

from typing import Any

# (pygments token type, text) pieces of one source line.
LineTokens = list[tuple[Any, str]]

# Lexing is linear but slow in pure Python; past this size code is shown plain.
MAX_HIGHLIGHT_CHARS = 2_000_000


def lexer_for(language: str = "", filename: str = "") -> Any | None:
    """A Pygments lexer for a fence language or a file name, or None for plain text."""
    from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
    from pygments.util import ClassNotFound

    try:
        if language:
            return get_lexer_by_name(language, stripnl=False, ensurenl=False)
        if filename:
            return get_lexer_for_filename(filename, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None
    return None


def lex_lines(code: str, language: str = "", filename: str = "") -> list[LineTokens] | None:
    """Tokens of each line of `code`, or None when there is no lexer (or it is too big)."""
    if len(code) > MAX_HIGHLIGHT_CHARS:
        return None
    lexer = lexer_for(language, filename)
    if lexer is None:
        return None
    lines: list[LineTokens] = [[]]
    for token_type, value in lexer.get_tokens(code):
        if "\n" not in value:
            if value:
                lines[-1].append((token_type, value))
            continue
        parts = value.split("\n")
        for index, part in enumerate(parts):
            if index:
                lines.append([])
            if part:
                lines[-1].append((token_type, part))
    expected = code.count("\n") + 1
    del lines[expected:]
    while len(lines) < expected:
        lines.append([])
    return lines


def slice_tokens(tokens: LineTokens, start: int, end: int) -> LineTokens:
    """The tokens covering characters [start, end) of a line."""
    out: LineTokens = []
    position = 0
    for token_type, text in tokens:
        following = position + len(text)
        if following > start and position < end:
            out.append((token_type, text[max(0, start - position) : end - position]))
        position = following
        if position >= end:
            break
    return out

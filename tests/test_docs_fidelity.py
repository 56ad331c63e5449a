"""Renderers drop no characters: over generated markdown, what each renderer shows of a block is
markdown-it's text content of that block.

Visible text is the text of a block's lines without its chrome: list bullets and numbers,
task boxes (☐ ☑, which stand for `[ ]`/`[x]`), alert titles (for `[!NOTE]`), quote bars,
table borders, code-fence padding and language labels, rules, and image markers. Whitespace is
not compared (wrapping and padding move it); at a width where nothing wraps the order of the
characters is, and at a narrow width their count. Documents come from a fixed seed, so a
failure names the seed that reproduces it.
"""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest
from textual.app import App, ComposeResult

import themes
from tests.helpers import wait_until
from tests.markdown_gen import MarkdownGen
from tests.markdown_text import leaf_texts, squeeze
from tui.docs.blocks import full_parser, split_blocks
from tui.docs.layout import layout_block
from tui.docs.lines import Line
from tui.docs.wrap import cells
from widgets.artifact_view import ArtifactView
from widgets.chat.blocks import PARSER, BlockStream
from widgets.chat.incremental_markdown import render_blocks
from widgets.chat.rich_markdown import BlockRenderer, Palette

SEEDS = range(60)
WIDE = 1000
NARROW = 24

# Styles of the reading view's chrome (see tui.docs.layout and tui.docs.tables).
_ARTIFACT_CHROME = frozenset(
    {"bullet", "number", "task-done", "task-open", "quote-bar", "code-pad", "code-wrap", "code-lang",
     "hr", "h1-rule", "h2-rule", "table-border"}
)
_IMAGE = "🖼"
# Rich's chrome: bullets, quote bars, table rules, image markers. List numbers are words of
# digits; generated words never are, so such words are dropped on both sides.
_CHAT_CHROME = re.compile(r"[•▌🖼\u2500-\u257f]")
_NUMBER_WORD = re.compile(r"(?<!\S)\d+(?!\S)")


def _no_space(text: str) -> Counter[str]:
    return Counter(char for char in text if not char.isspace())


def _artifact_visible(lines: list[Line]) -> list[str]:
    return [
        "".join(text for text, style, _ in line.runs if style not in _ARTIFACT_CHROME and not style.startswith("alert-")).replace(_IMAGE, "")
        for line in lines
    ]


def _check(seed: int, index: int, source: str, expected: list[str], shown: dict[int, list[str]]) -> None:
    where = f"seed {seed}, block {index}:\n{source}"
    assert squeeze(" ".join(shown[WIDE])) == squeeze(" ".join(expected)), where
    assert _no_space("".join(shown[NARROW])) == _no_space("".join(expected)), where


@pytest.mark.parametrize("seed", SEEDS)
def test_reading_view_shows_every_character(seed: int) -> None:
    doc = split_blocks(MarkdownGen(seed).document())
    env = {"references": doc.references} if doc.references else {}
    for index, block in enumerate(doc.blocks):
        tokens = full_parser().parse(block.source, dict(env))
        expected = leaf_texts(tokens, tasks=True, alerts=True)
        shown = {}
        for width in (WIDE, NARROW):
            lines = layout_block(block, width, doc.references).lines
            over = [line.plain for line in lines if cells(line.plain) > width]
            assert not over, f"seed {seed}, block {index}: lines wider than {width} are cropped: {over}"
            shown[width] = _artifact_visible(lines)
        _check(seed, index, block.source, expected, shown)


def _chat_text(text: str) -> str:
    return _NUMBER_WORD.sub("", _CHAT_CHROME.sub("", text))


@pytest.mark.parametrize("seed", SEEDS)
def test_chat_shows_every_character(seed: int) -> None:
    text = MarkdownGen(seed).document()
    palette = Palette.from_variables("fidelity", True, {})
    renderer = BlockRenderer(palette)
    # Streamed in random chunks, as replies arrive.
    stream = BlockStream()
    cuts = sorted(random.Random(seed).sample(range(1, len(text)), len(text) // 20))
    for start, end in zip([0, *cuts], [*cuts, len(text)]):
        stream.feed(text[start:end])
    stream.finish()
    for index, source in enumerate(stream.frozen):
        tokens = PARSER.parse(source)
        if [token.type for token in tokens] == ["hr"]:
            continue  # a rule of dashes, and no text
        expected = [_chat_text(leaf) for leaf in leaf_texts(tokens, link_targets=True)]
        shown = {}
        for width in (WIDE, NARROW):
            lines, _ = render_blocks(renderer, [source], "", width, after_blocks=False)
            shown[width] = [_chat_text(line.text) for line in lines]
        _check(seed, index, source, expected, shown)


class _Host(App[None]):
    def compose(self) -> ComposeResult:
        yield ArtifactView()

    def on_mount(self) -> None:
        for theme in themes.THEMES:
            self.register_theme(theme)
        self.theme = "loupe-dark"


@pytest.mark.parametrize("seed", [6, 17])
async def test_reading_view_paints_what_it_laid_out(seed: int) -> None:
    doc = split_blocks(MarkdownGen(seed).document(8))
    app = _Host()
    async with app.run_test(size=(26, 40)) as pilot:  # narrow: wide tables must still fit
        view = app.query_one(ArtifactView)
        view.show_document(doc)
        await wait_until(pilot, lambda: view.fully_laid_out, "document laid out")
        expected = [line.rstrip() for line in view.text_lines()]
        painted: dict[int, str] = {}
        height = view.scrollable_content_region.height
        for top in range(0, view.total_height, height):
            view.scroll_to(y=top, animate=False, immediate=True, force=True)
            await pilot.pause()
            shown = int(view.scroll_y)  # the last page stops at the end
            for y in range(min(height, view.total_height - shown)):
                painted[shown + y] = view.render_line(y).text.strip()
        assert [painted[y] for y in range(view.total_height)] == [line.strip() for line in expected]

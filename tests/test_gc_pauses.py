"""Keys are not held up by full garbage collections while replies stream (bench/stream_render.py).

Three causes, each tested on its own: painted lines that Textual's strips kept alive by caching
themselves, a markdown parser built (as cyclic garbage) for every rendered block, and full
collections that started whenever CPython chose, keys or not.
"""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest
from markdown_it import MarkdownIt
from markdown_it.renderer import RendererHTML
from rich.segment import Segment
from rich.style import Style
from textual.strip import Strip

from tui.quiet_gc import NEVER, QuietGC
from widgets import strip_cycles
from widgets.chat.rich_markdown import BlockRenderer, Palette


class Line(Strip):
    """A strip that can be watched with a weak reference (Strip itself has no slot for one)."""


@pytest.fixture
def no_automatic_collection() -> Iterator[None]:
    """Only reference counting frees objects meanwhile: what a cycle keeps stays."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@pytest.fixture
def patched_strips() -> Iterator[None]:
    was_installed = strip_cycles.installed()
    strip_cycles.install()
    try:
        yield
    finally:
        if not was_installed:
            strip_cycles.uninstall()


def test_a_painted_line_is_freed_as_soon_as_it_is_dropped(no_automatic_collection: None, patched_strips: None) -> None:
    # What the compositor and the styles cache do to every line that fills its region.
    line = Line([Segment("reply "), Segment("text", Style(bold=True))])
    assert line.divide([10]) == [line]
    assert line.crop_extend(0, 10, None) is line
    watched = weakref.ref(line)
    del line
    assert watched() is None, "the line's own cache keeps it alive until a full collection"


def test_strips_still_divide_crop_and_cache_as_textual_does(patched_strips: None) -> None:
    line = Strip([Segment("abcdef")])
    first, second = line.divide([2, 6])
    assert (first.text, second.text) == ("ab", "cdef")
    assert line.divide([2, 6]) is line.divide([2, 6])  # other answers are still cached
    wider = line.crop_extend(0, 8, None)
    assert (wider.text, wider.cell_length) == ("abcdef  ", 8)
    assert line.crop_extend(1, 4, None).text == "bcd"
    assert line.divide([6, 9]) == [line]  # cuts past the end are dropped, as before


def test_uninstall_gives_textual_its_methods_back() -> None:
    was_installed = strip_cycles.installed()
    originals = (Strip.divide, Strip.crop_extend)
    strip_cycles.uninstall()
    try:
        stock = (Strip.divide, Strip.crop_extend)
        strip_cycles.install()
        strip_cycles.install()  # idempotent: wrapping twice would lose the originals
        strip_cycles.uninstall()
        assert (Strip.divide, Strip.crop_extend) == stock
    finally:
        if was_installed:
            strip_cycles.install()
            assert (Strip.divide, Strip.crop_extend) != stock
        else:
            assert (Strip.divide, Strip.crop_extend) == originals


def test_rendering_a_block_builds_no_markdown_parser(no_automatic_collection: None) -> None:
    renderer = BlockRenderer(Palette.from_variables("plain", True, {}))

    def parsers() -> int:
        # A parser's renderer keeps its own bound methods: a cycle, left for a full collection.
        return sum(1 for item in gc.get_objects() if isinstance(item, (MarkdownIt, RendererHTML)))

    before = parsers()
    for n in range(5):
        lines = renderer.uncached(f"Step {n}: **bold** and `code`\n\n- an item", 40)
        assert "Step" in lines[0].text
    assert parsers() == before


# -- full collections wait for a pause in input -------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.step = 0.0

    def __call__(self) -> float:
        self.now += self.step
        return self.now


@pytest.fixture
def quiet() -> Iterator[tuple[QuietGC, Clock]]:
    clock = Clock()
    collector = QuietGC(clock=clock)
    saved = gc.get_threshold()
    collector.install()
    try:
        yield collector, clock
    finally:
        collector.uninstall()
        assert gc.get_threshold() == saved


def make_due(collector: QuietGC) -> None:
    # Each young (generation 1) collection counts toward the next full one, as in CPython.
    while not collector.due():
        gc.collect(1)


def full_collections() -> int:
    return gc.get_stats()[2]["collections"]


def test_no_automatic_full_collection_while_installed(quiet: tuple[QuietGC, Clock]) -> None:
    collector, _ = quiet
    assert gc.get_threshold()[2] == NEVER
    before = full_collections()
    make_due(collector)
    for _ in range(3 * gc.get_threshold()[1]):
        gc.collect(1)
        # Cycles, so young collections have work; none may escalate to a full one.
        junk: list[object] = []
        junk.append(junk)
    assert full_collections() == before
    assert collector.due()


def test_a_due_full_collection_waits_for_a_pause_in_input(quiet: tuple[QuietGC, Clock]) -> None:
    collector, clock = quiet
    make_due(collector)
    before = full_collections()
    collector.input_seen()
    for _ in range(4):
        clock.now += 0.25
        assert not collector.tick(), "ran while keys were coming"
        collector.input_seen()
    assert full_collections() == before
    clock.now += collector.QUIET
    assert collector.tick()
    assert full_collections() == before + 1
    assert not collector.due()
    assert not collector.tick()


def test_a_collection_waits_no_longer_than_the_longest_defer(quiet: tuple[QuietGC, Clock]) -> None:
    collector, clock = quiet
    make_due(collector)
    collector.input_seen()
    assert not collector.tick()
    waited = 0.0
    while waited < collector.LONGEST_DEFER:
        clock.now += 0.5
        waited += 0.5
        collector.input_seen()
        if collector.tick():
            break
    assert waited == collector.LONGEST_DEFER
    assert collector.collections == 1


def test_full_collections_keep_within_their_share_of_time(quiet: tuple[QuietGC, Clock]) -> None:
    collector, clock = quiet
    make_due(collector)
    clock.step = 0.1  # each reading of the clock is 0.1 s on: the collection "takes" 0.1 s
    assert collector.tick()
    clock.step = 0.0
    make_due(collector)
    clock.now += 1.0  # quiet, but 0.1 s of collection buys 2 s without one at a 5 % share
    assert not collector.tick()
    clock.now += 1.0
    assert collector.tick()

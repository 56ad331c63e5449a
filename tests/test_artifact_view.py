"""The reading view on its own: layout timing, anchoring, background search, links, marks,
theme styles. Small documents in a tiny host app."""

from __future__ import annotations

import itertools

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Button

import themes
import widgets.artifact_view as artifact_view
from tests.helpers import wait_until
from tui.docs.block_diff import diff_blocks
from tui.docs.blocks import split_blocks
from tui.docs.heights import HeightMap
from widgets.artifact_view import ArtifactView
from widgets.theme_styles import SPECS, _quick_parse


def doc_of(count: int, extra: str = "") -> str:
    return "\n".join(f"## Part {n}\n\nText of part {n} with [link {n}](p{n}.md).{extra}\n" for n in range(count))


class Host(App[None]):
    def __init__(self, mount_later: bool = False) -> None:
        super().__init__()
        self.mount_later = mount_later
        self.links: list[str] = []

    def compose(self) -> ComposeResult:
        if not self.mount_later:
            # Each look at the clock is 0.1 s later: marks are read after a few ticks of the
            # view's timer, however slow the machine.
            yield ArtifactView(seen_seconds=0.2, clock=itertools.count(0.0, 0.1).__next__)
        yield Button("after")

    def on_mount(self) -> None:
        for theme in themes.THEMES:
            self.register_theme(theme)
        self.theme = "loupe-dark"

    def on_artifact_view_link_activated(self, message: ArtifactView.LinkActivated) -> None:
        self.links.append(message.href)


def screen(view: ArtifactView) -> list[str]:
    return [view.render_line(y).text.strip() for y in range(view.scrollable_content_region.height)]


async def test_mounted_into_a_running_screen_lays_out() -> None:
    # A pane added after the screen's first layout may get no Resize event; it must lay
    # out anyway (this once left panes blank).
    app = Host(mount_later=True)
    async with app.run_test(size=(80, 20)) as pilot:
        await pilot.pause(0.2)
        view = ArtifactView()
        await app.mount(view, before=0)
        view.show_document(split_blocks(doc_of(3)))
        await wait_until(pilot, lambda: "Part 0" in screen(view), "document painted")


async def test_anchor_survives_resize_and_layout_corrections() -> None:
    app = Host()
    async with app.run_test(size=(80, 20)) as pilot:
        view = app.query_one(ArtifactView)
        view.show_document(split_blocks(doc_of(200, extra=" More words to wrap differently." * 3)))
        view.scroll_to_block(150, 1)  # probably before the background layout is done
        await wait_until(pilot, lambda: view.fully_laid_out, "laid out")
        assert view.anchor == (150, 1)
        top = screen(view)[0]
        await pilot.resize_terminal(50, 20)
        await wait_until(pilot, lambda: view.fully_laid_out and view._width < 50, "relaid out narrower")
        assert view.anchor[0] == 150
        await pilot.resize_terminal(80, 20)
        await wait_until(pilot, lambda: view.fully_laid_out and view._width > 50, "back to the first width")
        assert screen(view)[0] == top


async def test_reload_keeps_place_with_insertions_above() -> None:
    app = Host()
    async with app.run_test(size=(80, 20)) as pilot:
        view = app.query_one(ArtifactView)
        old = split_blocks(doc_of(60))
        view.show_document(old)
        await wait_until(pilot, lambda: view.fully_laid_out, "laid out")
        view.scroll_to_block(80, 1)
        before = screen(view)[0]
        new = split_blocks("# New title\n\nNew intro.\n\n" + doc_of(60).replace("Text of part 50", "Changed 50"))
        view.show_document(new, diff_blocks(old.blocks, new.blocks))
        await pilot.pause()
        assert screen(view)[0] == before
        assert new.blocks[view.anchor[0]].source == old.blocks[80].source


async def test_an_append_measures_only_the_blocks_that_changed(monkeypatch: pytest.MonkeyPatch) -> None:
    measured: list[int] = []
    reset = HeightMap.reset

    def counted(self: HeightMap, blocks: list, width: int, layouts: dict) -> None:  # type: ignore[type-arg]
        measured.append(len(blocks))
        reset(self, blocks, width, layouts)

    monkeypatch.setattr(HeightMap, "reset", counted)
    app = Host()
    async with app.run_test(size=(80, 20)) as pilot:
        view = app.query_one(ArtifactView)
        old = split_blocks(doc_of(500))
        view.show_document(old)
        await wait_until(pilot, lambda: view.fully_laid_out, "laid out")
        view.scroll_to_block(len(old.blocks) - 1)
        measured.clear()
        new = split_blocks(old.text + "\nOne more paragraph.\n", old)
        view.show_document(new, diff_blocks(old.blocks, new.blocks))
        await wait_until(pilot, lambda: view.fully_laid_out, "laid out again")
        # The 1,000 blocks before it were measured once, not at every append.
        assert measured and max(measured) <= 2
        full = HeightMap()
        full.reset(new.blocks, view.layout_width, view.layouts)
        assert (view._map.heights, view._map.offsets) == (full.heights, full.offsets)
        assert {key for key, _ in view.layouts} <= new.keys
        assert "One more paragraph." in screen(view)


async def test_search_runs_in_the_background_for_big_documents(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(artifact_view, "LAY_OUT_ALL_MAX_BLOCKS", 10)
    app = Host()
    async with app.run_test(size=(80, 20)) as pilot:
        view = app.query_one(ArtifactView)
        view.show_document(split_blocks(doc_of(100)))
        await pilot.pause(0.2)
        assert not view.fully_laid_out  # too many blocks: laid out only as they are shown
        view.search("part 9")
        await wait_until(pilot, lambda: not view.searching, "search finished")
        # "part 9" and "part 90".."part 99", each in a heading and a paragraph.
        assert view.match_status == (1, 22)
        await pilot.press("G")
        assert "Part 99" in "\n".join(screen(view))


async def test_links_by_keyboard_and_mouse_and_tab_moves_on() -> None:
    app = Host()
    async with app.run_test(size=(80, 20)) as pilot:
        view = app.query_one(ArtifactView)
        view.show_document(split_blocks("Go [one](a.md) or [two](b.md).\n"))
        view.focus()
        await wait_until(pilot, lambda: view.fully_laid_out, "laid out")
        await pilot.press("tab")
        assert view.focused_link == "a.md"
        await pilot.press("tab", "enter")
        assert app.links == ["b.md"]
        await pilot.press("tab")  # past the last link: focus moves on, as in a browser
        assert isinstance(app.focused, Button)
        row = screen(view)[0]
        await pilot.click(ArtifactView, offset=(view.render_line(0).text.index("one"), 0))
        assert app.links == ["b.md", "a.md"], row


async def test_change_marks_show_and_fade_once_seen() -> None:
    app = Host()
    async with app.run_test(size=(80, 30)) as pilot:
        view = app.query_one(ArtifactView)
        view.show_document(split_blocks(doc_of(3)))
        await wait_until(pilot, lambda: view.fully_laid_out, "laid out")
        view.set_marks([1], removed_before=[3])
        rows = [view.render_line(y).text for y in range(12)]
        assert any(row.lstrip().startswith("▌ Text of part 0") for row in rows)
        assert any(row.lstrip().startswith("▔ Text of part 1") for row in rows)
        # On screen for `seen_seconds`: read, so the marks go.
        await wait_until(pilot, lambda: not view.marked_blocks, "marks read")
        assert "▌" not in "".join(view.render_line(y).text for y in range(12))


async def test_quick_style_parsing_matches_textual() -> None:
    app = Host()
    async with app.run_test(size=(40, 10)) as pilot:
        for theme in ("loupe-dark", "loupe-light", "textual-dark"):
            app.theme = theme
            await pilot.pause()
            variables = app.theme_variables
            for name, spec in SPECS.items():
                quick = _quick_parse(spec, variables)
                if quick is not None and spec:
                    assert quick.rich_style == app.stylesheet.parse_style(spec).rich_style, (theme, name)


async def test_double_click_keeps_the_app_running() -> None:
    # Textual's select-all on a double click walks the widget with `query("*")`, which here
    # is the search query: it raised TypeError and closed the app.
    app = Host()
    async with app.run_test(size=(80, 20)) as pilot:
        view = app.query_one(ArtifactView)
        view.show_document(split_blocks(doc_of(3)))
        await wait_until(pilot, lambda: view.fully_laid_out, "laid out")
        await pilot.double_click(ArtifactView, offset=(10, 2))
        await pilot.pause()
        assert app.is_running and app._exception is None
        assert "Part 0" in "\n".join(screen(view))

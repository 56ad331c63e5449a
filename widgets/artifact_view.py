"""A virtualised, read-only markdown reading view.

Only what is on screen is rendered. A document arrives already split into blocks
(`tui.docs.blocks`); each block is laid out once per width (`tui.docs.layout`) and painted once
per theme into cached `Strip`s (`BlockPainter`). Blocks not laid out yet count with an
estimated height (`tui.docs.heights`) until a worker thread lays them out; blocks that scroll
into view are laid out at once. The reader's place is an anchor (block index, line within the
block), so reloads, relayouts and height corrections never move the text under the reader's
eyes.

The view owns the document, its layouts and the scroll position; helpers with their own state
do the rest: `ArtifactSearch`, `LinkCursor` (both see the view as a `ReadingSurface`),
`ChangeMarks` (plain data), `SelectionCursor` (lines from the keyboard, cells with the mouse)
and `BlockPainter` (with the `Gutter`, which also shows review comments set by the owner).
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

from textual import events, work
from textual.actions import SkipAction
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import get_current_worker

from tui.docs.block_diff import BlockDiff
from tui.docs.blocks import MarkdownDoc
from tui.docs.heights import HeightMap
from tui.docs.lines import BlockLayout
from widgets.artifact_gutter import Gutter
from widgets.artifact_links import LinkCursor
from widgets.artifact_marks import ChangeMarks
from widgets.artifact_paint import BlockPainter
from widgets.artifact_search import ArtifactSearch
from widgets.artifact_selection import Point, SelectionCursor
from widgets.artifact_surface import LayoutCache
from widgets.reading import ReadingKeys, reading_bindings
from widgets.theme_styles import ThemeStyles

_T = TypeVar("_T")

# Past this many blocks (about 30,000 lines) blocks are laid out only when shown (or searched):
# laying out a 10 MB document takes half a minute and a lot of memory for nothing.
LAY_OUT_ALL_MAX_BLOCKS = 5000


class ArtifactView(ReadingKeys, ScrollView, can_focus=True):
    """Shows a `MarkdownDoc`; keeps the reader's place across updates."""

    # Textual's text selection finds nothing to copy in a line-API view, and its select-all
    # (a double click) calls `query("*")`, which is the search query here.
    ALLOW_SELECT = False

    DEFAULT_CSS = """
    ArtifactView {
        scrollbar-gutter: stable;
        background: $background;
    }
    """

    BINDINGS = [
        *reading_bindings("artifact"),
        Binding("tab", "next_link", "Next link", id="artifact.next_link"),
        Binding("shift+tab", "previous_link", "Previous link", show=False, id="artifact.previous_link"),
        Binding("enter", "open_link", "Open link", id="artifact.open_link"),
        Binding("n", "next_match", "Next match", id="artifact.next_match"),
        Binding("N", "previous_match", "Previous match", id="artifact.previous_match"),
        Binding("v", "select_lines", "Select", id="artifact.select"),
        Binding("y", "copy_selection", "Copy", id="artifact.copy"),
        Binding("escape", "clear_selection", "Clear selection", show=False, id="artifact.clear_selection"),
    ]

    class LinkActivated(Message):
        """The reader clicked a link or pressed enter on one."""

        def __init__(self, view: ArtifactView, href: str) -> None:
            super().__init__()
            self.view = view
            self.href = href

        @property
        def control(self) -> ArtifactView:
            return self.view

    class SectionChanged(Message):
        """The heading the reader is in changed (block index of the heading, or -1)."""

        def __init__(self, view: ArtifactView, block: int) -> None:
            super().__init__()
            self.view = view
            self.block = block

        @property
        def control(self) -> ArtifactView:
            return self.view

    class LaidOut(Message):
        """Every block is laid out at the current width: heights are exact."""

    class MarksRead(Message):
        """Every changed block has been on screen long enough to count as read."""

    class DocumentSeen(Message):
        """The document (as last shown) has been on screen long enough to count as seen."""

    class SearchUpdated(Message):
        """Matches or the current match changed."""

    class SelectionChanged(Message):
        """Text was selected, or the selection went."""

    class CopyRequested(Message):
        """The reader asked to copy the selection (`y`): the owner copies `text`."""

        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(
        self,
        *,
        max_width: int = 100,
        seen_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
        placeholder: str = "",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        """`clock` tells the time on screen that makes changes read (`seen_seconds`)."""
        super().__init__(name=name, id=id, classes=classes)
        self.max_width = max_width
        self.placeholder = placeholder
        self.theme_styles = ThemeStyles(self)
        self.doc: MarkdownDoc | None = None
        # Bumped whenever the document or the width changes: stale worker results are dropped.
        self.generation = 0
        self._width = 0
        self.layouts = LayoutCache()
        self._map = HeightMap()
        self._headings: list[int] = []
        self._section = -2
        self.fully_laid_out = False
        self._settling = False
        self._pending_anchor: tuple[int, int] | None = None
        self._bindings_state = (False, False)
        self._painter = BlockPainter(self.theme_styles)
        self._marks = ChangeMarks(seen_seconds, clock)
        self._search = ArtifactSearch(self, self._search_changed)
        self._links = LinkCursor(self)
        self.selection = SelectionCursor(self)
        # Review comments' gutter marks, by block key (`artifact_gutter.NOTES`).
        self._notes: dict[int, str] = {}

    # ------------------------------------------------------------------ document

    def show_document(self, doc: MarkdownDoc, diff: BlockDiff | None = None) -> None:
        """Show `doc`. With `diff` (from the shown document to `doc`) the reader stays put."""
        previous = self.doc
        anchor = self.anchor if previous is not None else None
        at_end = previous is not None and self.scroll_y >= self.max_scroll_y and self.scroll_y > 0
        if anchor is not None and diff is not None and diff.old_to_new:
            block, line = anchor
            anchor = (diff.old_to_new[min(block, len(diff.old_to_new) - 1)], line)
        elif anchor is not None and diff is None:
            anchor = (0, 0)
        self.generation += 1
        self.doc = doc
        self._headings = doc.heading_indices
        self.layouts = self.layouts.for_version(previous, doc, diff)
        self._painter.keep_blocks(doc.keys)
        self._marks.new_document(doc.keys)
        self._links.clear()
        self._keep_selection(previous, doc, diff)
        self._section = -2
        if not self._width and self.scrollable_content_region.width > 0:
            self._sync_width()
            self.refresh()
            return
        if self._width:
            self._reset_heights(diff)
            if at_end:
                self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)
            else:
                self._restore(self._take_pending_anchor() or anchor or (0, 0))
            self._ensure_visible_exact()
            self._start_layout()
        if self._search.query:
            self._search.run(keep_place=True)
        self.refresh()

    def prepare(self, doc: MarkdownDoc, diff: BlockDiff | None = None) -> None:
        """Lay out (and highlight) the blocks `show_document(doc, diff)` will show first.

        Safe to call from a worker thread, before `show_document`: it only fills caches, so
        the UI loop is left with painting.
        """
        width = self._width
        if not width or not doc.blocks:
            return
        start = 0
        if self.doc is not None and diff is not None and diff.old_to_new and len(self._map):
            block, _ = self.anchor
            start = diff.old_to_new[min(block, len(diff.old_to_new) - 1)]
        doc.keys, doc.heading_indices  # noqa: B018  (what showing it asks of every block: asked off the UI loop)
        wanted = 2 * max(10, self.scrollable_content_region.height)
        layouts = self.layouts
        total = 0
        for block in doc.blocks[start:]:
            layout = layouts.of(block, width, doc.references)
            self._painter.lex(block.key, layout)
            total += layout.height
            if total >= wanted:
                break

    @property
    def block_count(self) -> int:
        return len(self.doc.blocks) if self.doc else 0

    @property
    def total_height(self) -> int:
        return self._map.total

    @property
    def anchor(self) -> tuple[int, int]:
        """(block index, line within the block) at the top of the view."""
        if not len(self._map):
            return (0, 0)
        return self._map.locate(int(self.scroll_y))

    def visible_blocks(self) -> range:
        if not len(self._map):
            return range(0)
        top = int(self.scroll_y)
        first = self._map.block_at(top)
        last = self._map.block_at(top + max(0, self.scrollable_content_region.height - 1))
        return range(first, last + 1)

    def scroll_to_block(self, index: int, line: int = 0, *, center: bool = False) -> None:
        if not len(self._map):
            self._pending_anchor = (index, line)  # not laid out yet: go there once it is
            return
        index = max(0, min(index, len(self._map) - 1))
        self.layout(index)
        self._update_heights([index])
        y = self._map.top(index) + line
        if center:
            y -= self.scrollable_content_region.height // 3
        self.scroll_to(y=max(0, y), animate=False, immediate=True, force=True)
        self._ensure_visible_exact()

    def scroll_to_slug(self, slug: str) -> bool:
        if self.doc is None:
            return False
        for index in self._headings:
            if self.doc.blocks[index].slug == slug:
                self.scroll_to_block(index)
                return True
        return False

    def current_section(self) -> int:
        """Block index of the heading above the top of the view, or -1."""
        if not self._headings:
            return -1
        position = bisect_right(self._headings, self.anchor[0]) - 1
        return self._headings[position] if position >= 0 else -1

    def text_lines(self) -> list[str]:
        """The whole document as laid out at the current width, as plain text."""
        if self.doc is None or not self._width:
            return []
        return [line.plain for layout in self.layout_all() for line in layout.lines]

    def on_mount(self) -> None:
        self.set_interval(0.5, self._track_seen)
        self.call_after_refresh(self._sync_width)

    # ------------------------------------------------------------------ what the helpers see
    # (`ReadingSurface`)

    @property
    def layout_width(self) -> int:
        return self._width

    @property
    def viewport_height(self) -> int:
        return self.scrollable_content_region.height

    def layout(self, index: int) -> BlockLayout:
        assert self.doc is not None
        return self.layouts.of(self.doc.blocks[index], self._width, self.doc.references)

    def layout_all(self) -> list[BlockLayout]:
        assert self.doc is not None
        layouts = [self.layout(index) for index in range(len(self.doc.blocks))]
        self._update_heights(range(len(self.doc.blocks)))
        return layouts

    def reveal(self, block: int, line: int) -> None:
        self._update_heights([block])
        top = self._map.top(block) + line
        height = self.scrollable_content_region.height
        if not (self.scroll_y <= top < self.scroll_y + height):
            self.scroll_to(y=max(0, top - height // 3), animate=False, immediate=True, force=True)

    @property
    def rows_total(self) -> int:
        return self._map.total

    def row_position(self, block: int, line: int) -> int:
        return self._map.position(block, line)

    def row_at(self, y: int) -> tuple[int, int]:
        return self._map.locate(y)

    def run_in_thread(self, work: Callable[[], _T | None], then: Callable[[_T], object], group: str) -> None:
        def run() -> None:
            result = work()
            if result is not None:
                self.app.call_from_thread(then, result)

        self.run_worker(run, thread=True, exclusive=True, group=group, description=group)

    # ------------------------------------------------------------------ heights

    def _content_width(self) -> int:
        available = self.scrollable_content_region.width - Gutter.WIDTH - 1
        return max(8, min(self.max_width, available))

    def _reset_heights(self, diff: BlockDiff | None = None) -> None:
        """Heights for the document shown; with `diff` from the one measured, only of what changed."""
        assert self.doc is not None
        if diff is not None and len(diff.old_to_new) == len(self._map):
            self._map.splice(diff.same_start, diff.same_end, self.doc.blocks, self._width, self.layouts)
        else:
            self._map.reset(self.doc.blocks, self._width, self.layouts)
        self.fully_laid_out = self._map.complete
        self._sync_virtual_size()

    def _sync_virtual_size(self) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, self._map.total)

    def _take_pending_anchor(self) -> tuple[int, int] | None:
        anchor, self._pending_anchor = self._pending_anchor, None
        return anchor

    def _restore(self, anchor: tuple[int, int]) -> None:
        self.scroll_to(y=self._map.position(*anchor), animate=False, immediate=True, force=True)

    def _update_heights(self, indices: Iterable[int]) -> bool:
        """Take the laid-out heights of `indices`, keeping the anchor. True if any changed."""
        assert self.doc is not None
        anchor = self.anchor
        at_end = self.scroll_y >= self.max_scroll_y and self.scroll_y > 0
        changed = self._map.take(indices, self.doc.blocks, self._width, self.layouts)
        if changed:
            self._sync_virtual_size()
            if at_end:
                self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)
            else:
                self._restore(anchor)
        if not self.fully_laid_out and self._map.complete:
            self.fully_laid_out = True
            self.post_message(self.LaidOut())
        return changed

    def _ensure_visible_exact(self) -> None:
        """Lay out every block on screen now, so what is painted has its true height."""
        if self.doc is None or not len(self._map) or self.fully_laid_out or self._settling:
            return
        self._settling = True
        try:
            for _ in range(4):  # heights settle in one or two rounds
                todo = self._map.pending(self.visible_blocks())
                if not todo:
                    return
                for index in todo:
                    self.layout(index)
                self._update_heights(todo)
        finally:
            self._settling = False

    def _start_layout(self) -> None:
        if self.doc is None or self.fully_laid_out or len(self.doc.blocks) > LAY_OUT_ALL_MAX_BLOCKS:
            return
        self._layout_worker(self.generation, self.doc, self._width, self.layouts, bytes(self._map.exact))

    @work(thread=True, exclusive=True, group="artifact-layout", description="lay out blocks")
    def _layout_worker(self, generation: int, doc: MarkdownDoc, width: int, layouts: LayoutCache, exact: bytes) -> None:
        layouts.lay_out_estimated(
            doc, width, exact,
            stale=lambda: get_current_worker().is_cancelled or generation != self.generation,
            report=lambda indices: self.app.call_from_thread(self._apply_layouts, generation, indices),
        )

    def _apply_layouts(self, generation: int, indices: list[int]) -> None:
        if generation != self.generation:
            return
        if self._update_heights(indices):
            self.refresh()

    def on_resize(self) -> None:
        self._sync_width()

    def on_show(self) -> None:
        self._sync_width()

    def _sync_width(self) -> None:
        """Lay out for the current width. Resize events alone are not enough: a pane mounted
        into an already laid out screen can be given its size without one."""
        width = self._content_width()
        if width == self._width or self.scrollable_content_region.width <= 0:
            if len(self._map):
                self._sync_virtual_size()
            return
        anchor = self.anchor if len(self._map) else (0, 0)
        previous, self._width = self._width, width
        self.generation += 1
        self._painter.forget_width()
        if self.doc is not None:
            # Keep the previous width's layouts: resizing back and forth stays cheap.
            self.layouts = LayoutCache((k, v) for k, v in self.layouts.items() if k[1] in (width, previous))
            self._reset_heights()
            self._restore(self._take_pending_anchor() or anchor)
            self._ensure_visible_exact()
            self._start_layout()
            if self._search.query:
                self._search.run(keep_place=True)
        self.refresh()

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if not self.fully_laid_out:
            # Not now: this may run inside a scroll animation step, and correcting the scroll
            # position from there would pull the animation out from under the animator.
            self.call_next(self._ensure_visible_exact)
        section = self.current_section()
        if section != self._section:
            self._section = section
            self.post_message(self.SectionChanged(self, section))

    # ------------------------------------------------------------------ painting

    def render_line(self, y: int) -> Strip:
        painter = self._painter
        painter.sync_theme()
        width = self.scrollable_content_region.width
        doc_y = int(self.scroll_y) + y
        if self.doc is None or not len(self._map) or doc_y >= self._map.total:
            if y == 0 and self.doc is not None and not self.doc.blocks and self.placeholder:
                return painter.notice(self.placeholder, width)
            return painter.blank(width)
        block, line = self._map.locate(doc_y)
        shown = self.doc.blocks[block]
        layout = self.layout(block)
        return painter.row(
            shown.key,
            layout,
            line,
            text_width=self._width,
            width=width,
            # A block continued by the next has no blank line after it, to leave unmarked.
            mark=self._marks.kind(shown.key, line, self._map.heights[block] + shown.continued, _source_line(layout, line)),
            overlays=(*self._search.overlays(block, line), *self._links.overlays(block, line),
                      *self.selection.overlays(block, line)),
            note=self._notes.get(shown.key, "") if line < self._map.heights[block] - 1 + shown.continued else "",
        )

    # ------------------------------------------------------------------ search

    @property
    def query(self) -> str:  # type: ignore[override]  # the search query, not DOM queries
        return self._search.query

    @property
    def searching(self) -> bool:
        """A search is running in the background (the document is not laid out yet)."""
        return self._search.searching

    @property
    def match_status(self) -> tuple[int, int]:
        """(current match, 1-based or 0, number of matches)."""
        return self._search.status

    def search(self, query: str) -> int:
        """Highlight every match of `query` (case-insensitive unless it has capitals)."""
        return self._search.search(query)

    def clear_search(self) -> None:
        self._search.clear()

    def _search_changed(self) -> None:
        self.refresh()
        self._sync_bindings()
        self.post_message(self.SearchUpdated())

    def action_next_match(self) -> None:
        if not self._search.step(1):
            raise SkipAction()

    def action_previous_match(self) -> None:
        if not self._search.step(-1):
            raise SkipAction()

    # ------------------------------------------------------------------ links

    @property
    def focused_link(self) -> str | None:
        return self._links.href

    def _step_link(self, step: int) -> None:
        if self.doc is None or not len(self._map):
            raise SkipAction()
        found = self._links.step(step)
        self.refresh()
        self._sync_bindings()
        if not found:
            raise SkipAction()  # no more links this way: tab moves the focus on, as in a browser

    def action_next_link(self) -> None:
        self._step_link(1)

    def action_previous_link(self) -> None:
        self._step_link(-1)

    def action_open_link(self) -> None:
        if self._links.href is None:
            raise SkipAction()
        self.post_message(self.LinkActivated(self, self._links.href))

    def action_activate_link(self, href: str) -> None:
        self.post_message(self.LinkActivated(self, href))

    def on_blur(self) -> None:
        if self._links.clear():
            self.refresh()
            self._sync_bindings()

    # ------------------------------------------------------------------ change marks

    def set_marks(
        self,
        changed: Iterable[int],
        removed_before: Iterable[int] = (),
        moved: Iterable[int] = (),
        changed_lines: Mapping[int, frozenset[int]] | None = None,
    ) -> None:
        """Mark blocks (by index) as changed (`changed_lines`: only those source lines of
        some code blocks), moved, and blocks that follow a deletion."""
        if self.doc is None:
            return
        blocks = self.doc.blocks
        count = len(blocks)
        self._marks.mark(
            (blocks[index].key for index in changed if index < count),
            (blocks[index].key for index in removed_before if index < count),
            (blocks[index].key for index in moved if index < count),
            {blocks[index].key: lines for index, lines in (changed_lines or {}).items() if index < count},
        )
        self.refresh()

    def reset_read(self) -> None:
        """The owner recorded the current version as read: forget what was read of the last."""
        self._marks.reset_read()

    @property
    def marked_count(self) -> int:
        """How many blocks are marked (as `len(marked_blocks)`, without a pass over them all)."""
        return self._marks.count

    @property
    def marked_blocks(self) -> list[int]:
        if self.doc is None:
            return []
        return [index for index, block in enumerate(self.doc.blocks) if block.key in self._marks]

    def _track_seen(self) -> None:
        """Count time on screen: of changed blocks (their marks go), and of the document."""
        if self._marks.idle:
            return  # nothing left to notice: keep the idle app idle
        if self.doc is None or not self.app.app_focus or not self.is_on_screen or not len(self._map):
            self._marks.hide()
            return
        blocks = self.doc.blocks
        seen = self._marks.tick(blocks[index].key for index in self.visible_blocks())
        if seen.document:
            self.post_message(self.DocumentSeen())
        if seen.marks:
            self.refresh()
            if not self._marks:
                self.post_message(self.MarksRead())

    # ------------------------------------------------------------------ review notes

    def set_notes(self, by_block: dict[int, str]) -> None:
        """Comment marks for the gutter, by block index (`artifact_gutter.NOTES` names)."""
        if self.doc is None:
            return
        blocks = self.doc.blocks
        notes = {blocks[index].key: note for index, note in by_block.items() if index < len(blocks) and note}
        if notes != self._notes:
            self._notes = notes
            self.refresh()

    @property
    def noted_blocks(self) -> list[int]:
        if self.doc is None:
            return []
        return [index for index, block in enumerate(self.doc.blocks) if block.key in self._notes]

    # ------------------------------------------------------------------ selection

    def focus_row(self) -> tuple[int, int]:
        """(block, line) the reader is at: the selection's start, the selected link, or the
        first line of text at the top of the view."""
        bounds = self.selection.bounds()
        if bounds is not None:
            return bounds[0][:2]
        if self._links.selected is not None:
            return self._links.selected[:2]
        block, line = self.anchor
        if self.doc is not None and block < len(self.doc.blocks) and line >= self.layout(block).height:
            return min(block + 1, len(self.doc.blocks) - 1), 0
        return block, line

    def action_select_lines(self) -> None:
        if self.doc is None or not len(self._map):
            raise SkipAction()
        if self.selection.keyboard:
            self.selection.clear()
        else:
            self.selection.start_lines(*self.focus_row())
        self._selection_changed()

    def action_clear_selection(self) -> None:
        if not self.selection.clear():
            raise SkipAction()
        self._selection_changed()

    def action_copy_selection(self) -> None:
        if self.selection.empty:
            raise SkipAction()
        self.post_message(self.CopyRequested(self.selection.shown_text()))

    def action_scroll_down(self) -> None:
        if self.selection.keyboard:
            self._move_selection(1)
        else:
            super().action_scroll_down()

    def action_scroll_up(self) -> None:
        if self.selection.keyboard:
            self._move_selection(-1)
        else:
            super().action_scroll_up()

    def _move_selection(self, step: int) -> None:
        moved = self.selection.step(step)
        if moved is not None:
            self.reveal(*moved)
        self._selection_changed()

    def _point_at(self, x: int, y: int) -> Point | None:
        width = self.scrollable_content_region.width
        left = max(0, (width - Gutter.WIDTH - 1 - self._width) // 2) + Gutter.WIDTH
        return self.selection.point_at(int(self.scroll_y) + y, x - left)

    def on_mouse_down(self, event: events.MouseDown) -> None:
        if event.button != 1:
            return
        point = self._point_at(event.x, event.y)
        if point is None:
            return
        had = self.selection.clear()
        self.selection.start_drag(point)
        self.capture_mouse()
        if had:
            self._selection_changed()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        if self.app.mouse_captured is not self or self.selection.anchor is None or self.selection.whole_lines:
            return
        point = self._point_at(event.x, event.y)
        if point is not None and point != self.selection.head:
            self.selection.drag_to(point)
            self.refresh()

    def on_mouse_up(self, event: events.MouseUp) -> None:
        if self.app.mouse_captured is self:
            self.release_mouse()
        if self.selection.anchor is None or self.selection.whole_lines:
            return
        if self.selection.empty:
            self.selection.clear()  # a click: links stay clickable
        self._selection_changed()

    def _keep_selection(self, previous: MarkdownDoc | None, doc: MarkdownDoc, diff: BlockDiff | None) -> None:
        if not self.selection.keep(previous, doc, diff):
            self.post_message(self.SelectionChanged())

    def _selection_changed(self) -> None:
        self.refresh()
        self.refresh_bindings()
        self.post_message(self.SelectionChanged())

    # ------------------------------------------------------------------ keys

    def _sync_bindings(self) -> None:
        # The footer recomposes on every refresh_bindings; only ask when the answer changed.
        state = (self._search.has_matches, self._links.selected is not None)
        if state != self._bindings_state:
            self._bindings_state = state
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Keep the footer to what applies now; hidden actions also let their keys fall through.
        if action in ("next_match", "previous_match"):
            return self._search.has_matches
        if action == "open_link":
            return self._links.selected is not None
        if action == "copy_selection":
            return not self.selection.empty
        if action == "clear_selection":
            return self.selection.active
        return True


def _source_line(layout: BlockLayout, line: int) -> int | None:
    """The block's source line shown on `line` of its layout, where that is a line of code."""
    code = layout.lines[line].code if line < len(layout.lines) else None
    if code is None:
        return None
    return layout.fences[code[0]].first_line + code[1]

"""A virtualised, read-only markdown reading view.

Only what is on screen is rendered. A document arrives already split into top-level blocks
(`tui.docs.blocks`); each block is laid out once per width (`tui.docs.layout`) and painted once
per theme into cached `Strip`s. Blocks not laid out yet count with an estimated height until a
worker thread lays them out; blocks that scroll into view are laid out at once. The reader's
place is an anchor (block index, line within the block), so reloads, relayouts and height
corrections never move the text under the reader's eyes.
"""

from __future__ import annotations

import re
import time
from bisect import bisect_right
from collections import OrderedDict
from collections.abc import Iterable
from itertools import accumulate

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style as RichStyle
from textual import work
from textual.actions import SkipAction
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip
from textual.worker import get_current_worker

from tui.docs.blocks import BlockDiff, MarkdownDoc
from tui.docs.highlight import LineTokens, lex_lines, slice_tokens
from tui.docs.layout import BlockLayout, Fence, Line, estimate_height, layout_block
from tui.docs.wrap import cells
from widgets.palette import Palette
from widgets.reading import ReadingKeys, reading_bindings

GUTTER = 2
# Fences bigger than this are shown without highlighting (lexing runs while painting).
MAX_FENCE_HIGHLIGHT = 40_000
STRIP_CACHE_BLOCKS = 400
# Past this many blocks (about 30,000 lines) blocks are laid out only when shown (or searched):
# laying out a 10 MB document takes half a minute and a lot of memory for nothing.
LAY_OUT_ALL_MAX_BLOCKS = 5000


class ArtifactView(ReadingKeys, ScrollView, can_focus=True):
    """Shows a `MarkdownDoc`; keeps the reader's place across updates."""

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

    def __init__(
        self,
        *,
        max_width: int = 100,
        seen_seconds: float = 2.0,
        placeholder: str = "",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.max_width = max_width
        self.seen_seconds = seen_seconds
        self.placeholder = placeholder
        self.palette = Palette(self)
        self.doc: MarkdownDoc | None = None
        self._generation = 0
        self._width = 0
        self._layouts: dict[tuple[int, int], BlockLayout] = {}
        self._heights: list[int] = []
        self._exact = bytearray()
        self._offsets: list[int] = [0]
        self._strips: OrderedDict[tuple[int, int], list[Strip]] = OrderedDict()
        self._edges: dict[tuple[int, str], list[Segment]] = {}
        self._link_styles: dict[tuple[str, str], RichStyle] = {}
        self._lexed: dict[tuple[int, int], list[LineTokens] | None] = {}
        self._headings: list[int] = []
        self._section = -2
        self.fully_laid_out = False
        self._settling = False
        self._pending_anchor: tuple[int, int] | None = None
        # Change marks, by block key: changed blocks, and blocks that follow a deletion.
        self._marked: set[int] = set()
        self._removed: set[int] = set()
        self._seen: dict[int, float] = {}
        # Keys of changed blocks already read: not marked again until `reset_read`.
        self._read_keys: set[int] = set()
        self._visible_since: float | None = None
        self._document_seen = False
        # Search.
        self.query = ""
        self._searching = False
        self._matches: list[tuple[int, int, int, int]] = []
        self._match_index = -1
        self._match_lines: dict[tuple[int, int], list[tuple[int, int, bool]]] = {}
        # The link selected with the keyboard: (block, line, start, end, href).
        self._focus_link: tuple[int, int, int, int, str] | None = None
        self._bindings_state = (False, False)

    # ------------------------------------------------------------------ document

    def show_document(self, doc: MarkdownDoc, diff: BlockDiff | None = None) -> None:
        """Show `doc`. With `diff` (from the shown document to `doc`) the reader stays put."""
        anchor = self.anchor if self.doc is not None else None
        at_end = self.doc is not None and self.scroll_y >= self.max_scroll_y and self.scroll_y > 0
        if anchor is not None and diff is not None and diff.old_to_new:
            block, line = anchor
            anchor = (diff.old_to_new[min(block, len(diff.old_to_new) - 1)], line)
        elif anchor is not None and diff is None:
            anchor = (0, 0)
        self._generation += 1
        self.doc = doc
        self._headings = [index for index, block in enumerate(doc.blocks) if block.kind == "heading"]
        keys = {block.key for block in doc.blocks}
        self._layouts = {key: value for key, value in self._layouts.items() if key[0] in keys}
        self._lexed = {key: value for key, value in self._lexed.items() if key[0] in keys}
        self._marked &= keys
        self._removed &= keys
        self._focus_link = None
        self._section = -2
        self._document_seen = False
        self._visible_since = None
        if not self._width and self.scrollable_content_region.width > 0:
            self._sync_width()
            self.refresh()
            return
        if self._width:
            self._reset_heights()
            if at_end:
                self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)
            else:
                self._restore(self._take_pending_anchor() or anchor or (0, 0))
            self._ensure_visible_exact()
            self._start_layout()
        if self.query:
            self._run_search(keep_place=True)
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
        if self.doc is not None and diff is not None and diff.old_to_new and self._heights:
            block, _ = self.anchor
            start = diff.old_to_new[min(block, len(diff.old_to_new) - 1)]
        wanted = 2 * max(10, self.scrollable_content_region.height)
        layouts = self._layouts
        lexed = self._lexed
        total = 0
        for index in range(start, len(doc.blocks)):
            block = doc.blocks[index]
            found = layouts.get((block.key, width))
            if found is None:
                found = layout_block(block, width, doc.references)
                layouts[(block.key, width)] = found
            for fence_index, fence in enumerate(found.fences):
                if (block.key, fence_index) not in lexed:
                    lexed[(block.key, fence_index)] = _lex_fence(fence)
            total += found.height
            if total >= wanted:
                break

    @property
    def block_count(self) -> int:
        return len(self.doc.blocks) if self.doc else 0

    @property
    def total_height(self) -> int:
        return self._offsets[-1]

    @property
    def anchor(self) -> tuple[int, int]:
        """(block index, line within the block) at the top of the view."""
        if not self._heights:
            return (0, 0)
        y = int(self.scroll_y)
        block = self._block_at(y)
        return (block, y - self._offsets[block])

    def visible_blocks(self) -> range:
        if not self._heights:
            return range(0)
        top = int(self.scroll_y)
        first = self._block_at(top)
        last = self._block_at(top + max(0, self.scrollable_content_region.height - 1))
        return range(first, last + 1)

    def block_top(self, index: int) -> int:
        return self._offsets[min(index, len(self._offsets) - 1)]

    def scroll_to_block(self, index: int, line: int = 0, *, center: bool = False) -> None:
        if not self._heights:
            self._pending_anchor = (index, line)  # not laid out yet: go there once it is
            return
        index = max(0, min(index, len(self._heights) - 1))
        self._layout(index)
        self._update_heights([index])
        y = self._offsets[index] + line
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
        top_block = self.anchor[0]
        position = bisect_right(self._headings, top_block) - 1
        return self._headings[position] if position >= 0 else -1

    # ------------------------------------------------------------------ marks

    def set_marks(self, changed: Iterable[int], removed_before: Iterable[int] = ()) -> None:
        """Mark blocks (by index) as changed, and blocks that follow a deletion."""
        if self.doc is None:
            return
        blocks = self.doc.blocks
        self._marked = {blocks[i].key for i in changed if i < len(blocks)} - self._read_keys
        self._removed = {blocks[i].key for i in removed_before if i < len(blocks)} - self._read_keys
        marks = self._marked | self._removed
        self._seen = {key: value for key, value in self._seen.items() if key in marks}
        self.refresh()

    def reset_read(self) -> None:
        """The owner recorded the current version as read: forget what was read of the last."""
        self._read_keys.clear()

    @property
    def marked_blocks(self) -> list[int]:
        if self.doc is None:
            return []
        marks = self._marked | self._removed
        return [index for index, block in enumerate(self.doc.blocks) if block.key in marks]

    def on_mount(self) -> None:
        self.set_interval(0.5, self._track_seen)
        self.call_after_refresh(self._sync_width)

    def _track_seen(self) -> None:
        """Count time on screen: of changed blocks (their marks go), and of the document."""
        if self._document_seen and not (self._marked or self._removed):
            return  # nothing left to notice: keep the idle app idle
        if self.doc is None or not self.app.app_focus or not self.is_on_screen or not self._heights:
            self._visible_since = None
            return
        now = time.monotonic()
        if self._visible_since is None:
            self._visible_since = now
        if not self._document_seen and now - self._visible_since >= self.seen_seconds:
            self._document_seen = True
            self.post_message(self.DocumentSeen())
        marks = self._marked | self._removed
        if not marks:
            return
        visible = {self.doc.blocks[i].key for i in self.visible_blocks()}
        done = []
        for key in visible & marks:
            first = self._seen.setdefault(key, now)
            if now - first >= self.seen_seconds:
                done.append(key)
        if done:
            self._read_keys.update(done)
            self._marked.difference_update(done)
            self._removed.difference_update(done)
            self.refresh()
            if not (self._marked or self._removed):
                self.post_message(self.MarksRead())

    # ------------------------------------------------------------------ heights

    def _content_width(self) -> int:
        available = self.scrollable_content_region.width - GUTTER - 1
        return max(8, min(self.max_width, available))

    def _reset_heights(self) -> None:
        assert self.doc is not None
        width = self._width
        layouts = self._layouts
        heights: list[int] = []
        exact = bytearray(len(self.doc.blocks))
        for index, block in enumerate(self.doc.blocks):
            found = layouts.get((block.key, width))
            if found is not None:
                heights.append(found.height)
                exact[index] = 1
            else:
                heights.append(estimate_height(block, width))
        self._heights = heights
        self._exact = exact
        self.fully_laid_out = all(exact)
        self._rebuild_offsets()

    def _rebuild_offsets(self) -> None:
        self._offsets = [0, *accumulate(self._heights)]
        self.virtual_size = Size(self.scrollable_content_region.width, self._offsets[-1])

    def _block_at(self, y: int) -> int:
        return max(0, min(bisect_right(self._offsets, y) - 1, len(self._heights) - 1))

    def _take_pending_anchor(self) -> tuple[int, int] | None:
        anchor, self._pending_anchor = self._pending_anchor, None
        return anchor

    def _restore(self, anchor: tuple[int, int]) -> None:
        block, line = anchor
        if not self._heights:
            self.scroll_to(y=0, animate=False, immediate=True, force=True)
            return
        block = max(0, min(block, len(self._heights) - 1))
        line = max(0, min(line, self._heights[block] - 1))
        self.scroll_to(y=self._offsets[block] + line, animate=False, immediate=True, force=True)

    def _layout(self, index: int) -> BlockLayout:
        assert self.doc is not None
        block = self.doc.blocks[index]
        key = (block.key, self._width)
        found = self._layouts.get(key)
        if found is None:
            found = layout_block(block, self._width, self.doc.references)
            self._layouts[key] = found
        return found

    def _update_heights(self, indices: Iterable[int]) -> bool:
        """Take the laid-out heights of `indices`, keeping the anchor. True if any changed."""
        assert self.doc is not None
        anchor = self.anchor
        at_end = self.scroll_y >= self.max_scroll_y and self.scroll_y > 0
        changed = False
        width = self._width
        for index in indices:
            if self._exact[index]:
                continue
            found = self._layouts.get((self.doc.blocks[index].key, width))
            if found is None:
                continue
            self._exact[index] = 1
            if self._heights[index] != found.height:
                self._heights[index] = found.height
                changed = True
        if changed:
            self._rebuild_offsets()
            if at_end:
                self.scroll_to(y=self.max_scroll_y, animate=False, immediate=True, force=True)
            else:
                self._restore(anchor)
        if not self.fully_laid_out and all(self._exact):
            self._all_laid_out()
        return changed

    def _ensure_visible_exact(self) -> None:
        """Lay out every block on screen now, so what is painted has its true height."""
        if self.doc is None or not self._heights or self.fully_laid_out or self._settling:
            return
        self._settling = True
        try:
            for _ in range(4):  # heights settle in one or two rounds
                todo = [i for i in self.visible_blocks() if not self._exact[i]]
                if not todo:
                    return
                for index in todo:
                    self._layout(index)
                self._update_heights(todo)
        finally:
            self._settling = False

    def _all_laid_out(self) -> None:
        self.fully_laid_out = True
        self.post_message(self.LaidOut())

    def _start_layout(self) -> None:
        if self.doc is None or self.fully_laid_out or len(self.doc.blocks) > LAY_OUT_ALL_MAX_BLOCKS:
            return
        self._layout_worker(self._generation, self.doc, self._width, self._layouts)

    @work(thread=True, exclusive=True, group="artifact-layout", description="lay out blocks")
    def _layout_worker(
        self, generation: int, doc: MarkdownDoc, width: int, layouts: dict[tuple[int, int], BlockLayout]
    ) -> None:
        worker = get_current_worker()
        references = doc.references
        started = time.monotonic()
        pending: list[int] = []
        for index, block in enumerate(doc.blocks):
            if worker.is_cancelled or generation != self._generation:
                return
            key = (block.key, width)
            if key not in layouts:
                layouts[key] = layout_block(block, width, references)
                pending.append(index)
                # Let the UI loop take the GIL now if it wants it (a key press), rather than
                # after the interpreter's 5 ms switch interval.
                time.sleep(0)
            if time.monotonic() - started > 0.25 and pending:
                self.app.call_from_thread(self._apply_layouts, generation, pending)
                pending = []
                started = time.monotonic()
        self.app.call_from_thread(self._apply_layouts, generation, list(range(len(doc.blocks))))

    def _apply_layouts(self, generation: int, indices: list[int]) -> None:
        if generation != self._generation:
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
            self._rebuild_offsets() if self._heights else None
            return
        anchor = self.anchor if self._heights else (0, 0)
        previous, self._width = self._width, width
        self._generation += 1
        self._strips.clear()
        self._edges.clear()
        if self.doc is not None:
            # Keep the previous width's layouts: resizing back and forth stays cheap.
            self._layouts = {k: v for k, v in self._layouts.items() if k[1] in (width, previous)}
            self._reset_heights()
            self._restore(self._take_pending_anchor() or anchor)
            self._ensure_visible_exact()
            self._start_layout()
            if self.query:
                self._run_search(keep_place=True)
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
        if self.palette.refresh():
            self._strips.clear()
            self._edges.clear()
            self._link_styles.clear()
        width = self.scrollable_content_region.width
        base = self.palette.get("text")
        doc_y = int(self.scroll_y) + y
        if self.doc is None or not self._heights or doc_y >= self._offsets[-1]:
            if y == 0 and self.doc is not None and not self.doc.blocks and self.placeholder:
                text = self.placeholder[: max(0, width - GUTTER)]
                return Strip([Segment(" " * GUTTER, base), Segment(text, self.palette.get("muted"))]).extend_cell_length(width, base)
            return Strip.blank(width, base)
        block = self._block_at(doc_y)
        line = doc_y - self._offsets[block]
        strips = self._block_strips(block)
        strip = strips[line] if line < len(strips) else Strip.blank(self._width, base)
        overlays = self._match_lines.get((block, line))
        if overlays:
            for start, end, current in overlays:
                strip = _restyle(strip, start, end, self.palette.get("search-current" if current else "search-match"))
        focus = self._focus_link
        if focus is not None and focus[0] == block and focus[1] == line:
            strip = _restyle(strip, focus[2], focus[3], self.palette.get("link-focus"))
        if width < GUTTER + self._width:  # a sliver of a pane: crop rather than overflow
            return Strip([*self._left_edge(block, line, width), *strip]).crop_extend(0, width, base)
        return Strip([*self._left_edge(block, line, width), *strip, *self._right_edge(width)], width)

    def _left_edge(self, block: int, line: int, width: int) -> list[Segment]:
        """Margin (centring the text column) and gutter with the change mark, if any."""
        assert self.doc is not None
        key = self.doc.blocks[block].key
        kind = ""
        if key in self._marked and line < self._heights[block] - 1:
            kind = "changed"
        elif key in self._removed and line == 0:
            kind = "removed"
        cache_key = (width, kind)
        found = self._edges.get(cache_key)
        if found is None:
            margin = max(0, (width - GUTTER - 1 - self._width) // 2)
            base = self.palette.get("text")
            if kind == "changed":
                found = [Segment(" " * margin, base), Segment("▌ ", self.palette.get("mark-changed"))]
            elif kind == "removed":
                found = [Segment(" " * margin, base), Segment("▔ ", self.palette.get("mark-removed"))]
            else:
                found = [Segment(" " * (margin + GUTTER), base)]
            self._edges[cache_key] = found
        return found

    def _right_edge(self, width: int) -> list[Segment]:
        found = self._edges.get((width, "right"))
        if found is None:
            margin = max(0, (width - GUTTER - 1 - self._width) // 2)
            rest = width - margin - GUTTER - self._width
            found = [Segment(" " * rest, self.palette.get("text"))] if rest > 0 else []
            self._edges[(width, "right")] = found
        return found

    def _block_strips(self, index: int) -> list[Strip]:
        assert self.doc is not None
        block = self.doc.blocks[index]
        key = (block.key, self._width)
        found = self._strips.get(key)
        if found is not None:
            self._strips.move_to_end(key)
            return found
        layout = self._layout(index)
        found = [self._paint(line, layout, block.key) for line in layout.lines]
        self._strips[key] = found
        if len(self._strips) > STRIP_CACHE_BLOCKS:
            self._strips.popitem(last=False)
        return found

    def _paint(self, line: Line, layout: BlockLayout, block_key: int) -> Strip:
        palette = self.palette
        segments: list[Segment] = []
        used = 0
        code = line.code
        for index, (text, style, link) in enumerate(line.runs):
            used += cells(text)
            if code is not None and index == code[4]:
                segments.extend(self._code_segments(layout, block_key, code, style))
                continue
            if link is None:
                segments.append(Segment(text, palette.get(style)))
                continue
            link_style = self._link_styles.get((style, link))
            if link_style is None:
                link_style = palette.get(style) + RichStyle.from_meta({"@click": ("activate_link", (link,))})
                self._link_styles[(style, link)] = link_style
            segments.append(Segment(text, link_style))
        if used < self._width:
            segments.append(Segment(" " * (self._width - used), palette.get(line.fill or "text")))
        elif used > self._width:
            return Strip(segments).crop(0, self._width)
        return Strip(segments, self._width)

    def _code_segments(
        self, layout: BlockLayout, block_key: int, code: tuple[int, int, int, int, int], style: str
    ) -> list[Segment]:
        fence_index, number, start, end, _ = code
        fence = layout.fences[fence_index]
        cache_key = (block_key, fence_index)
        if cache_key not in self._lexed:
            self._lexed[cache_key] = _lex_fence(fence)
        lexed = self._lexed[cache_key]
        text = fence.lines[number][start:end]
        if lexed is None or number >= len(lexed):
            return [Segment(text, self.palette.get(style))]
        return [
            Segment(piece, self.palette.token(token_type, style))
            for token_type, piece in slice_tokens(lexed[number], start, end)
        ]

    # ------------------------------------------------------------------ search

    def search(self, query: str) -> int:
        """Highlight every match of `query` (case-insensitive unless it has capitals)."""
        self.query = query
        self._run_search(keep_place=False)
        return len(self._matches)

    def clear_search(self) -> None:
        self.query = ""
        self._matches = []
        self._match_lines = {}
        self._match_index = -1
        self.refresh()
        self._sync_bindings()
        self.post_message(self.SearchUpdated())

    @property
    def match_status(self) -> tuple[int, int]:
        """(current match, 1-based or 0, number of matches)."""
        return (self._match_index + 1 if self._matches else 0, len(self._matches))

    def _all_layouts(self) -> list[BlockLayout]:
        assert self.doc is not None
        layouts = [self._layout(index) for index in range(len(self.doc.blocks))]
        self._update_heights(range(len(self.doc.blocks)))
        return layouts

    def text_lines(self) -> list[str]:
        """The whole document as laid out at the current width, as plain text."""
        if self.doc is None or not self._width:
            return []
        return [line.plain for layout in self._all_layouts() for line in layout.lines]

    @property
    def searching(self) -> bool:
        """A search is running in the background (the document is not laid out yet)."""
        return self._searching

    def _run_search(self, *, keep_place: bool) -> None:
        previous = self._matches[self._match_index][:2] if keep_place and self._matches else None
        self._matches = []
        self._match_lines = {}
        self._match_index = -1
        if self.doc is None or not self.query or not self._width:
            self._searching = False
            self.refresh()
            self._sync_bindings()
            self.post_message(self.SearchUpdated())
            return
        if self.fully_laid_out:
            layouts = [self._layout(index) for index in range(len(self.doc.blocks))]
            self._apply_matches(self._generation, self.query, find_matches(layouts, self.query), keep_place, previous)
            return
        # Matching needs every block laid out: that runs in a thread, the UI stays live.
        self._searching = True
        self.post_message(self.SearchUpdated())
        self._search_worker(self._generation, self.doc, self._width, self._layouts, self.query, keep_place, previous)

    @work(thread=True, exclusive=True, group="artifact-search", description="search the document")
    def _search_worker(
        self,
        generation: int,
        doc: MarkdownDoc,
        width: int,
        layouts: dict[tuple[int, int], BlockLayout],
        query: str,
        keep_place: bool,
        previous: tuple[int, int] | None,
    ) -> None:
        worker = get_current_worker()
        found: list[BlockLayout] = []
        for block in doc.blocks:
            if worker.is_cancelled or generation != self._generation or query != self.query:
                return
            layout = layouts.get((block.key, width))
            if layout is None:
                layout = layouts[(block.key, width)] = layout_block(block, width, doc.references)
                time.sleep(0)  # keep the UI loop responsive (see _layout_worker)
            found.append(layout)
        matches = find_matches(found, query)
        self.app.call_from_thread(self._apply_matches, generation, query, matches, keep_place, previous)

    def _apply_matches(
        self,
        generation: int,
        query: str,
        matches: list[tuple[int, int, int, int]],
        keep_place: bool,
        previous: tuple[int, int] | None,
    ) -> None:
        if generation != self._generation or query != self.query or self.doc is None:
            return
        self._searching = False
        # Matches are placed by line: every block's true height must be known now.
        self._update_heights(range(len(self.doc.blocks)))
        self._matches = matches
        if matches:
            here = previous or self.anchor
            positions = [(block, line) for block, line, _, _ in matches]
            self._match_index = min(bisect_right(positions, (here[0], here[1] - 1)), len(matches) - 1)
        self._index_matches()
        if matches and not keep_place:
            self._show_match()
        self.refresh()
        self._sync_bindings()
        self.post_message(self.SearchUpdated())

    def _index_matches(self) -> None:
        lines: dict[tuple[int, int], list[tuple[int, int, bool]]] = {}
        for number, (block, line, start, end) in enumerate(self._matches):
            lines.setdefault((block, line), []).append((start, end, number == self._match_index))
        self._match_lines = lines

    def _show_match(self) -> None:
        block, line, _, _ = self._matches[self._match_index]
        top = self._offsets[block] + line
        height = self.scrollable_content_region.height
        if not (self.scroll_y <= top < self.scroll_y + height):
            self.scroll_to(y=max(0, top - height // 3), animate=False, immediate=True, force=True)

    def _step_match(self, step: int) -> None:
        if not self._matches:
            raise SkipAction()
        self._match_index = (self._match_index + step) % len(self._matches)
        self._index_matches()
        self._show_match()
        self.refresh()
        self._sync_bindings()
        self.post_message(self.SearchUpdated())

    def action_next_match(self) -> None:
        self._step_match(1)

    def action_previous_match(self) -> None:
        self._step_match(-1)

    def _sync_bindings(self) -> None:
        # The footer recomposes on every refresh_bindings; only ask when the answer changed.
        state = (bool(self._matches), self._focus_link is not None)
        if state != self._bindings_state:
            self._bindings_state = state
            self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Keep the footer to what applies now; hidden actions also let their keys fall through.
        if action in ("next_match", "previous_match"):
            return bool(self._matches)
        if action == "open_link":
            return self._focus_link is not None
        return True

    # ------------------------------------------------------------------ links

    def _links_in(self, index: int) -> list[tuple[int, int, int, str]]:
        """(line, start cell, end cell, href) of each link in block `index`."""
        found: list[tuple[int, int, int, str]] = []
        for line_index, line in enumerate(self._layout(index).lines):
            position = 0
            for text, _, link in line.runs:
                size = cells(text)
                if link is not None:
                    if found and found[-1][0] == line_index and found[-1][2] == position and found[-1][3] == link:
                        found[-1] = (line_index, found[-1][1], position + size, link)
                    else:
                        found.append((line_index, position, position + size, link))
                position += size
        return found

    def _step_link(self, step: int) -> None:
        if self.doc is None or not self._heights:
            raise SkipAction()
        visible = self.visible_blocks()
        focus = self._focus_link
        if focus is not None and focus[0] in visible:
            current = (focus[0], focus[1], focus[2])
        else:
            top_block, top_line = self.anchor
            current = (top_block, top_line, -1) if step > 0 else (top_block, top_line + self.scrollable_content_region.height, 10**6)
        block = current[0]
        count = len(self.doc.blocks)
        while 0 <= block < count:
            links = self._links_in(block)
            ordered = links if step > 0 else list(reversed(links))
            for line, start, end, href in ordered:
                position = (block, line, start)
                if (step > 0 and position > current) or (step < 0 and position < current):
                    self._focus_link = (block, line, start, end, href)
                    self._update_heights([block])
                    top = self._offsets[block] + line
                    height = self.scrollable_content_region.height
                    if not (self.scroll_y <= top < self.scroll_y + height):
                        self.scroll_to(y=max(0, top - height // 3), animate=False, immediate=True, force=True)
                    self.refresh()
                    self._sync_bindings()
                    return
            block += step
        # No more links this way: let tab move the focus on, as in a browser.
        self._focus_link = None
        self.refresh()
        self._sync_bindings()
        raise SkipAction()

    def action_next_link(self) -> None:
        self._step_link(1)

    def action_previous_link(self) -> None:
        self._step_link(-1)

    @property
    def focused_link(self) -> str | None:
        return self._focus_link[4] if self._focus_link else None

    def action_open_link(self) -> None:
        if self._focus_link is None:
            raise SkipAction()
        self.post_message(self.LinkActivated(self, self._focus_link[4]))

    def action_activate_link(self, href: str) -> None:
        self.post_message(self.LinkActivated(self, href))

    def on_blur(self) -> None:
        if self._focus_link is not None:
            self._focus_link = None
            self.refresh()
            self._sync_bindings()


def find_matches(layouts: list[BlockLayout], query: str) -> list[tuple[int, int, int, int]]:
    """(block, line, start cell, end cell) of each match of `query` in the laid-out text.

    Case-insensitive unless the query has a capital (smart case, as in vim and less).
    """
    flags = 0 if any(char.isupper() for char in query) else re.IGNORECASE
    pattern = re.compile(re.escape(query), flags)
    matches = []
    for block_index, layout in enumerate(layouts):
        for line_index, line in enumerate(layout.lines):
            if not line.runs:
                continue
            text = line.plain
            for match in pattern.finditer(text):
                start, end = match.span()
                if not text.isascii():
                    start, end = cell_len(text[:start]), cell_len(text[:end])
                matches.append((block_index, line_index, start, end))
    return matches


def _lex_fence(fence: Fence) -> list[LineTokens] | None:
    if fence.language and len(fence.code) <= MAX_FENCE_HIGHLIGHT:
        return lex_lines(fence.code, fence.language)
    return None


def _restyle(strip: Strip, start: int, end: int, style: RichStyle) -> Strip:
    """`strip` with cells [start, end) drawn over with `style` (colours and attributes)."""
    if end <= start:
        return strip
    length = strip.cell_length
    cuts = [min(start, length), min(end, length), length]
    before, middle, after = strip.divide(cuts)
    middle = Strip([Segment(text, (seg_style + style) if seg_style else style, control) for text, seg_style, control in middle])
    return Strip.join([before, middle, after])

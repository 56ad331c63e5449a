"""A markdown widget that grows as a reply streams in, without re-rendering what is finished.

Measured alternatives (textual_anchors.md §1.4, bench/stream_render.py): Textual's `Markdown`
mounts a widget per block and re-lays-out the screen on every append, so three streaming
panes stall the UI loop for hundreds of milliseconds. This widget is one widget with a line
API:

- finished top-level blocks are rendered once with Rich and cached (`BlockStream` decides
  which blocks are finished); only the tail block is re-rendered, and an open code fence
  re-renders only its last few rows;
- rendering runs on a worker thread, so a large block (a long fence that just closed) does
  not hold up key presses; the loop only swaps the new lines in and repaints changed rows;
- updates are coalesced: at most `MAX_FPS` renders a second per view;
- while streaming, the height grows in steps (see `_height`), so a new line rarely means a
  layout pass and a repaint of the whole view;
- a view that is not displayed (a background tab) keeps the text and renders when shown.
"""

from __future__ import annotations

import asyncio
import contextvars
import time
import weakref
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, ClassVar

from rich.style import Style
from textual.geometry import Region, Size
from textual.selection import Selection
from textual.strip import Strip
from textual.timer import Timer
from textual.widget import Widget

from widgets.chat.blocks import BlockStream, open_fence
from widgets.chat.rich_markdown import BlockRenderer, Palette
from widgets.chat.selection import highlight_span

if TYPE_CHECKING:
    from textual.app import App

# Rows of an open code fence rendered (and cached) together while it streams.
FENCE_CHUNK = 8
# While streaming, the height grows in steps of a third of the screen (at least this many
# rows). Every change of height means a layout pass and, in a view that follows the bottom,
# a scroll that repaints the whole view (~50-80 ms for a full-height pane here); a new line
# within the claimed rows repaints only that line. The reader sees the reply fill the space
# below it, then move up by a step, instead of the whole view shifting on every line.
MIN_HEIGHT_STEP = 8

_executor: ThreadPoolExecutor | None = None


def _render_executor() -> ThreadPoolExecutor:
    # One thread for every view: renders are short, and more threads only fight for the GIL.
    global _executor
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="markdown-render")
    return _executor


def render_blocks(
    renderer: BlockRenderer, blocks: list[str], tail: str, width: int, *, after_blocks: bool
) -> tuple[list[Strip], list[Strip]]:
    """Lines for newly finished `blocks` and for the `tail` (pure; runs on a worker thread).

    `after_blocks`: earlier blocks are already shown, so the first new one needs a gap.
    """
    lines: list[Strip] = []
    for source in blocks:
        if lines or after_blocks:
            lines.append(Strip.blank(0))
        lines.extend(renderer.block(source, width))
    tail = tail.strip("\n")
    if not tail.strip():
        return lines, []
    tail_lines: list[Strip] = [Strip.blank(0)] if (lines or after_blocks) else []
    fence = open_fence(tail)
    if fence is None:
        return lines, tail_lines + renderer.uncached(tail, width)
    # A long open fence: its complete chunks are cached, only the last rows re-render.
    settled = len(fence.complete) - len(fence.complete) % FENCE_CHUNK
    for start in range(0, settled, FENCE_CHUNK):
        chunk = "\n".join(fence.complete[start : start + FENCE_CHUNK])
        tail_lines.extend(renderer.code(chunk, fence.language, width))
    rest = fence.complete[settled:] + ([fence.partial] if fence.partial else [])
    if rest:
        tail_lines.extend(renderer.uncached_code("\n".join(rest), fence.language, width))
    return lines, tail_lines


def warm_cache(texts: list[str], width: int, palette: Palette) -> None:
    """Render finished messages into the shared block cache (pure CPU: call it from a worker
    thread). Views mounted afterwards at the same width and theme then lay out from the
    cache instead of rendering on the UI loop."""
    renderer = BlockRenderer(palette)
    for text in texts:
        stream = BlockStream()
        stream.feed(text)
        stream.finish()
        for block in stream.frozen:
            renderer.block(block, width)


class IncrementalMarkdown(Widget):
    """Markdown text, possibly still arriving. Call `append()` per token and `finish()` at the end."""

    DEFAULT_CSS = """
    IncrementalMarkdown {
        height: auto;
    }
    """

    MAX_FPS: ClassVar[float] = 10.0
    _palettes: ClassVar[dict[str, Palette]] = {}
    _streaming_views: ClassVar[weakref.WeakSet[IncrementalMarkdown]] = weakref.WeakSet()

    def __init__(
        self,
        text: str = "",
        *,
        streaming: bool = False,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._stream = BlockStream()
        self._stream.feed(text)
        self._pending: list[str] = []
        self._streaming = streaming
        if streaming:
            IncrementalMarkdown._streaming_views.add(self)
        else:
            self._stream.finish()
        self._timer: Timer | None = None
        self._last_flush = 0.0
        self.renders = 0
        # What is on screen: lines for one width and palette.
        self._width = 0
        self._palette: Palette | None = None
        self._frozen_lines: list[Strip] = []
        self._frozen_done = 0
        self._tail_lines: list[Strip] = []
        # Bumped by every full (synchronous) render, so a late thread render is dropped.
        self._generation = 0
        self._job: Future[tuple[list[Strip], list[Strip]]] | None = None
        self._again = False
        # Set when only a synchronous render in the next layout pass can catch up.
        self._stale = False
        # Bumped whenever the text changes; `_shown_version` is what is on screen.
        self._version = 0
        self._shown_version = -1
        # Rows claimed while streaming (see MIN_HEIGHT_STEP).
        self._reserved = 0
        # The height the last layout pass got; a different `_height()` needs a new pass.
        self._laid_out_height = -1
        # Rows as last painted, by y: (line, style, painted line); see `render_line`.
        self._drawn: dict[int, tuple[Strip, Style, Strip]] = {}
        self._paint_style: Style | None = None

    # -- content -------------------------------------------------------------------------

    @property
    def text(self) -> str:
        return self._stream.text + "".join(self._pending)

    @property
    def is_streaming(self) -> bool:
        return self._streaming

    @property
    def is_settled(self) -> bool:
        """Everything received is on screen (no render pending or running)."""
        return not self._pending and self._job is None and self._shown_version == self._version

    def append(self, chunk: str) -> None:
        """Add text to the end; the screen catches up at a bounded rate."""
        if not chunk:
            return
        if not self._streaming:
            self._streaming = True
            IncrementalMarkdown._streaming_views.add(self)
        self._pending.append(chunk)
        self._schedule()

    def finish(self) -> None:
        """No more text is coming: every block is final."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._feed_pending()
        self._stream.finish()
        self._version += 1
        self._streaming = False
        IncrementalMarkdown._streaming_views.discard(self)
        self._request_render()

    # -- scheduling ----------------------------------------------------------------------

    def _schedule(self) -> None:
        if self._timer is not None or self._job is not None or not self.is_mounted:
            return
        # Textual timers cannot have a zero interval.
        delay = max(0.005, self._last_flush + 1.0 / self.MAX_FPS - time.monotonic())
        self._timer = self.set_timer(delay, self._flush, name="markdown-flush")

    def _flush(self) -> None:
        self._timer = None
        self._last_flush = time.monotonic()
        self._feed_pending()
        self._request_render()

    def _feed_pending(self) -> None:
        if self._pending:
            chunk = "".join(self._pending)
            self._pending.clear()
            self._stream.feed(chunk)
            self._version += 1

    def _request_render(self) -> None:
        if not self.is_mounted:
            return
        if self._job is not None:
            self._again = True
            return
        if not self.is_on_screen or not self._width or self._palette is not self._current_palette():
            # Hidden (a background tab), never laid out, or the theme changed: the layout
            # pass renders everything synchronously when the view is shown.
            self._stale = True
            self.refresh(layout=True)
            return
        frozen = self._stream.frozen
        blocks = frozen[self._frozen_done :]
        start = self._frozen_done
        generation, width = self._generation, self._width
        renderer = BlockRenderer(self._palette)
        after_blocks = bool(self._frozen_lines)
        tail = self._stream.tail
        version = self._version
        self._job = _render_executor().submit(
            render_blocks, renderer, blocks, tail, width, after_blocks=after_blocks
        )
        loop = asyncio.get_running_loop()
        context = contextvars.copy_context()
        count = len(blocks)

        def done(future: Future[tuple[list[Strip], list[Strip]]]) -> None:
            try:
                loop.call_soon_threadsafe(
                    self._apply, future, generation, start, count, version, context=context
                )
            except RuntimeError:
                pass  # the app is shutting down

        self._job.add_done_callback(done)

    def _apply(
        self,
        future: Future[tuple[list[Strip], list[Strip]]],
        generation: int,
        start: int,
        count: int,
        version: int,
    ) -> None:
        self._job = None
        again, self._again = self._again, False
        if not self.is_mounted:
            return
        if generation == self._generation and start == self._frozen_done:
            new_lines, tail_lines = future.result()
            self.renders += 1
            height_before = self._height()
            frozen_before = len(self._frozen_lines)
            tail_before = self._tail_lines
            self._frozen_lines.extend(new_lines)
            self._frozen_done = start + count
            self._tail_lines = tail_lines
            self._shown_version = version
            self._repaint(height_before, frozen_before, tail_before)
        else:
            again = True
        if again and self._shown_version != self._version:
            self._request_render()
        elif self._pending:
            self._schedule()

    def _repaint(self, height_before: int, frozen_before: int, tail_before: list[Strip]) -> None:
        # Compare with what layout last saw too: rows claimed while streaming are given back
        # by the render after `finish()`, whose row count may not change at all.
        height = self._height()
        if height != height_before or height != self._laid_out_height:
            self.refresh(layout=True)
            return
        # Same height: repaint only from the first row that changed (usually the last one).
        after = self._frozen_lines[frozen_before:] + self._tail_lines
        first = 0
        while first < min(len(after), len(tail_before)) and after[first] == tail_before[first]:
            first += 1
        rows = max(len(after), len(tail_before)) - first
        if rows > 0:
            self.refresh(Region(0, frozen_before + first, self._width, rows))

    def on_mount(self) -> None:
        if self._pending:
            self._schedule()

    def on_unmount(self) -> None:
        IncrementalMarkdown._streaming_views.discard(self)

    # -- rendering -----------------------------------------------------------------------

    def _current_palette(self) -> Palette:
        return self.palette_for(self.app)

    @classmethod
    def palette_for(cls, app: App[object]) -> Palette:
        """The palette markdown is rendered with in `app`'s current theme."""
        name = app.theme
        palette = cls._palettes.get(name)
        if palette is None:
            palette = Palette.from_variables(name, app.current_theme.dark, app.theme_variables)
            cls._palettes[name] = palette
        return palette

    def _render_now(self, width: int) -> None:
        """Render everything received so far, on the loop (layout needs a height now)."""
        self._feed_pending_if_idle()
        palette = self._current_palette()
        self._generation += 1
        self._width = width
        self._palette = palette
        frozen = list(self._stream.frozen)
        self._frozen_lines, self._tail_lines = render_blocks(
            BlockRenderer(palette), frozen, self._stream.tail, width, after_blocks=False
        )
        self._frozen_done = len(frozen)
        self._drawn.clear()
        self._stale = False
        self._shown_version = self._version
        self.renders += 1

    def _feed_pending_if_idle(self) -> None:
        # Show what has arrived, unless a flush is due anyway.
        if self._timer is None:
            self._feed_pending()

    def _height(self) -> int:
        rows = len(self._frozen_lines) + len(self._tail_lines)
        if self._streaming or self._job is not None:
            step = max(MIN_HEIGHT_STEP, self.app.size.height // 3)
            if rows > self._reserved or self._reserved - rows > step:
                self._reserved = rows + step - rows % step
            return self._reserved
        self._reserved = 0
        return rows

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return container.width

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if width <= 0:
            return 0
        if width != self._width or self._stale or self._palette is not self._current_palette():
            self._render_now(width)
        self._laid_out_height = self._height()
        return self._laid_out_height

    def notify_style_update(self) -> None:
        super().notify_style_update()
        if self.is_mounted and self._palette is not None and self._palette.name != self.app.theme:
            self._stale = True
            self.refresh(layout=True)

    def rendered_text(self) -> str:
        """What is on screen now, as plain text (tests and debugging)."""
        return "\n".join(self.rendered_lines())

    def rendered_lines(self) -> list[str]:
        """Each line on screen as plain text: what a selection of lines copies."""
        return [strip.text.rstrip() for strip in (*self._frozen_lines, *self._tail_lines)]

    # -- selection (mouse drags and the log's line selection) ------------------------------

    def get_selection(self, selection: Selection) -> tuple[str, str] | None:
        return selection.extract("\n".join(self.rendered_lines())), "\n"

    def selection_updated(self, selection: Selection | None) -> None:
        self.refresh()

    def render_lines(self, crop: Region) -> list[Strip]:
        # `rich_style` walks every ancestor: once per paint of this view, not once per line.
        self._paint_style = self.rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._paint_style = None

    def render_line(self, y: int) -> Strip:
        frozen = self._frozen_lines
        if y < len(frozen):
            line = frozen[y]
        else:
            index = y - len(frozen)
            line = self._tail_lines[index] if index < len(self._tail_lines) else Strip.blank(0)
        style = self._paint_style or self.rich_style
        selection = self.text_selection
        if selection is None:
            # A resize (a streaming reply claiming rows) repaints every row; most are the same
            # strips in the same style as last time (bench/stream_render.py).
            drawn = self._drawn.get(y)
            if drawn is not None and drawn[0] is line and drawn[1] == style:
                return drawn[2]
        shown = line.apply_style(style)
        if selection is not None:
            marked = self.screen.get_component_rich_style("screen--selection")
            shown = highlight_span(shown, selection.get_span(y), marked)
        # Offsets tell the screen which text a mouse drag covers.
        shown = shown.apply_offsets(0, y)
        if selection is None:
            self._drawn[y] = (line, style, shown)
        return shown

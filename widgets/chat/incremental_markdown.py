"""A markdown widget that grows as a reply streams in, without re-rendering what is finished.

Measured alternatives (textual_anchors.md §1.4): Textual's `Markdown` mounts a widget per block
and re-lays-out the screen on every append, so three or four streaming panes stall the UI loop
for hundreds of milliseconds. This widget is one widget with a line API:

- finished top-level blocks are rendered once with Rich and cached (`BlockStream` decides
  which blocks are finished);
- only the tail block is re-rendered, and an open code fence re-renders only its last chunk;
- updates are coalesced: at most `MAX_FPS` renders a second per view, and fewer when rendering
  gets expensive, so all streaming views together use a bounded share of the loop;
- a view that is not displayed (a background tab) keeps the text and renders when shown.
"""

from __future__ import annotations

import time
import weakref
from typing import ClassVar

from textual.geometry import Size
from textual.strip import Strip
from textual.timer import Timer
from textual.widget import Widget

from widgets.chat.blocks import BlockStream, open_fence
from widgets.chat.rich_markdown import BlockRenderer, Palette

# Rows of an open code fence rendered (and cached) together while it streams.
FENCE_CHUNK = 24


class IncrementalMarkdown(Widget):
    """Markdown text, possibly still arriving. Call `append()` per token and `finish()` at the end."""

    DEFAULT_CSS = """
    IncrementalMarkdown {
        height: auto;
    }
    """

    MAX_FPS: ClassVar[float] = 15.0
    # The share of the UI loop that all streaming views together may spend rendering.
    LOOP_SHARE: ClassVar[float] = 0.25

    _streaming_views: ClassVar[weakref.WeakSet[IncrementalMarkdown]] = weakref.WeakSet()
    _palettes: ClassVar[dict[str, Palette]] = {}

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
        self._render_cost = 0.0
        self.renders = 0
        # Rendered lines for one width and palette.
        self._width = 0
        self._palette: Palette | None = None
        self._renderer: BlockRenderer | None = None
        self._frozen_lines: list[Strip] = []
        self._frozen_done = 0
        self._tail_lines: list[Strip] = []
        self._tail_dirty = True

    # -- content -------------------------------------------------------------------------

    @property
    def text(self) -> str:
        return self._stream.text + "".join(self._pending)

    @property
    def is_streaming(self) -> bool:
        return self._streaming

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
        """No more text is coming: freeze everything and render it now."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._feed_pending()
        self._stream.finish()
        self._streaming = False
        IncrementalMarkdown._streaming_views.discard(self)
        self._tail_dirty = True
        self._rerender()

    # -- scheduling ----------------------------------------------------------------------

    def _schedule(self) -> None:
        if self._timer is not None or not self.is_mounted:
            return
        # Slow down when rendering is expensive, so N streaming views stay within LOOP_SHARE.
        busy = max(1, len(IncrementalMarkdown._streaming_views))
        interval = max(1.0 / self.MAX_FPS, self._render_cost * busy / self.LOOP_SHARE)
        # Textual timers cannot have a zero interval.
        delay = max(0.005, self._last_flush + interval - time.monotonic())
        self._timer = self.set_timer(delay, self._flush, name="markdown-flush")

    def _flush(self) -> None:
        self._timer = None
        self._last_flush = time.monotonic()
        self._feed_pending()
        self._rerender()

    def _feed_pending(self) -> None:
        if self._pending:
            chunk = "".join(self._pending)
            self._pending.clear()
            self._stream.feed(chunk)
            self._tail_dirty = True

    def _rerender(self) -> None:
        if not self.is_mounted:
            return
        if not self.is_on_screen or not self._width:
            # Hidden (a background tab) or never laid out: the layout pass renders on show.
            self.refresh(layout=True)
            return
        before = self._height()
        started = time.perf_counter()
        self._render_to(self._width)
        self._render_cost = time.perf_counter() - started
        self.renders += 1
        self.refresh(layout=self._height() != before)

    def on_mount(self) -> None:
        if self._pending:
            self._schedule()

    def on_unmount(self) -> None:
        IncrementalMarkdown._streaming_views.discard(self)

    # -- rendering -----------------------------------------------------------------------

    def _current_palette(self) -> Palette:
        app = self.app
        name = app.theme
        palette = self._palettes.get(name)
        if palette is None:
            palette = Palette.from_variables(name, app.current_theme.dark, app.theme_variables)
            self._palettes[name] = palette
        return palette

    def _render_to(self, width: int) -> None:
        palette = self._current_palette()
        if width != self._width or palette is not self._palette or self._renderer is None:
            self._width = width
            self._palette = palette
            self._renderer = BlockRenderer(self.app.console, self.app.console_options, palette)
            self._frozen_lines = []
            self._frozen_done = 0
            self._tail_dirty = True
        renderer = self._renderer
        frozen = self._stream.frozen
        if self._frozen_done < len(frozen):
            for source in frozen[self._frozen_done :]:
                if self._frozen_lines:
                    self._frozen_lines.append(Strip.blank(0))
                self._frozen_lines.extend(renderer.block(source, width))
            self._frozen_done = len(frozen)
            self._tail_dirty = True
        if self._tail_dirty:
            self._tail_lines = self._render_tail(renderer, width)
            self._tail_dirty = False

    def _render_tail(self, renderer: BlockRenderer, width: int) -> list[Strip]:
        tail = self._stream.tail.strip("\n")
        if not tail.strip():
            return []
        lines: list[Strip] = [Strip.blank(0)] if self._frozen_lines else []
        fence = open_fence(tail)
        if fence is None:
            return lines + renderer.uncached(tail, width)
        # A long open fence: its complete chunks are cached, only the last rows re-render.
        settled = len(fence.complete) - len(fence.complete) % FENCE_CHUNK
        for start in range(0, settled, FENCE_CHUNK):
            chunk = "\n".join(fence.complete[start : start + FENCE_CHUNK])
            lines.extend(renderer.code(chunk, fence.language, width))
        rest = fence.complete[settled:] + ([fence.partial] if fence.partial else [])
        if rest:
            lines.extend(renderer.uncached_code("\n".join(rest), fence.language, width))
        return lines

    def _height(self) -> int:
        return len(self._frozen_lines) + len(self._tail_lines)

    def get_content_width(self, container: Size, viewport: Size) -> int:
        return container.width

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if width <= 0:
            return 0
        self._feed_pending_if_idle()
        self._render_to(width)
        return self._height()

    def _feed_pending_if_idle(self) -> None:
        # A layout pass between flushes shows what has arrived, unless a flush is due anyway.
        if self._timer is None:
            self._feed_pending()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        if self.is_mounted and self._palette is not None and self._palette.name != self.app.theme:
            self.refresh(layout=True)

    def rendered_text(self) -> str:
        """What is on screen now, as plain text (tests and debugging)."""
        return "\n".join(strip.text.rstrip() for strip in (*self._frozen_lines, *self._tail_lines))

    def render_line(self, y: int) -> Strip:
        frozen = self._frozen_lines
        if y < len(frozen):
            line = frozen[y]
        else:
            index = y - len(frozen)
            line = self._tail_lines[index] if index < len(self._tail_lines) else Strip.blank(0)
        return line.apply_style(self.rich_style)


"""Links in the reading view: tab and shift+tab select the links in reading order (scrolling
to them), enter or a click opens one. Past the last link, tab moves the focus on."""

from __future__ import annotations

from textual.actions import SkipAction

from tui.docs.wrap import cells

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from widgets.artifact_view import ArtifactView

    _Base = ArtifactView
else:
    _Base = object


class LinksMixin(_Base):
    def _init_links(self) -> None:
        # The link selected with the keyboard: (block, line, start cell, end cell, href).
        self._focus_link: tuple[int, int, int, int, str] | None = None

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
        if self.doc is None or not len(self._map):
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
                    top = self._map.top(block) + line
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

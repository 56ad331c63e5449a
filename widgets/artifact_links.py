"""Links in the reading view: tab and shift+tab select the links in reading order (scrolling
to them); the view opens the selected one on enter. Past the last link, tab moves the focus on."""

from __future__ import annotations

from tui.docs.lines import BlockLayout
from tui.docs.wrap import cells
from widgets.artifact_surface import ReadingSurface


class LinkCursor:
    """The link selected with the keyboard, if any."""

    def __init__(self, surface: ReadingSurface) -> None:
        self._surface = surface
        # (block, line, start cell, end cell, href)
        self.selected: tuple[int, int, int, int, str] | None = None

    @property
    def href(self) -> str | None:
        return self.selected[4] if self.selected else None

    def overlays(self, block: int, line: int) -> tuple[tuple[int, int, str], ...]:
        selected = self.selected
        if selected is None or selected[0] != block or selected[1] != line:
            return ()
        return ((selected[2], selected[3], "link-focus"),)

    def clear(self) -> bool:
        """Select nothing; True if a link was selected."""
        had, self.selected = self.selected is not None, None
        return had

    def step(self, step: int) -> bool:
        """Select the next link (or the previous, `step` -1) after the selected one or, if that
        is off screen, after the top of the view (before its bottom). False past the last."""
        surface = self._surface
        assert surface.doc is not None
        selected = self.selected
        if selected is not None and selected[0] in surface.visible_blocks():
            current = (selected[0], selected[1], selected[2])
        else:
            top_block, top_line = surface.anchor
            current = (top_block, top_line, -1) if step > 0 else (top_block, top_line + surface.viewport_height, 10**6)
        block = current[0]
        count = len(surface.doc.blocks)
        while 0 <= block < count:
            found = links_in(surface.layout(block))
            for line, start, end, href in found if step > 0 else reversed(found):
                position = (block, line, start)
                if (step > 0 and position > current) or (step < 0 and position < current):
                    self.selected = (block, line, start, end, href)
                    surface.reveal(block, line)
                    return True
            block += step
        self.selected = None
        return False


def links_in(layout: BlockLayout) -> list[tuple[int, int, int, str]]:
    """(line, start cell, end cell, href) of each link in a laid-out block; a link's
    neighbouring runs (bold and plain words of one link) count once."""
    found: list[tuple[int, int, int, str]] = []
    for line_index, line in enumerate(layout.lines):
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

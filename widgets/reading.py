"""Pager keys shared by the read-only document widgets (artifact, code and diff views)."""

from __future__ import annotations

from textual.binding import Binding


def reading_bindings(prefix: str) -> list[Binding]:
    """less/vim keys on top of the arrows and page keys every scroll view has."""
    return [
        Binding("j", "scroll_down", "Down", show=False, id=f"{prefix}.down"),
        Binding("k", "scroll_up", "Up", show=False, id=f"{prefix}.up"),
        Binding("space", "page_down", "Page down", show=False, id=f"{prefix}.page_down"),
        Binding("b,shift+space", "page_up", "Page up", show=False, id=f"{prefix}.page_up"),
        Binding("ctrl+d", "half_page(1)", "Half page down", show=False, id=f"{prefix}.half_down"),
        Binding("ctrl+u", "half_page(-1)", "Half page up", show=False, id=f"{prefix}.half_up"),
        Binding("g,home", "jump(0)", "Top", show=False, id=f"{prefix}.top"),
        Binding("G,end", "jump(1)", "Bottom", show=False, id=f"{prefix}.bottom"),
    ]


class ReadingKeys:
    """Actions behind `reading_bindings`, for a ScrollView subclass.

    A view that selects lines from the keyboard says so with `selecting_lines` and moves the
    selection's end in `move_selection`: the line keys then do that instead of scrolling."""

    @property
    def selecting_lines(self) -> bool:
        return False

    def move_selection(self, step: int) -> None:
        """Move the end of a keyboard selection `step` lines."""

    def action_scroll_down(self) -> None:
        if self.selecting_lines:
            self.move_selection(1)
        else:
            super().action_scroll_down()  # type: ignore[misc]

    def action_scroll_up(self) -> None:
        if self.selecting_lines:
            self.move_selection(-1)
        else:
            super().action_scroll_up()  # type: ignore[misc]

    def action_half_page(self, direction: int) -> None:
        step = max(1, self.scrollable_content_region.height // 2)  # type: ignore[attr-defined]
        self.scroll_relative(y=direction * step, animate=False)  # type: ignore[attr-defined]

    def action_jump(self, end: int) -> None:
        # A pager jumps at once (as less and vim do); an animation through thousands of
        # lines only delays the reader.
        if end:
            self.scroll_end(animate=False, immediate=True)  # type: ignore[attr-defined]
        else:
            self.scroll_home(animate=False, immediate=True)  # type: ignore[attr-defined]

"""Key bindings shared by the read-only document widgets (artifact, code and diff views)."""

from __future__ import annotations

from textual.binding import Binding


def reading_bindings(prefix: str) -> list[Binding]:
    """Pager keys (less/vim style) on top of the arrows and page keys every scroll view has."""
    return [
        Binding("j", "scroll_down", "Down", show=False, id=f"{prefix}.down"),
        Binding("k", "scroll_up", "Up", show=False, id=f"{prefix}.up"),
        Binding("space", "page_down", "Page down", show=False, id=f"{prefix}.page_down"),
        Binding("b,shift+space", "page_up", "Page up", show=False, id=f"{prefix}.page_up"),
        Binding("ctrl+d", "half_page(1)", "Half page down", show=False, id=f"{prefix}.half_down"),
        Binding("ctrl+u", "half_page(-1)", "Half page up", show=False, id=f"{prefix}.half_up"),
        Binding("g", "scroll_home", "Top", show=False, id=f"{prefix}.top"),
        Binding("G", "scroll_end", "Bottom", show=False, id=f"{prefix}.bottom"),
    ]

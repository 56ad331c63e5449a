"""Selection in the diff view: whole rows, from the keyboard (`v`, then the line keys) or a
mouse drag. A diff is read and commented on line by line, so rows are the unit; the text
copied is the code of the selected lines, without the numbers and +/- markers the view adds.
"""

from __future__ import annotations


class RowSelection:
    def __init__(self) -> None:
        self.anchor: int | None = None
        self.head: int | None = None
        # Started with `v`: the line keys move its end rather than scroll.
        self.keyboard = False

    @property
    def active(self) -> bool:
        return self.anchor is not None and self.head is not None

    def start(self, row: int, *, keyboard: bool) -> None:
        self.anchor = self.head = row
        self.keyboard = keyboard

    def move_to(self, row: int) -> None:
        if self.anchor is not None:
            self.head = row

    def clear(self) -> bool:
        had = self.active
        self.anchor = self.head = None
        self.keyboard = False
        return had

    def bounds(self) -> tuple[int, int] | None:
        if self.anchor is None or self.head is None:
            return None
        return (self.anchor, self.head) if self.anchor <= self.head else (self.head, self.anchor)

    def __contains__(self, row: int) -> bool:
        bounds = self.bounds()
        return bounds is not None and bounds[0] <= row <= bounds[1]

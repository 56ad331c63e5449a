"""What a laid-out block is: screen lines of styled runs (see `tui.docs.layout`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from tui.docs.wrap import Run


class Line:
    """One screen line of a block: styled runs, then `fill` style up to the full width."""

    __slots__ = ("runs", "fill", "code")

    def __init__(
        self,
        runs: list[Run],
        fill: str = "",
        code: tuple[int, int, int, int, int] | None = None,
    ) -> None:
        self.runs = runs
        self.fill = fill
        # For a line of a code fence: (fence index, source line, start, end, run index): the
        # run at `run index` shows characters [start, end) of that line of that fence.
        self.code = code

    @property
    def plain(self) -> str:
        return "".join(run[0] for run in self.runs)

    def __repr__(self) -> str:
        return f"Line({self.plain!r})"


BLANK = Line([])


@dataclass(slots=True)
class Fence:
    language: str
    code: str
    lines: list[str] = field(default_factory=list)
    # The block's source line (from 0) of the code's first line: change marks of single
    # code lines are kept by source line.
    first_line: int = 0


@dataclass(slots=True)
class BlockLayout:
    lines: list[Line]
    fences: list[Fence] = field(default_factory=list)

    @property
    def height(self) -> int:
        return len(self.lines)

"""Tables of the reading view: box-drawn, aligned, shrunk to fit with wrapping cells."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tui.docs.lines import Line
from tui.docs.wrap import Run, runs_width, wrap_runs


def layout_table(
    tokens: list[Any], index: int, close: int, width: int, inline_runs: Callable[[Any, str], list[Run]]
) -> list[Line]:
    """A markdown table (tokens `index`..`close`) drawn with box characters in `width` cells.

    Columns take their natural width when the table fits; otherwise the widest shrink first
    and their cells wrap.
    """
    rows: list[tuple[bool, list[list[Run]]]] = []
    aligns: list[str] = []
    header = False
    row: list[list[Run]] = []
    for position in range(index, close):
        token = tokens[position]
        kind = token.type
        if kind == "thead_open":
            header = True
        elif kind == "tbody_open":
            header = False
        elif kind == "tr_open":
            row = []
        elif kind == "tr_close":
            rows.append((header, row))
        elif kind in ("th_open", "td_open"):
            if header:
                style = str(token.attrs.get("style", ""))
                aligns.append(style.partition("text-align:")[2].strip() or "left")
            inline = tokens[position + 1]
            row.append(inline_runs(inline, "table-header" if header else "text"))
    columns = max((len(cells_) for _, cells_ in rows), default=0)
    if columns == 0:
        return []
    aligns += ["left"] * (columns - len(aligns))
    natural = [1] * columns
    for _, row_cells in rows:
        for column, runs in enumerate(row_cells):
            natural[column] = max(natural[column], runs_width(runs))
    budget = width - (3 * columns + 1)
    if budget < columns:
        return _stacked(rows, width)
    widths = _fit_columns(natural, budget)
    border = "table-border"

    def rule(left: str, middle: str, right: str) -> Line:
        return Line([(left + middle.join("─" * (w + 2) for w in widths) + right, border, None)])

    out = [rule("┌", "┬", "┐")]
    for row_index, (is_header, row_cells) in enumerate(rows):
        wrapped = [
            wrap_runs(row_cells[column] if column < len(row_cells) else [], widths[column])
            for column in range(columns)
        ]
        height = max(len(lines) for lines in wrapped)
        for line_index in range(height):
            runs: list[Run] = [("│", border, None)]
            for column in range(columns):
                parts = wrapped[column][line_index] if line_index < len(wrapped[column]) else []
                gap = widths[column] - runs_width(parts)
                align = aligns[column]
                left = gap // 2 if align == "center" else gap if align == "right" else 0
                runs.append((" " + " " * left, "text", None))
                runs.extend(parts)
                runs.append((" " * (gap - left) + " ", "text", None))
                runs.append(("│", border, None))
            out.append(Line(runs))
        if is_header and (row_index + 1 < len(rows) and not rows[row_index + 1][0]):
            out.append(rule("├", "┼", "┤"))
    out.append(rule("└", "┴", "┘"))
    return out


def _stacked(rows: list[tuple[bool, list[list[Run]]]], width: int) -> list[Line]:
    """A table too wide for one cell per column: each row's cells one under another, rows
    between rules (columns side by side would be cropped, and their text lost)."""
    border = "table-border"
    rule = Line([("─" * width, border, None)])
    out = [rule]
    for _, row_cells in rows:
        for runs in row_cells:
            out.extend(Line([("│ ", border, None), *parts]) for parts in wrap_runs(runs, width - 2))
        out.append(rule)
    return out


def _fit_columns(natural: list[int], budget: int) -> list[int]:
    """Shrink the widest columns first until the table fits `budget` cells of content."""
    widths = list(natural)
    total = sum(widths)
    if total <= budget:
        return widths
    # Columns keep three cells if the table can afford it, else as many as it can.
    floor = max(1, min(max(3, budget // (len(widths) * 3)), budget // len(widths)))
    while total > budget:
        widest = max(range(len(widths)), key=widths.__getitem__)
        if widths[widest] <= floor:
            break
        second = max((w for i, w in enumerate(widths) if i != widest), default=floor)
        target = max(floor, second, widths[widest] - (total - budget))
        if target >= widths[widest]:
            target = widths[widest] - 1
        total -= widths[widest] - target
        widths[widest] = target
    return [max(1, w) for w in widths]

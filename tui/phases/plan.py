"""A plan's phases: its `## Phase N: title` sections, each implemented in a fresh context.

A section runs from its heading to the next heading of level 1 or 2 (so `## Testing
strategy` after the last phase is not part of it). Headings inside code fences do not count:
the document is split the way the reading view splits it (`tui.docs.blocks`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tui.docs.blocks import split_blocks

_PHASE = re.compile(r"^phase\s+(\d+)\b\s*[:.\-–—]?\s*(.*)$", re.IGNORECASE)


@dataclass(frozen=True)
class PlanPhase:
    number: int
    title: str
    # The section's markdown, its heading included.
    text: str
    # 1-based line of the heading in the plan.
    line: int

    @property
    def label(self) -> str:
        return f"Phase {self.number}" + (f": {self.title}" if self.title else "")


def plan_phases(text: str) -> list[PlanPhase]:
    """The plan's `## Phase N` sections in document order ([] when it has none)."""
    blocks = split_blocks(text).blocks
    lines = text.split("\n")
    found: list[PlanPhase] = []
    for index, block in enumerate(blocks):
        if block.kind != "heading" or block.level != 2:
            continue
        match = _PHASE.match(block.title.strip())
        if not match:
            continue
        end = next((b.start for b in blocks[index + 1:] if b.kind == "heading" and b.level <= 2),
                   len(lines))
        section = "\n".join(lines[block.start:end]).rstrip() + "\n"
        found.append(PlanPhase(int(match.group(1)), match.group(2).strip(), section, block.start + 1))
    return found

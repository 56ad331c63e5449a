"""Compare two versions of a document block by block (blocks from `tui.docs.blocks`).

Blocks are compared by key (a hash of their source). Agents mostly append or rewrite one
part: the unchanged blocks at both ends are matched one to one first, and only the blocks
between them are aligned with difflib, so a reload costs what changed.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass

from tui.docs.blocks import Block


@dataclass(frozen=True, slots=True)
class BlockDiff:
    """How the blocks of a new version relate to an old one."""

    # Indices of new blocks that are new or changed.
    changed: frozenset[int]
    # For each old block index: the new index of the same block, or of the block that
    # replaced it (so a reader anchored there stays near the same place).
    old_to_new: tuple[int, ...]
    # New indices just after a run of deleted blocks (the deletion is shown there).
    removed_before: frozenset[int] = frozenset()
    # How many blocks are the same at the start and at the end of both versions: only the
    # blocks between them changed.
    same_start: int = 0
    same_end: int = 0

    @property
    def unchanged(self) -> bool:
        return not self.changed and not self.removed_before


def diff_blocks(old: Sequence[Block], new: Sequence[Block]) -> BlockDiff:
    start = 0
    shortest = min(len(old), len(new))
    while start < shortest and old[start].key == new[start].key:
        start += 1
    end = 0
    while end < shortest - start and old[-1 - end].key == new[-1 - end].key:
        end += 1
    if start == len(old) == len(new):
        return BlockDiff(frozenset(), tuple(range(len(old))), same_start=start)
    old_keys = [block.key for block in old[start : len(old) - end]]
    new_keys = [block.key for block in new[start : len(new) - end]]
    changed: set[int] = set()
    removed: set[int] = set()
    mapping = list(range(start)) + [0] * len(old_keys) + list(range(len(new) - end, len(new)))
    matcher = difflib.SequenceMatcher(None, old_keys, new_keys, autojunk=False)
    last_new = max(0, len(new) - 1)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        i1, i2, j1, j2 = i1 + start, i2 + start, j1 + start, j2 + start
        if tag == "equal":
            for step in range(i2 - i1):
                mapping[i1 + step] = j1 + step
            continue
        changed.update(range(j1, j2))
        if tag == "delete" or (tag == "replace" and i2 - i1 > j2 - j1):
            # More blocks went than came: show that something was removed after them.
            removed.add(min(j2, last_new))
        for step in range(i2 - i1):
            # Replaced blocks map onto their replacements in order; deleted ones onto the
            # block that now follows the gap.
            target = j1 + min(step, j2 - j1 - 1) if j2 > j1 else j1
            mapping[i1 + step] = min(target, last_new)
    if not new:
        removed = set()
    return BlockDiff(frozenset(changed), tuple(mapping), frozenset(removed), start, end)

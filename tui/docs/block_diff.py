"""Compare two versions of a document block by block (blocks from `tui.docs.blocks`).

Blocks are compared by key (a hash of their source). Agents mostly append or rewrite one
part: the unchanged blocks at both ends are matched one to one first, and only the blocks
between them are aligned with difflib, so a reload costs what changed.

What a reader is told changed is kept small: a block that only moved (its text is the same,
elsewhere) is not "changed", and a run of moved blocks is marked once, where it now is; a
code block with a few lines changed names those lines, not the whole block.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

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
    # New indices where a run of blocks that only moved begins (one mark per run).
    moved: frozenset[int] = frozenset()
    # For a changed code block that replaced a similar one: the source lines (from the
    # block's first, 0-based) that changed; its other lines are as they were.
    changed_lines: Mapping[int, frozenset[int]] = field(default_factory=dict)

    @property
    def unchanged(self) -> bool:
        return not self.changed and not self.removed_before and not self.moved


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
    mapping = list(range(start)) + [0] * len(old_keys) + list(range(len(new) - end, len(new)))
    matcher = difflib.SequenceMatcher(None, old_keys, new_keys, autojunk=False)
    opcodes = [(tag, i1 + start, i2 + start, j1 + start, j2 + start) for tag, i1, i2, j1, j2 in matcher.get_opcodes()]
    moved_in, moved_out = _moves(old, new, opcodes)
    changed: set[int] = set()
    removed: set[int] = set()
    replaced: list[tuple[range, range]] = []
    last_new = max(0, len(new) - 1)
    for tag, i1, i2, j1, j2 in opcodes:
        if tag == "equal":
            for step in range(i2 - i1):
                mapping[i1 + step] = j1 + step
            continue
        fresh = [j for j in range(j1, j2) if j not in moved_in]
        gone = [i for i in range(i1, i2) if i not in moved_out]
        changed.update(fresh)
        if len(gone) > len(fresh):
            # More blocks went than came: show that something was removed after them.
            removed.add(min(j2, last_new))
        if gone and fresh:
            replaced.append((range(i1, i2), range(j1, j2)))
        for step in range(i2 - i1):
            # Replaced blocks map onto their replacements in order; deleted ones onto the
            # block that now follows the gap.
            target = j1 + min(step, j2 - j1 - 1) if j2 > j1 else j1
            mapping[i1 + step] = min(target, last_new)
    if not new:
        removed = set()
    runs = frozenset(j for j in moved_in if j - 1 not in moved_in)
    lines = _changed_code_lines(old, new, replaced, changed)
    return BlockDiff(frozenset(changed), tuple(mapping), frozenset(removed), start, end, runs, lines)


def _moves(old: Sequence[Block], new: Sequence[Block], opcodes: list[tuple[str, int, int, int, int]]) -> tuple[set[int], set[int]]:
    """New blocks that only moved (the same text left another place), and the old blocks
    they came from."""
    gone: dict[int, list[int]] = {}
    for tag, i1, i2, _j1, _j2 in opcodes:
        if tag != "equal":
            for index in range(i1, i2):
                gone.setdefault(old[index].key, []).append(index)
    if not gone:
        return set(), set()
    moved_in: set[int] = set()
    moved_out: set[int] = set()
    for tag, _i1, _i2, j1, j2 in opcodes:
        if tag == "equal":
            continue
        for index in range(j1, j2):
            sources = gone.get(new[index].key)
            if sources:
                moved_in.add(index)
                moved_out.add(sources.pop(0))
    return moved_in, moved_out


CODE_KINDS = ("fence", "code")
# Aligning code lines costs their product: past this, a changed code block is marked whole.
_MAX_CODE_LINES = 5000


def _changed_code_lines(
    old: Sequence[Block], new: Sequence[Block], replaced: list[tuple[range, range]], changed: set[int]
) -> dict[int, frozenset[int]]:
    """For each changed code block that replaced a similar code block: its changed lines."""
    result: dict[int, frozenset[int]] = {}
    for olds, news in replaced:
        candidates = [old[i].source.split("\n") for i in olds if old[i].kind in CODE_KINDS]
        for j in news:
            block = new[j]
            if j not in changed or block.kind not in CODE_KINDS or not candidates:
                continue
            lines = block.source.split("\n")
            if len(lines) > _MAX_CODE_LINES:
                continue
            best = max(candidates, key=lambda c: difflib.SequenceMatcher(None, c, lines, autojunk=False).quick_ratio())
            matcher = difflib.SequenceMatcher(None, best, lines, autojunk=False)
            if matcher.ratio() < 0.5:
                continue  # rewritten rather than edited: the whole block is marked
            marked: set[int] = set()
            for tag, _i1, _i2, j1, j2 in matcher.get_opcodes():
                if tag in ("replace", "insert"):
                    marked.update(range(j1, j2))
                elif tag == "delete":
                    marked.add(min(j1, len(lines) - 1))  # the line after the gap
            result[j] = frozenset(marked)
    return result

"""A session diff "since you last looked": which hunks you have already seen.

A hunk is known by its file and its lines (kind and text), not by its line numbers, so a
hunk that only moved because the agent edited above it still counts as seen, while a hunk
whose code changed is new again. Files without hunks (binary, renamed, mode changes) are
known by what the diff says of them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

from tui.diffs import FileDiff, Hunk


def hunk_key(path: str, hunk: Hunk) -> str:
    digest = hashlib.sha1(path.encode("utf-8", "surrogatepass"))
    for line in hunk.lines:
        digest.update(b"\n")
        digest.update(line.kind.encode())
        digest.update(line.text.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def file_keys(file: FileDiff) -> list[str]:
    if file.hunks:
        return [hunk_key(file.path, hunk) for hunk in file.hunks]
    summary = "\0".join((file.path, file.status, file.old_path or "", str(file.added), str(file.removed), *file.notes))
    return [hashlib.sha1(summary.encode("utf-8", "surrogatepass")).hexdigest()]


@dataclass(frozen=True, slots=True)
class SinceLastLook:
    # Files with something not seen yet, each holding only its unseen hunks.
    files: tuple[FileDiff, ...]
    unseen: int
    seen: int
    # Nothing of this session's diff was ever marked seen.
    first_look: bool

    @property
    def summary(self) -> str:
        if self.first_look:
            return "first look"
        if not self.unseen:
            return f"nothing new since you last looked ({self.seen} hunk(s) seen)"
        return f"{self.unseen} new or changed hunk(s) since you last looked; {self.seen} seen before"


def since_last_look(files: Sequence[FileDiff], viewed: set[str]) -> SinceLastLook:
    kept: list[FileDiff] = []
    unseen = seen = 0
    for file in files:
        keys = file_keys(file)
        if not file.hunks:
            if keys[0] in viewed:
                seen += 1
            else:
                unseen += 1
                kept.append(file)
            continue
        fresh = tuple(h for h, key in zip(file.hunks, keys, strict=True) if key not in viewed)
        seen += len(file.hunks) - len(fresh)
        unseen += len(fresh)
        if fresh:
            kept.append(replace(file, hunks=fresh))
    return SinceLastLook(tuple(kept), unseen, seen, first_look=not viewed)


def keys_of(files: Iterable[FileDiff]) -> list[str]:
    """Every key of these files: what to mark seen once they were on screen."""
    return [key for file in files for key in file_keys(file)]

"""Parse codex's `*** Begin Patch` format into hunks.

Grammar (from codex's apply_patch tool instructions):

    *** Begin Patch
    *** Add File: path          then lines starting with "+"
    *** Delete File: path
    *** Update File: path       then an optional "*** Move to: path", then chunks:
    @@ optional context line    (repeatable, to narrow down where the chunk goes)
     context / -removed / +added lines
    *** End of File             (optional: the chunk ends at the end of the file)
    *** End Patch

The parser is lenient where models are sloppy and codex is lenient too: whitespace around
markers, a heredoc wrapper (`<<'EOF' ... EOF`), a first chunk without `@@`, blank lines between
hunks, and a blank line inside a chunk read as an empty context line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tui.agent.errors import PatchError

BEGIN = "*** Begin Patch"
END = "*** End Patch"
ADD = "*** Add File: "
DELETE = "*** Delete File: "
UPDATE = "*** Update File: "
MOVE = "*** Move to: "
EOF_MARKER = "*** End of File"

_HEREDOC_START = re.compile(r"^(?:apply_patch\s+)?<<-?\s*['\"]?(\w+)['\"]?\s*$")


@dataclass
class Chunk:
    """One run of changes inside an Update hunk."""

    contexts: list[str] = field(default_factory=list)
    old_lines: list[str] = field(default_factory=list)
    new_lines: list[str] = field(default_factory=list)
    # For each new line: the index of the old line it repeats (a context line), else None.
    # Context lines keep the file's own text, so tolerant matching never rewrites them.
    new_sources: list[int | None] = field(default_factory=list)
    at_end_of_file: bool = False
    # 1-based line in the patch where the chunk starts, for error messages.
    patch_line: int = 0

    def describe(self) -> str:
        where = f" at @@ {self.contexts[-1].strip()}" if self.contexts and self.contexts[-1].strip() else ""
        return f"the chunk starting on patch line {self.patch_line}{where}"


@dataclass
class AddFile:
    path: str
    lines: list[str]

    def describe(self) -> str:
        return f"Add File: {self.path}"


@dataclass
class DeleteFile:
    path: str

    def describe(self) -> str:
        return f"Delete File: {self.path}"


@dataclass
class UpdateFile:
    path: str
    move_to: str | None
    chunks: list[Chunk]

    def describe(self) -> str:
        move = f" (move to {self.move_to})" if self.move_to else ""
        return f"Update File: {self.path}{move}"


Hunk = AddFile | DeleteFile | UpdateFile


def parse_patch(text: str) -> list[Hunk]:
    """The hunks of a patch, or PatchError naming the line that is wrong."""
    lines = _strip_wrapper(text.replace("\r\n", "\n").strip("\n").split("\n"))
    if not lines or lines[0].strip() != BEGIN:
        raise PatchError(f"the patch must start with '{BEGIN}' on its own line")
    if lines[-1].strip() != END:
        raise PatchError(f"the patch must end with '{END}' on its own line")
    body = lines[1:-1]
    hunks: list[Hunk] = []
    index = 0
    while index < len(body):
        line = body[index]
        stripped = line.strip()
        number = index + 2  # 1-based, after "*** Begin Patch"
        if not stripped:
            index += 1
            continue
        if stripped.startswith(ADD.strip()):
            path = _marker_value(stripped, ADD, number)
            index += 1
            added: list[str] = []
            while index < len(body) and body[index].startswith("+"):
                added.append(body[index][1:])
                index += 1
            hunks.append(AddFile(path, added))
        elif stripped.startswith(DELETE.strip()):
            hunks.append(DeleteFile(_marker_value(stripped, DELETE, number)))
            index += 1
        elif stripped.startswith(UPDATE.strip()):
            path = _marker_value(stripped, UPDATE, number)
            index += 1
            move_to = None
            if index < len(body) and body[index].strip().startswith(MOVE.strip()):
                move_to = _marker_value(body[index].strip(), MOVE, index + 2)
                index += 1
            chunks, index = _parse_chunks(body, index)
            if not chunks and move_to is None:
                raise PatchError(f"patch line {number}: the update of {path} has no changes")
            hunks.append(UpdateFile(path, move_to, chunks))
        else:
            raise PatchError(
                f"patch line {number}: expected '{ADD}', '{DELETE}' or '{UPDATE}', got {line!r}"
            )
    if not hunks:
        raise PatchError("the patch contains no changes")
    return hunks


def _strip_wrapper(lines: list[str]) -> list[str]:
    """Drop a heredoc wrapper such as `<<'EOF'` ... `EOF` that some models add."""
    if len(lines) >= 2:
        match = _HEREDOC_START.match(lines[0].strip())
        if match and lines[-1].strip() == match.group(1):
            return lines[1:-1]
    return lines


def _marker_value(stripped: str, marker: str, number: int) -> str:
    value = stripped[len(marker.strip()):].strip()
    if not value:
        raise PatchError(f"patch line {number}: '{marker.strip()}' needs a path")
    return value


def _is_hunk_header(stripped: str) -> bool:
    return any(stripped.startswith(m.strip()) for m in (ADD, DELETE, UPDATE))


def _parse_chunks(body: list[str], index: int) -> tuple[list[Chunk], int]:
    chunks: list[Chunk] = []
    current: Chunk | None = None
    while index < len(body):
        line = body[index]
        stripped = line.strip()
        number = index + 2
        if _is_hunk_header(stripped):
            break
        if stripped == EOF_MARKER:
            if current is None or not (current.old_lines or current.new_lines):
                raise PatchError(f"patch line {number}: '{EOF_MARKER}' must follow changed lines")
            current.at_end_of_file = True
            current = None
            index += 1
            continue
        if stripped == "@@" or line.startswith("@@ "):
            context = line[3:] if line.startswith("@@ ") else ""
            # Consecutive @@ lines narrow down one chunk's position; a new one after
            # changed lines starts a new chunk.
            if current is None or current.old_lines or current.new_lines:
                current = Chunk(patch_line=number)
                chunks.append(current)
            if context:
                current.contexts.append(context)
            index += 1
            continue
        if current is None:
            # codex allows the first chunk to omit its @@ line.
            current = Chunk(patch_line=number)
            chunks.append(current)
        if line == "" or line[0] == " ":
            current.new_sources.append(len(current.old_lines))
            current.old_lines.append(line[1:])
            current.new_lines.append(line[1:])
        elif line[0] == "-":
            current.old_lines.append(line[1:])
        elif line[0] == "+":
            current.new_sources.append(None)
            current.new_lines.append(line[1:])
        else:
            raise PatchError(
                f"patch line {number}: unexpected line {line!r}; every line of a chunk starts "
                "with ' ' (context), '-' (removed) or '+' (added)"
            )
        index += 1
    for chunk in chunks:
        if not chunk.old_lines and not chunk.new_lines:
            raise PatchError(f"patch line {chunk.patch_line}: this @@ chunk has no lines")
    return chunks, index

"""Unified diffs as data, for the diff view (changes since last read, an agent's changes).

`diff_texts` compares two versions of one file; `parse_unified_diff` reads `git diff` output.
Both produce `FileDiff`s, which `widgets.diff_view.DiffView` shows.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

_HUNK = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@ ?(.*)$")


@dataclass(frozen=True, slots=True)
class DiffLine:
    kind: str  # "+" added, "-" removed, " " context, "\\" a "\ No newline at end of file" note
    text: str
    old: int | None = None  # line number in the old version (1-based), None for added lines
    new: int | None = None  # line number in the new version, None for removed lines


@dataclass(frozen=True, slots=True)
class Hunk:
    old_start: int
    old_count: int
    new_start: int
    new_count: int
    lines: tuple[DiffLine, ...]
    section: str = ""  # the text git prints after the @@ (usually the enclosing function)

    @property
    def header(self) -> str:
        tail = f" {self.section}" if self.section else ""
        return f"@@ -{self.old_start},{self.old_count} +{self.new_start},{self.new_count} @@{tail}"


@dataclass(frozen=True, slots=True)
class FileDiff:
    path: str
    # "modified", "added", "deleted", "renamed" (possibly with changes), "binary"
    status: str
    hunks: tuple[Hunk, ...] = ()
    added: int = 0
    removed: int = 0
    old_path: str | None = None  # for renames
    notes: tuple[str, ...] = field(default=())  # e.g. "mode 100644 → 100755"

    @property
    def unchanged(self) -> bool:
        return not self.hunks and self.status == "modified" and not self.notes


def diff_texts(old: str, new: str, path: str, *, context: int = 3) -> FileDiff:
    """The unified diff from `old` to `new` (one file)."""
    old_lines = old.splitlines()
    new_lines = new.splitlines()
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=False)
    hunks: list[Hunk] = []
    added = removed = 0
    for group in matcher.get_grouped_opcodes(context):
        lines: list[DiffLine] = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                lines.extend(DiffLine(" ", old_lines[i1 + k], i1 + k + 1, j1 + k + 1) for k in range(i2 - i1))
                continue
            if tag in ("replace", "delete"):
                lines.extend(DiffLine("-", old_lines[i], i + 1, None) for i in range(i1, i2))
                removed += i2 - i1
            if tag in ("replace", "insert"):
                lines.extend(DiffLine("+", new_lines[j], None, j + 1) for j in range(j1, j2))
                added += j2 - j1
        first, last = group[0], group[-1]
        old_start, old_count = first[1], last[2] - first[1]
        new_start, new_count = first[3], last[4] - first[3]
        hunks.append(
            Hunk(
                old_start + (1 if old_count else 0),
                old_count,
                new_start + (1 if new_count else 0),
                new_count,
                tuple(lines),
            )
        )
    if not old and new:
        status = "added"
    elif old and not new:
        status = "deleted"
    else:
        status = "modified"
    return FileDiff(path, status, tuple(hunks), added, removed)


def parse_unified_diff(text: str) -> list[FileDiff]:
    """Parse `git diff` (or `diff -u`) output into one `FileDiff` per file."""
    files: list[FileDiff] = []
    current: dict | None = None
    hunk: dict | None = None

    def close_hunk() -> None:
        nonlocal hunk
        if current is not None and hunk is not None:
            current["hunks"].append(
                Hunk(hunk["old_start"], hunk["old_count"], hunk["new_start"], hunk["new_count"], tuple(hunk["lines"]), hunk["section"])
            )
        hunk = None

    def close_file() -> None:
        nonlocal current
        close_hunk()
        if current is not None:
            files.append(
                FileDiff(
                    current["path"] or current["old_path"] or "?",
                    current["status"],
                    tuple(current["hunks"]),
                    current["added"],
                    current["removed"],
                    current["old_path"] if current["status"] == "renamed" else None,
                    tuple(current["notes"]),
                )
            )
        current = None

    def start_file(old_path: str | None, new_path: str | None) -> dict:
        return {
            "path": new_path,
            "old_path": old_path,
            "status": "modified",
            "hunks": [],
            "added": 0,
            "removed": 0,
            "notes": [],
        }

    for raw in text.split("\n"):
        if raw.startswith("diff --git "):
            close_file()
            old_path, new_path = _git_header_paths(raw[len("diff --git ") :])
            current = start_file(old_path, new_path)
            continue
        if hunk is not None and current is not None:
            if raw.startswith("\\"):
                hunk["lines"].append(DiffLine("\\", raw[1:].strip()))
                continue
            if hunk["remaining"] > 0:
                # Some tools strip the single space of empty context lines.
                _hunk_line(hunk, current, raw if raw[:1] in ("+", "-", " ") else " " + raw)
                continue
            close_hunk()
        if raw.startswith("--- "):
            close_hunk()
            if current is None or current["hunks"]:
                close_file()
                current = start_file(None, None)
            path = _strip_prefix(_unquote(raw[4:].split("\t")[0]))
            if path is None:
                current["status"] = "added"
            else:
                current["old_path"] = current["old_path"] or path
            continue
        if raw.startswith("+++ ") and current is not None:
            path = _strip_prefix(_unquote(raw[4:].split("\t")[0]))
            if path is None:
                current["status"] = "deleted"
            else:
                current["path"] = path
            continue
        match = _HUNK.match(raw)
        if match and current is not None:
            close_hunk()
            old_start, old_count, new_start, new_count, section = match.groups()
            hunk = {
                "old_start": int(old_start),
                "old_count": 1 if old_count is None else int(old_count),
                "new_start": int(new_start),
                "new_count": 1 if new_count is None else int(new_count),
                "section": section.strip(),
                "lines": [],
                "old_line": int(old_start),
                "new_line": int(new_start),
            }
            hunk["remaining"] = hunk["old_count"] + hunk["new_count"]
            continue
        if current is None:
            continue
        if raw.startswith("new file mode"):
            current["status"] = "added"
        elif raw.startswith("deleted file mode"):
            current["status"] = "deleted"
        elif raw.startswith("rename from "):
            current["status"] = "renamed"
            current["old_path"] = _unquote(raw[len("rename from ") :])
        elif raw.startswith("rename to "):
            current["status"] = "renamed"
            current["path"] = _unquote(raw[len("rename to ") :])
        elif raw.startswith("Binary files ") or raw.startswith("GIT binary patch"):
            current["status"] = "binary"
        elif raw.startswith("old mode "):
            current["notes"].append("mode " + raw[len("old mode ") :])
        elif raw.startswith("new mode ") and current["notes"]:
            current["notes"][-1] += " → " + raw[len("new mode ") :]
    close_file()
    return files


def _hunk_line(hunk: dict, current: dict, raw: str) -> None:
    kind, body = raw[0], raw[1:]
    if kind == "+":
        hunk["lines"].append(DiffLine("+", body, None, hunk["new_line"]))
        hunk["new_line"] += 1
        hunk["remaining"] -= 1
        current["added"] += 1
    elif kind == "-":
        hunk["lines"].append(DiffLine("-", body, hunk["old_line"], None))
        hunk["old_line"] += 1
        hunk["remaining"] -= 1
        current["removed"] += 1
    else:
        hunk["lines"].append(DiffLine(" ", body, hunk["old_line"], hunk["new_line"]))
        hunk["old_line"] += 1
        hunk["new_line"] += 1
        hunk["remaining"] -= 2


def _git_header_paths(rest: str) -> tuple[str | None, str | None]:
    """Paths from `a/x b/y` (possibly quoted) after `diff --git`."""
    if rest.startswith('"'):
        end = _quoted_end(rest)
        old, new = rest[: end + 1], rest[end + 2 :]
    else:
        # Unquoted paths cannot be split reliably when they contain " b/"; the ---/+++ lines
        # or rename lines that follow correct them.
        middle = rest.find(" b/")
        old, new = (rest[:middle], rest[middle + 1 :]) if middle >= 0 else (rest, rest)
    return _strip_prefix(_unquote(old)), _strip_prefix(_unquote(new))


def _quoted_end(text: str) -> int:
    index = 1
    while index < len(text):
        if text[index] == "\\":
            index += 2
            continue
        if text[index] == '"':
            return index
        index += 1
    return len(text) - 1


_ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "r": "\r", "v": "\v"}


def _unquote(path: str) -> str:
    """Undo git's C-style quoting of unusual file names ("a/caf\\303\\251.md")."""
    if not (len(path) >= 2 and path.startswith('"') and path.endswith('"')):
        return path
    body = path[1:-1]
    out = bytearray()
    index = 0
    while index < len(body):
        char = body[index]
        if char == "\\" and index + 1 < len(body):
            following = body[index + 1]
            if following in "01234567" and index + 3 < len(body) + 1:
                out.append(int(body[index + 1 : index + 4], 8))
                index += 4
                continue
            out.extend(_ESCAPES.get(following, following).encode())
            index += 2
            continue
        out.extend(char.encode())
        index += 1
    return out.decode("utf-8", errors="replace")


def _strip_prefix(path: str) -> str | None:
    if path == "/dev/null":
        return None
    if path.startswith(("a/", "b/")):
        return path[2:]
    return path

"""The read-only tools: read_file, list_dir and grep_files, with codex's arguments and output.

Paths may be absolute or relative to the working directory; either way they must stay inside
it. Results are plain text for the model; mistakes (a missing file, an offset past the end, a
bad regex) raise ToolError so the model reads what to fix.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

from tui.agent.errors import ToolError
from tui.agent.paths import Workspace

MAX_LINE_CHARS = 500
GREP_MAX_LIMIT = 2000
GREP_TIMEOUT_SECONDS = 30
_BINARY_SNIFF = 8192


def read_file(ws: Workspace, file_path: str, offset: int = 1, limit: int = 2000) -> str:
    """Lines `offset`..`offset + limit - 1` (1-based) as `L{n}: text`."""
    if offset < 1:
        raise ToolError("offset is 1-based and must be at least 1")
    if limit < 1:
        raise ToolError("limit must be at least 1")
    real = ws.resolve(file_path, must_exist=True)
    if real.is_dir():
        raise ToolError(f"{file_path} is a directory; use list_dir")
    out: list[str] = []
    more = False
    count = 0
    try:
        with open(real, "rb") as handle:
            if b"\x00" in handle.read(_BINARY_SNIFF):
                raise ToolError(f"{file_path} looks like a binary file; read_file only shows text")
            handle.seek(0)
            for count, raw in enumerate(handle, start=1):
                if count < offset:
                    continue
                if len(out) == limit:
                    more = True
                    break
                text = raw.decode("utf-8", "replace").rstrip("\r\n")
                if len(text) > MAX_LINE_CHARS:
                    text = text[:MAX_LINE_CHARS] + " [line truncated]"
                out.append(f"L{count}: {text}")
    except OSError as exc:
        raise ToolError(f"cannot read {file_path}: {exc.strerror}") from exc
    if not out:
        if count == 0 and offset == 1:
            return "(empty file)"
        raise ToolError(f"offset {offset} exceeds the file's length ({count} lines)")
    if more:
        out.append(f"(more lines follow; continue with offset={offset + limit})")
    return "\n".join(out)


def list_dir(ws: Workspace, dir_path: str = ".", offset: int = 1, limit: int = 25, depth: int = 2) -> str:
    """A tree of `dir_path` down to `depth` levels, sorted by name, `limit` entries from `offset`."""
    if offset < 1 or limit < 1 or depth < 1:
        raise ToolError("offset, limit and depth must each be at least 1")
    real = ws.resolve(dir_path, must_exist=True)
    if not real.is_dir():
        raise ToolError(f"{dir_path} is not a directory; use read_file")
    wanted = offset - 1 + limit
    entries: list[str] = []
    truncated = _walk_listing(real, 0, depth, wanted + 1, entries)
    page = entries[offset - 1: wanted]
    if offset > 1 and not page:
        raise ToolError(f"offset {offset} exceeds the number of entries ({len(entries)})")
    lines = [f"Absolute path: {real}", *page]
    if truncated or len(entries) > wanted:
        lines.append(f"More than {wanted} entries found; continue with offset={wanted + 1}")
    return "\n".join(lines)


def _walk_listing(folder: Path, level: int, depth: int, budget: int, out: list[str]) -> bool:
    """Depth-first, name-sorted; True when it stopped early because `budget` was reached."""
    try:
        children = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        out.append(f"{'  ' * level}[cannot list: {exc.strerror}]")
        return False
    for entry in children:
        if len(out) >= budget:
            return True
        if entry.is_symlink():
            suffix = "@"
        elif entry.is_dir():
            suffix = "/"
        elif entry.is_file():
            suffix = ""
        else:
            suffix = "?"
        out.append(f"{'  ' * level}{entry.name}{suffix}")
        # Never descend into .git: its internals only waste the model's context.
        if suffix == "/" and level + 1 < depth and entry.name != ".git":
            if _walk_listing(Path(entry.path), level + 1, depth, budget, out):
                return True
    return False


def grep_files(ws: Workspace, pattern: str, include: str | None = None, path: str = ".", limit: int = 100) -> str:
    """Files whose contents match `pattern`, most recently modified first."""
    if not pattern:
        raise ToolError("pattern must not be empty")
    if limit < 1:
        raise ToolError("limit must be at least 1")
    limit = min(limit, GREP_MAX_LIMIT)
    real = ws.resolve(path, must_exist=True)
    rg = shutil.which("rg")
    files = _grep_rg(rg, pattern, include, real) if rg else _grep_python(ws, pattern, include, real)
    if not files:
        return "No matches found."
    shown = [ws.relative(Path(f)) for f in files[:limit]]
    if len(files) > limit:
        shown.append(f"(more than {limit} files match; narrow the pattern or raise limit)")
    return "\n".join(shown)


def _grep_rg(rg: str, pattern: str, include: str | None, real: Path) -> list[str]:
    argv = [rg, "--files-with-matches", "--sortr=modified", "--regexp", pattern, "--no-messages"]
    if include:
        argv += ["--glob", include]
    argv += ["--", str(real)]
    try:
        done = subprocess.run(argv, capture_output=True, timeout=GREP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired as exc:
        raise ToolError(f"grep_files took more than {GREP_TIMEOUT_SECONDS} s; narrow the path or include glob") from exc
    if done.returncode == 1:
        return []
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip() or f"rg exited {done.returncode}"
        raise ToolError(f"grep_files failed: {message}")
    return [line for line in done.stdout.decode("utf-8", "surrogateescape").splitlines() if line]


def _grep_python(ws: Workspace, pattern: str, include: str | None, real: Path) -> list[str]:
    """What rg would find: hidden and git-ignored files skipped, binary files skipped."""
    try:
        regex = re.compile(pattern)
    except re.error as exc:
        raise ToolError(f"invalid regular expression {pattern!r}: {exc}") from exc
    globs = _expand_braces(include) if include else []
    ignored = _ignore_checker(ws.root)
    matches: list[tuple[float, str]] = []
    candidates = [str(real)] if real.is_file() else _walk_files(real, ws.root, ignored)
    for file in candidates:
        if globs and not _glob_matches(globs, file, real):
            continue
        try:
            with open(file, "rb") as handle:
                data = handle.read()
        except OSError:
            continue
        if b"\x00" in data[:_BINARY_SNIFF]:
            continue
        if regex.search(data.decode("utf-8", "replace")):
            matches.append((os.stat(file).st_mtime, file))
    matches.sort(key=lambda item: (-item[0], item[1]))
    return [file for _, file in matches]


def _walk_files(top: Path, root: Path, ignored: Callable[[str], bool]) -> list[str]:
    found: list[str] = []
    for folder, dirs, names in os.walk(top):
        rel_folder = os.path.relpath(folder, root)
        prefix = "" if rel_folder == "." else rel_folder + "/"
        dirs[:] = sorted(
            d for d in dirs if not d.startswith(".") and not ignored(prefix + d + "/")
        )
        for name in sorted(names):
            if name.startswith(".") or ignored(prefix + name):
                continue
            full = os.path.join(folder, name)
            if os.path.islink(full):
                continue
            found.append(full)
    return found


def _ignore_checker(root: Path) -> Callable[[str], bool]:
    """A function telling whether a root-relative path is git-ignored (never, outside git)."""
    import pygit2

    try:
        repo = pygit2.Repository(str(root))
    except pygit2.GitError:
        return lambda rel: False
    workdir = Path(repo.workdir).resolve() if repo.workdir else root
    try:
        offset = root.relative_to(workdir).as_posix()
    except ValueError:
        return lambda rel: False
    base = "" if offset == "." else offset + "/"
    return lambda rel: repo.path_is_ignored(base + rel)


def _expand_braces(glob: str) -> list[str]:
    match = re.search(r"\{([^{}]*)\}", glob)
    if not match:
        return [glob]
    head, tail = glob[: match.start()], glob[match.end():]
    out: list[str] = []
    for option in match.group(1).split(","):
        out.extend(_expand_braces(head + option + tail))
    return out


def _glob_matches(globs: list[str], file: str, top: Path) -> bool:
    """rg's rule: a glob without a slash matches the file name, one with a slash the path."""
    name = os.path.basename(file)
    rel = os.path.relpath(file, top).replace(os.sep, "/")
    for glob in globs:
        negated = glob.startswith("!")
        body = glob[1:] if negated else glob
        hit = fnmatch.fnmatch(rel, body.lstrip("/")) if "/" in body else fnmatch.fnmatch(name, body)
        if hit != negated:
            return True
    return False

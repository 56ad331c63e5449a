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
import stat
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

from tui.agent.errors import ToolError
from tui.agent.paths import Workspace

MAX_LINE_CHARS = 500
GREP_MAX_LIMIT = 2000
GREP_TIMEOUT_SECONDS = 30
_BINARY_SNIFF = 8192
_SUBDIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC


def read_file(ws: Workspace, file_path: str, offset: int = 1, limit: int = 2000) -> str:
    """Lines `offset`..`offset + limit - 1` (1-based) as `L{n}: text`."""
    if offset < 1:
        raise ToolError("offset is 1-based and must be at least 1")
    if limit < 1:
        raise ToolError("limit must be at least 1")
    fd, _parts = ws.open_file(file_path)
    out: list[str] = []
    more = False
    count = 0
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            os.close(fd)
            what = "a directory; use list_dir" if stat.S_ISDIR(mode) else "not a regular file"
            raise ToolError(f"{file_path} is {what}")
        with os.fdopen(fd, "rb") as handle:
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
    fd, parts = ws.open_dir(dir_path)
    wanted = offset - 1 + limit
    entries: list[str] = []
    try:
        truncated = _walk_listing(fd, 0, depth, wanted + 1, entries)
    finally:
        os.close(fd)
    page = entries[offset - 1: wanted]
    if offset > 1 and not page:
        raise ToolError(f"offset {offset} exceeds the number of entries ({len(entries)})")
    lines = [f"Absolute path: {ws.absolute(parts)}", *page]
    if truncated or len(entries) > wanted:
        lines.append(f"More than {wanted} entries found; continue with offset={wanted + 1}")
    return "\n".join(lines)


def _walk_listing(folder: int, level: int, depth: int, budget: int, out: list[str]) -> bool:
    """Depth-first, name-sorted; True when it stopped early because `budget` was reached.

    `folder` is an open directory; subfolders are opened from it without following links."""
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
        elif entry.is_dir(follow_symlinks=False):
            suffix = "/"
        elif entry.is_file(follow_symlinks=False):
            suffix = ""
        else:
            suffix = "?"
        out.append(f"{'  ' * level}{entry.name}{suffix}")
        # Never descend into .git: its internals only waste the model's context.
        if suffix == "/" and level + 1 < depth and entry.name != ".git":
            try:
                child = os.open(entry.name, _SUBDIR_FLAGS, dir_fd=folder)
            except OSError as exc:
                out.append(f"{'  ' * (level + 1)}[cannot list: {exc.strerror}]")
                continue
            try:
                if _walk_listing(child, level + 1, depth, budget, out):
                    return True
            finally:
                os.close(child)
    return False


def grep_files(ws: Workspace, pattern: str, include: str | None = None, path: str = ".", limit: int = 100) -> str:
    """Files whose contents match `pattern`, most recently modified first."""
    if not pattern:
        raise ToolError("pattern must not be empty")
    if limit < 1:
        raise ToolError("limit must be at least 1")
    limit = min(limit, GREP_MAX_LIMIT)
    regex = _compile(pattern)
    parts = ws.resolve(path)
    # The folder is searched as opened, without following links, by names relative to it:
    # neither rg nor the walk below resolves a path string that a swap could redirect.
    try:
        folder = ws.walk(parts)
    except NotADirectoryError:
        return _grep_one_file(ws, regex, include, path, parts)
    except OSError as exc:
        raise ToolError(f"cannot search {path}: {exc.strerror}") from exc
    try:
        rg = shutil.which("rg")
        found = _grep_rg(rg, pattern, include, folder) if rg else _grep_python(ws, regex, include, folder, parts)
    finally:
        os.close(folder)
    if not found:
        return "No matches found."
    shown = [ws.relative((*parts, *Path(f).parts)) for f in found[:limit]]
    if len(found) > limit:
        shown.append(f"(more than {limit} files match; narrow the pattern or raise limit)")
    return "\n".join(shown)


def _compile(pattern: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise ToolError(f"invalid regular expression {pattern!r}: {exc}") from exc


def _grep_one_file(ws: Workspace, regex: re.Pattern[str], include: str | None, path: str, parts: tuple[str, ...]) -> str:
    if include and not _glob_matches(_expand_braces(include), parts[-1]):
        return "No matches found."
    fd, _ = ws.open_file(path)
    data = _read_text_file(fd)
    return ws.relative(parts) if data is not None and regex.search(data) else "No matches found."


def _read_text_file(fd: int) -> str | None:
    """The text of the open file `fd` (closed after), or None for binary and non-files."""
    with os.fdopen(fd, "rb", closefd=True) as handle:
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                return None
            data = handle.read()
        except OSError:
            return None
    return None if b"\x00" in data[:_BINARY_SNIFF] else data.decode("utf-8", "replace")


def _grep_rg(rg: str, pattern: str, include: str | None, folder: int) -> list[str]:
    """Paths relative to `folder` (an open directory, rg's working directory)."""
    argv = [rg, "--files-with-matches", "--sortr=modified", "--regexp", pattern, "--no-messages"]
    if include:
        argv += ["--glob", include]
    argv += ["--", "."]
    try:
        done = subprocess.run(argv, capture_output=True, timeout=GREP_TIMEOUT_SECONDS, cwd=f"/proc/self/fd/{folder}")
    except subprocess.TimeoutExpired as exc:
        raise ToolError(f"grep_files took more than {GREP_TIMEOUT_SECONDS} s; narrow the path or include glob") from exc
    if done.returncode == 1:
        return []
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip() or f"rg exited {done.returncode}"
        raise ToolError(f"grep_files failed: {message}")
    lines = done.stdout.decode("utf-8", "surrogateescape").splitlines()
    return [os.path.normpath(line) for line in lines if line]


def _grep_python(
    ws: Workspace, regex: re.Pattern[str], include: str | None, folder: int, parts: tuple[str, ...]
) -> list[str]:
    """What rg would find: hidden and git-ignored files skipped, binary files skipped."""
    globs = _expand_braces(include) if include else []
    ignored = _ignore_checker(ws.root)
    prefix = "/".join(parts) + "/" if parts else ""
    matches: list[tuple[float, str]] = []
    for directory, name, rel in _walk_files(folder, lambda p: ignored(prefix + p)):
        if globs and not _glob_matches(globs, rel):
            continue
        try:
            fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, dir_fd=directory)
        except OSError:
            continue
        modified = os.fstat(fd).st_mtime
        text = _read_text_file(fd)
        if text is not None and regex.search(text):
            matches.append((modified, rel))
    matches.sort(key=lambda item: (-item[0], item[1]))
    return [file for _, file in matches]


def _walk_files(folder: int, ignored: Callable[[str], bool]) -> Iterator[tuple[int, str, str]]:
    """(open folder, name, path relative to `folder`) of the regular files below `folder`,
    walked through directory descriptors (os.fwalk), links neither followed nor listed."""
    for directory, dirs, names, dir_fd in os.fwalk(".", dir_fd=folder):
        rel_folder = os.path.normpath(directory)
        prefix = "" if rel_folder == "." else rel_folder + "/"
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not ignored(prefix + d + "/"))
        for name in sorted(names):
            if name.startswith(".") or ignored(prefix + name):
                continue
            try:
                if stat.S_ISREG(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode):
                    yield dir_fd, name, prefix + name
            except OSError:
                continue


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


def _glob_matches(globs: list[str], rel: str) -> bool:
    """rg's rule: a glob without a slash matches the file name, one with a slash the path
    (relative to the folder searched)."""
    name = os.path.basename(rel)
    for glob in globs:
        negated = glob.startswith("!")
        body = glob[1:] if negated else glob
        hit = fnmatch.fnmatch(rel, body.lstrip("/")) if "/" in body else fnmatch.fnmatch(name, body)
        if hit != negated:
            return True
    return False

"""Confinement: every path a tool touches stays inside the agent's working directory.

Paths are walked from the root one component at a time through open directory file
descriptors, each opened with O_NOFOLLOW, never by handing the kernel a path string it would
resolve again later. A symlink is read (readlinkat) and its target walked the same way, so
`../x`, an absolute path elsewhere and a symlink inside the tree that points out are refused
before any I/O, and swapping a folder for a symlink while a tool works (rename(2) with
RENAME_EXCHANGE) cannot lead a read or a write outside: the component that became a symlink
fails to open instead.

`resolve` turns what the model wrote into the real path's components below the root; `walk`
opens the folder such components name (creating missing ones when asked); `open_file` and
`open_dir` do both. OS errors come back as `ToolError`s with the path and the reason.
"""

from __future__ import annotations

import errno
import os
import stat
from collections import deque
from pathlib import Path

from tui.agent.errors import PathEscapeError, ToolError

# As the kernel's limit on symlinks followed in one lookup.
MAX_SYMLINKS = 40
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC

Parts = tuple[str, ...]


class Workspace:
    """The folder the agent works in, and the only place its tools may read or write."""

    def __init__(self, root: Path) -> None:
        self.root = Path(os.path.realpath(root))

    # -- resolving -------------------------------------------------------------------------

    def resolve(self, path: str | os.PathLike[str], *, follow: bool = True, missing_ok: bool = False) -> Parts:
        """The components below the root of the real path `path` names (symlinks resolved;
        the last one only with `follow`). `()` is the root itself.

        Raises PathEscapeError for a path that leads outside, ToolError when a component does
        not exist (unless `missing_ok`: the missing rest is then taken as written).
        """
        raw = os.fspath(path)
        pending = deque(self._components(raw))
        fds = [self._open_root()]
        names: list[str] = []
        links = 0
        try:
            while pending:
                name = pending.popleft()
                if name in ("", "."):
                    continue
                if name == "..":
                    if not names:
                        raise self._escape(raw, through_link=links > 0)
                    os.close(fds.pop())
                    names.pop()
                    continue
                last = not pending
                info = _lstat(name, fds[-1], raw)
                if info is None or (missing_ok and not last and not _is_dir_or_link(info)):
                    if last or missing_ok:
                        return (*names, name, *_plain_rest(pending, raw))
                    raise ToolError(f"{raw} does not exist")
                if stat.S_ISLNK(info.st_mode) and (follow or not last):
                    links += 1
                    if links > MAX_SYMLINKS:
                        raise ToolError(f"{raw} goes through more than {MAX_SYMLINKS} symlinks")
                    target = _readlink(name, fds[-1], raw)
                    if os.path.isabs(target):
                        inside = self._inside(target)
                        if inside is None:
                            raise self._escape(raw, through_link=True)
                        while len(fds) > 1:
                            os.close(fds.pop())
                        names.clear()
                        pending.extendleft(reversed(inside))
                    else:
                        pending.extendleft(reversed(target.split("/")))
                    continue
                names.append(name)
                if last:
                    break
                if not stat.S_ISDIR(info.st_mode):
                    raise ToolError(f"{'/'.join(names)} is not a directory, so {raw} does not exist")
                fds.append(_open_dir_at(name, fds[-1], raw))
            return tuple(names)
        finally:
            for fd in fds:
                os.close(fd)

    def walk(self, parts: Parts, *, create: bool = False, created: list[Parts] | None = None) -> int:
        """An open file descriptor on the folder `parts` names, opened component by component
        without following symlinks. With `create`, missing folders are made (and listed in
        `created`). Raises OSError (ELOOP, ENOTDIR, ENOENT) when the tree is not as expected."""
        fd = self._open_root()
        try:
            for depth, name in enumerate(parts):
                try:
                    child = os.open(name, _DIR_FLAGS, dir_fd=fd)
                except FileNotFoundError:
                    if not create:
                        raise
                    os.mkdir(name, 0o777, dir_fd=fd)
                    if created is not None:
                        created.append(parts[: depth + 1])
                    child = os.open(name, _DIR_FLAGS, dir_fd=fd)
                os.close(fd)
                fd = child
        except BaseException:
            os.close(fd)
            raise
        return fd

    def open_dir(self, path: str) -> tuple[int, Parts]:
        """The folder `path` names, open, and its components below the root."""
        parts = self.resolve(path)
        try:
            return self.walk(parts), parts
        except NotADirectoryError as exc:
            raise ToolError(f"{path} is not a directory") from exc
        except OSError as exc:
            raise _tool_error(path, exc) from exc

    def open_file(self, path: str) -> tuple[int, Parts]:
        """The file `path` names, open read-only, and its components below the root."""
        parts = self.resolve(path)
        if not parts:
            raise ToolError(f"{path} is a directory")
        try:
            folder = self.walk(parts[:-1])
        except OSError as exc:
            raise _tool_error(path, exc) from exc
        try:
            # Non-blocking, so a FIFO cannot hang the agent; callers check it is a file.
            flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK
            return os.open(parts[-1], flags, dir_fd=folder), parts
        except OSError as exc:
            raise _tool_error(path, exc) from exc
        finally:
            os.close(folder)

    # -- showing ---------------------------------------------------------------------------

    def relative(self, parts: Parts) -> str:
        """How to show a resolved path to the model and the user."""
        return "/".join(parts) or "."

    def absolute(self, parts: Parts) -> Path:
        return self.root.joinpath(*parts)

    # -- helpers ---------------------------------------------------------------------------

    def _components(self, raw: str) -> list[str]:
        if not raw or not raw.strip():
            raise ToolError("the path is empty; give a path relative to the working directory")
        if "\x00" in raw:
            raise ToolError(f"the path {raw!r} contains a NUL byte")
        expanded = os.path.expanduser(raw)
        if not os.path.isabs(expanded):
            return expanded.split("/")
        inside = self._inside(expanded)
        if inside is None:
            raise self._escape(raw, through_link=False)
        return list(inside)

    def _inside(self, absolute: str) -> list[str] | None:
        """The components of an absolute path below the root, or None if it is elsewhere.

        Lexically first; then through the real path of its folder, for a root reached by
        another name (/tmp and /private/tmp). The walk from the root still checks each part.
        """
        for candidate in (absolute, _real_folder(absolute)):
            if candidate is None:
                continue
            normal = os.path.normpath(candidate)
            root = str(self.root)
            if normal == root:
                return []
            if normal.startswith(root.rstrip("/") + "/"):
                return normal[len(root.rstrip("/")) + 1:].split("/")
        return None

    def _escape(self, raw: str, *, through_link: bool) -> PathEscapeError:
        through = " through a symlink" if through_link else ""
        return PathEscapeError(
            f"{raw} is outside the working directory {self.root}{through}; only paths inside it can be used"
        )

    def _open_root(self) -> int:
        try:
            return os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as exc:
            raise ToolError(f"cannot open the working directory {self.root}: {exc.strerror}") from exc


def _lstat(name: str, dir_fd: int, raw: str) -> os.stat_result | None:
    try:
        return os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise _tool_error(raw, exc) from exc


def _readlink(name: str, dir_fd: int, raw: str) -> str:
    try:
        return os.readlink(name, dir_fd=dir_fd)
    except OSError as exc:
        # EINVAL: it stopped being a symlink since it was looked at.
        raise _tool_error(raw, exc) from exc


def _open_dir_at(name: str, dir_fd: int, raw: str) -> int:
    try:
        return os.open(name, _DIR_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        raise _tool_error(raw, exc) from exc


def _is_dir_or_link(info: os.stat_result) -> bool:
    return stat.S_ISDIR(info.st_mode) or stat.S_ISLNK(info.st_mode)


def _plain_rest(pending: deque[str], raw: str) -> list[str]:
    """What follows a missing folder: plain names (nothing there to resolve)."""
    rest = [name for name in pending if name not in ("", ".")]
    if ".." in rest:
        raise ToolError(f"{raw} uses '..' after a folder that does not exist")
    return rest


def _real_folder(absolute: str) -> str | None:
    folder, name = os.path.split(os.path.normpath(absolute))
    try:
        return os.path.join(os.path.realpath(folder, strict=True), name)
    except OSError:
        return None


def _tool_error(raw: str, exc: OSError) -> ToolError:
    if exc.errno == errno.ELOOP:
        return ToolError(f"{raw} changed into a symlink while it was being opened; it was not used")
    if exc.errno == errno.ENOENT:
        return ToolError(f"{raw} does not exist")
    return ToolError(f"cannot use {raw}: {exc.strerror or exc}")

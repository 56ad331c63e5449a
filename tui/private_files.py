"""Files only the user may read: loupe's data folder is 0700 and what loupe keeps in it 0600.

The data folder holds conversations, agents' screens and logs: other local users must not
read them. Modes are set with chmod after creating, so a permissive umask cannot widen
them, and folders and files left by an older loupe are narrowed when loupe opens them.
Worktrees keep the modes git gives them (their executables must stay executable); the
0700 folders above them are what keeps them private.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tui import locations

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def private_dir(folder: Path) -> Path:
    """`folder` created if missing (its missing parents too) and made 0700."""
    folder.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    _narrow(folder, FOLDER_MODE)
    return folder


def data_dir() -> Path:
    """The data folder (`locations.data_dir()`), created if missing, and made 0700."""
    return private_dir(locations.data_dir())


def in_data_dir(path: Path) -> bool:
    root = locations.data_dir().absolute()
    path = path.absolute()
    return path == root or root in path.parents


def store_folder(store_file: Path) -> None:
    """The folder of a store file: private inside the data folder, and the data folder too.

    A store elsewhere (a path given by a test or a benchmark) only has its folder created:
    loupe does not change the modes of folders it does not own.
    """
    folder = store_file.parent
    if in_data_dir(folder):
        data_dir()
        private_dir(folder)
    else:
        folder.mkdir(parents=True, exist_ok=True)


def private_file(path: Path) -> Path:
    """`path` created empty if missing, and made 0600; a symlink there is not followed."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return path


def open_private(path: Path, flags: int) -> int:
    """A file descriptor on `path`, created 0600 if missing (never through a symlink)."""
    fd = os.open(path, flags | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def write_private(path: Path, text: str) -> None:
    """Replace `path` with `text`, 0600 from the first byte."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = open_private(temporary, os.O_WRONLY | os.O_TRUNC)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def make_private(*paths: Path) -> None:
    """Narrow existing files to 0600 (0700 if owner-executable) and folders to 0700."""
    for path in paths:
        try:
            info = path.lstat()
        except FileNotFoundError:
            continue
        if stat.S_ISDIR(info.st_mode):
            _narrow(path, FOLDER_MODE, info)
        elif stat.S_ISREG(info.st_mode):
            _narrow(path, FOLDER_MODE if info.st_mode & stat.S_IXUSR else FILE_MODE, info)


def make_tree_private(folder: Path) -> None:
    """`folder`, its subfolders and their files narrowed (see `make_private`); links are
    left alone and not followed."""
    make_private(folder)
    for root, folders, files in os.walk(folder):
        base = Path(root)
        make_private(*(base / name for name in (*folders, *files)))


def _narrow(path: Path, mode: int, info: os.stat_result | None = None) -> None:
    current = stat.S_IMODE((info or path.lstat()).st_mode)
    if current != mode:
        try:
            os.chmod(path, mode)
        except PermissionError:
            # Not ours (a shared folder given by path): leave it as it is.
            pass

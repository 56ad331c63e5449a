"""The private folder that holds ssh's control sockets, and their paths.

Whoever can connect to a control socket can run commands on that host as the user, so the
folder must be the user's alone (0700). Under /tmp another user could have made it first,
or put a symlink there: such a folder is refused, never used.

A socket's path must fit in `sun_path` (104 bytes on macOS and the BSDs, 108 on Linux),
and ssh first binds a temporary name 17 bytes longer before renaming it into place.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import stat
from pathlib import Path

from tui import locations
from tui.remote.errors import RemoteError

SOCKET_PATH_MAX = 104
# ssh binds "<path>.<16 hex digits>" first, then renames it to <path>.
_SSH_TEMP_SUFFIX = 17
_counter = itertools.count(1)


def control_folder() -> Path:
    """`<runtime folder>/ssh`, created 0700 if missing; refused unless it is the user's own."""
    base = locations.runtime_dir()
    base.parent.mkdir(parents=True, exist_ok=True)
    for folder in (base, base / "ssh"):
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            pass
        info = folder.lstat()
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            raise RemoteError(
                f"{folder} is not a folder of yours (a link, or someone else's), so it cannot hold "
                "ssh's control sockets; remove it, or set LOUPE_RUNTIME_DIR to a private folder"
            )
        if stat.S_IMODE(info.st_mode) & 0o077:
            os.chmod(folder, 0o700)
    return base / "ssh"


def control_path(target: str, config_file: Path | None) -> Path:
    """A socket path of its own for one connection of this process to `target`.

    The name holds a short hash of the destination (to tell sockets apart when looking),
    this process's id and a counter: a connection only ever talks to the master it started,
    so closing it can never end a master that another process or connection relies on.
    """
    key = f"{config_file or ''}\0{target}".encode()
    digest = hashlib.sha256(key).hexdigest()[:8]
    path = control_folder() / f"{digest}-{os.getpid()}-{next(_counter)}"
    if any(c.isspace() or c in "\"'\\" for c in str(path)):
        raise RemoteError(f"ssh cannot take a control socket path with spaces or quotes ({path}); set "
                          "LOUPE_RUNTIME_DIR to a folder without them, e.g. /tmp/loupe-$(id -u)")
    size = len(os.fsencode(path)) + _SSH_TEMP_SUFFIX
    if size > SOCKET_PATH_MAX:
        raise RemoteError(
            f"ssh's control socket would be {path} ({size} bytes with ssh's temporary suffix), "
            f"longer than sockets allow ({SOCKET_PATH_MAX}); set LOUPE_RUNTIME_DIR to a shorter "
            "folder, e.g. /tmp/loupe-$(id -u)"
        )
    return path

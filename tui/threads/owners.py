"""Who is writing a streaming message, so a crash can be told apart from a slow writer.

Each store that starts a streaming message holds an exclusive `flock` on its own lock file
next to the database (`threads.sqlite.owners/<token>.lock`) and tags the message with the
token. The kernel drops the lock when the process dies, however it dies (SIGKILL included).
On open, a store marks "interrupted" the streaming messages whose owner's lock it can take:
their writer is gone. A live writer in another process (an agent while the app starts) keeps
its lock, so its reply is left alone.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from tui.threads.ids import new_id


def owners_dir(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".owners")


class OwnerLock:
    """The lock this store holds while it may have streaming messages."""

    def __init__(self, db_path: Path) -> None:
        self._dir = owners_dir(db_path)
        self.token: str | None = None
        self._fd: int | None = None

    def acquire(self) -> str:
        if self.token is not None:
            return self.token
        self._dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        token = f"{os.getpid()}-{new_id()}"
        # Lock under a temporary name, then rename: a file with a final name is never seen
        # unlocked by another store's stale-lock sweep while its owner is alive.
        temporary = self._dir / f".{token}.tmp"
        fd = os.open(temporary, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.rename(temporary, self._dir / f"{token}.lock")
        self._fd, self.token = fd, token
        return token

    def release(self) -> None:
        if self._fd is None or self.token is None:
            return
        try:
            (self._dir / f"{self.token}.lock").unlink(missing_ok=True)
        finally:
            os.close(self._fd)
            self._fd = None
            self.token = None


def owner_is_alive(db_path: Path, token: str) -> bool:
    """True while the process that holds `token`'s lock is running."""
    path = owners_dir(db_path) / f"{token}.lock"
    try:
        fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def remove_stale_locks(db_path: Path, keep: str | None) -> None:
    """Delete lock files whose owner is gone (they pile up after crashes otherwise)."""
    folder = owners_dir(db_path)
    if not folder.is_dir():
        return
    for path in folder.glob("*.lock"):
        token = path.stem
        if token != keep and not owner_is_alive(db_path, token):
            path.unlink(missing_ok=True)

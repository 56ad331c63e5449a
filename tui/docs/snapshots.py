"""What the user last read, per file, so loupe can show what changed since.

Each time a document is shown to the user, its text is saved under the repo's data folder.
The task list compares a file's current content with the last-read one to mark it changed;
the artifact pane diffs against it ("changes since last read").
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path


# Paths whose keys are remembered (a few MB at most).
MAX_KEYS = 20_000


@dataclass(frozen=True)
class ReadRecord:
    path: Path
    time: float
    sha256: str


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", errors="surrogatepass")).hexdigest()


class ReadSnapshots:
    """Last-read snapshots for one repository, stored in `<repo data dir>/read/`."""

    def __init__(self, data_dir: Path, root: Path) -> None:
        self.folder = data_dir / "read"
        self.root = root
        self._resolved_root = root.resolve()
        # Records by their file's identity: the task list asks for every artifact's at each
        # rescan, and re-reading unchanged JSON each time is wasted I/O. Writes replace the
        # file (a new inode), so a changed record is never served stale.
        self._records: dict[Path, tuple[tuple[int, int, int], ReadRecord | None]] = {}
        # Keys by path: resolving a path costs a system call per folder in it, for each of
        # the thousands of artifacts a rescan asks about.
        self._keys: dict[Path, str] = {}

    def key(self, path: Path) -> str:
        """The name of `path`'s snapshot files in `folder` (without .txt or .json)."""
        found = self._keys.get(path)
        if found is None:
            try:
                name = str(path.resolve().relative_to(self._resolved_root))
            except ValueError:
                name = str(path.resolve())
            if len(self._keys) >= MAX_KEYS:
                self._keys.clear()
            # The name's bytes on disk: a name that is not UTF-8 holds surrogates, which
            # `str.encode()` refuses (and the scan that asked would fail for every task).
            found = self._keys[path] = hashlib.sha1(os.fsencode(name)).hexdigest()
        return found

    def mark_read(self, path: Path, text: str) -> ReadRecord:
        record = ReadRecord(path=path, time=time.time(), sha256=content_hash(text))
        key = self.key(path)
        self.folder.mkdir(parents=True, exist_ok=True)
        _atomic_write(self.folder / f"{key}.txt", text)
        _atomic_write(
            self.folder / f"{key}.json",
            json.dumps({"path": str(path), "time": record.time, "sha256": record.sha256}),
        )
        return record

    def last_read(self, path: Path) -> ReadRecord | None:
        meta_path = self.folder / f"{self.key(path)}.json"
        try:
            info = meta_path.stat()
        except OSError:
            return None
        stamp = (info.st_ino, info.st_size, info.st_mtime_ns)
        cached = self._records.get(meta_path)
        if cached is not None and cached[0] == stamp:
            record = cached[1]
            return replace(record, path=path) if record is not None and record.path != path else record
        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            record = ReadRecord(path=path, time=float(meta["time"]), sha256=str(meta["sha256"]))
        except (OSError, ValueError, KeyError, TypeError):
            record = None
        self._records[meta_path] = (stamp, record)
        return record

    def last_read_text(self, path: Path) -> str | None:
        try:
            return (self.folder / f"{self.key(path)}.txt").read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def changed_since_read(self, path: Path, current_text: str) -> bool | None:
        """True/False when the file was read before; None when it never was."""
        record = self.last_read(path)
        if record is None:
            return None
        return record.sha256 != content_hash(current_text)


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors="surrogatepass") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise

"""Read a document from disk for a read-only pane, turning every failure into a clear message.

Called from worker threads (never on the UI loop). Text is decoded as UTF-8; bytes that are
not valid UTF-8 are shown as U+FFFD with a notice rather than refusing the file.
"""

from __future__ import annotations

import codecs
import errno
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from tui.errors import LoupeError

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown", ".mdown", ".mkd", ".mdx"})
# How much of the start of a file decides whether it is binary (git looks at 8000 bytes).
BINARY_SNIFF = 8000


class DocumentError(LoupeError):
    """A document cannot be shown; the message says why and what to do."""


class DocumentMissing(DocumentError):
    pass


class DocumentUnreadable(DocumentError):
    pass


class DocumentIsBinary(DocumentError):
    pass


class DocumentTooLarge(DocumentError):
    pass


# (mtime in ns, size, inode): a cheap fingerprint to notice a rewrite without reading.
Stamp = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class LoadedText:
    path: Path
    text: str
    stamp: Stamp
    # Something the reader should know about the content (invalid UTF-8, ...), or None.
    notice: str | None = None


def is_markdown(path: Path) -> bool:
    return path.suffix.lower() in MARKDOWN_SUFFIXES


def stamp_of(path: Path) -> Stamp | None:
    """The file's fingerprint, or None when it cannot be stat'ed (gone, loop, ...)."""
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    return (info.st_mtime_ns, info.st_size, info.st_ino)


def load_text(path: Path, *, max_bytes: int) -> LoadedText:
    """Read and decode `path`. Raises a `DocumentError` subclass with a readable message."""
    name = str(path)
    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            if stat.S_ISDIR(info.st_mode):
                raise DocumentUnreadable(f"{name} is a folder, not a document.")
            if info.st_size > max_bytes:
                raise DocumentTooLarge(
                    f"{name} is {info.st_size / 1e6:.1f} MB; loupe shows documents up to "
                    f"{max_bytes / 1e6:.0f} MB (docs.max_file_mb in config). Press e to open it "
                    "in your editor."
                )
            data = handle.read(max_bytes + 1)
    except DocumentError:
        raise
    except FileNotFoundError as exc:
        raise DocumentMissing(f"{name} does not exist (deleted or moved?).") from exc
    except PermissionError as exc:
        raise DocumentUnreadable(f"Permission denied reading {name}. Check the file's permissions.") from exc
    except IsADirectoryError as exc:
        raise DocumentUnreadable(f"{name} is a folder, not a document.") from exc
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise DocumentUnreadable(f"{name} is a symlink loop: it points back to itself.") from exc
        raise DocumentUnreadable(f"Cannot read {name}: {exc.strerror or exc}.") from exc
    if len(data) > max_bytes:
        raise DocumentTooLarge(f"{name} grew past {max_bytes / 1e6:.0f} MB while being read.")
    text, notice = decode(data, name)
    return LoadedText(path, text, (info.st_mtime_ns, info.st_size, info.st_ino), notice)


def decode(data: bytes, name: str = "the file") -> tuple[str, str | None]:
    """Text of `data` and a notice when it needed repair. Raises DocumentIsBinary."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16"), "This file is UTF-16; it is shown converted."
        except UnicodeDecodeError:
            pass
    if b"\0" in data[:BINARY_SNIFF]:
        raise DocumentIsBinary(f"{name} looks like a binary file (it contains NUL bytes); it is not shown.")
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8"), None
    except UnicodeDecodeError:
        pass
    bad = 0

    def count(error: UnicodeDecodeError) -> tuple[str, int]:
        nonlocal bad
        bad += error.end - error.start
        return ("\ufffd", error.end)

    codecs.register_error("loupe-count", count)
    text = data.decode("utf-8", errors="loupe-count")
    plural = "s" if bad != 1 else ""
    return text, f"This file is not valid UTF-8: {bad} byte{plural} shown as �."

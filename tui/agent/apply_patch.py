"""Apply a `*** Begin Patch` patch atomically: every hunk applies, or no file changes.

All hunks are first applied in memory (reading each file once, following later hunks on the
same file), and only then written, each file through a temporary file and a rename. If a write
fails half way, the files already written are put back as they were. Unlike codex, a failure
never leaves earlier hunks applied.

Line endings and undecodable bytes survive: a CRLF file stays CRLF, and bytes that are not
UTF-8 are carried through untouched (surrogateescape).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field

from tui.agent.errors import PatchError, ToolError
from tui.agent.patch_parse import AddFile, Chunk, DeleteFile, Hunk, UpdateFile, parse_patch
from tui.agent.paths import Parts, Workspace
from tui.agent.seek import seek_sequence


@dataclass
class _Text:
    body: str
    newline: str = "\n"
    mode: int | None = None

    def encoded(self) -> bytes:
        return self.body.replace("\n", self.newline).encode("utf-8", "surrogateescape")


@dataclass
class PatchResult:
    # (letter, path) with A added, M modified, D deleted, in patch order.
    changes: list[tuple[str, str]] = field(default_factory=list)

    def for_model(self) -> str:
        lines = [f"{letter} {path}" for letter, path in self.changes]
        return "Success. Updated the following files:\n" + "\n".join(lines)


def apply_patch(text: str, workspace: Workspace) -> PatchResult:
    """Parse and apply `text` inside `workspace`; PatchError (nothing written) if any hunk fails."""
    hunks = parse_patch(text)
    plan = _Plan(workspace)
    result = PatchResult()
    for number, hunk in enumerate(hunks, start=1):
        label = f"hunk {number} ({hunk.describe()})"
        try:
            result.changes.extend(plan.add(hunk, label))
        except ToolError as exc:
            if isinstance(exc, PatchError) and str(exc).startswith(label):
                raise
            raise PatchError(f"{label}: {exc}. Nothing was changed.") from exc
    plan.commit()
    return result


class _Plan:
    def __init__(self, workspace: Workspace) -> None:
        self.workspace = workspace
        # Final content of every touched file (by its real path's parts); None means deleted.
        self.state: dict[Parts, _Text | None] = {}
        # What was on disk before, to write only real changes and to roll back.
        self.originals: dict[Parts, bytes | None] = {}
        self.modes: dict[Parts, int] = {}

    def add(self, hunk: Hunk, label: str) -> list[tuple[str, str]]:
        if isinstance(hunk, AddFile):
            real = self._target(hunk.path)
            self._remember(real)
            body = "\n".join(hunk.lines) + "\n" if hunk.lines else ""
            self.state[real] = _Text(body)
            return [("A", hunk.path)]
        if isinstance(hunk, DeleteFile):
            if self._is_symlink(hunk.path):
                raise ToolError(f"{hunk.path} is a symlink; remove links with the shell tool (rm)")
            real = self._target(hunk.path)
            if self._current(real) is None:
                raise PatchError(f"{label}: {hunk.path} does not exist, so it cannot be deleted. Nothing was changed.")
            self.state[real] = None
            return [("D", hunk.path)]
        real = self._target(hunk.path)
        current = self._current(real)
        if current is None:
            raise PatchError(
                f"{label}: {hunk.path} does not exist; use '*** Add File:' to create it. Nothing was changed."
            )
        updated = _Text(_apply_chunks(current.body, hunk.chunks, label, hunk.path), current.newline, current.mode)
        if hunk.move_to is None:
            self.state[real] = updated
            return [("M", hunk.path)]
        dest = self._target(hunk.move_to)
        self._remember(dest)
        self.state[real] = None
        self.state[dest] = updated
        return [("M", f"{hunk.move_to} (moved from {hunk.path})")] if dest != real else [("M", hunk.path)]

    def _target(self, path: str) -> Parts:
        real = self.workspace.resolve(path, missing_ok=True)
        if not real:
            raise ToolError("the working directory itself is not a file")
        return real

    def _is_symlink(self, path: str) -> bool:
        parts = self.workspace.resolve(path, follow=False, missing_ok=True)
        try:
            folder = self.workspace.walk(parts[:-1])
        except OSError:
            return False
        try:
            return stat.S_ISLNK(os.stat(parts[-1], dir_fd=folder, follow_symlinks=False).st_mode)
        except OSError:
            return False
        finally:
            os.close(folder)

    def _remember(self, real: Parts) -> None:
        if real in self.originals:
            return
        shown = self.workspace.relative(real)
        try:
            folder = self.workspace.walk(real[:-1])
        except (FileNotFoundError, NotADirectoryError):
            self.originals[real] = None  # created at commit, with its folders
            return
        except OSError as exc:
            raise ToolError(f"cannot read {shown}: {exc.strerror}") from exc
        try:
            fd = os.open(real[-1], os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | os.O_NONBLOCK, dir_fd=folder)
        except FileNotFoundError:
            self.originals[real] = None
            return
        except OSError as exc:
            raise ToolError(f"cannot read {shown}: {exc.strerror}") from exc
        finally:
            os.close(folder)
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            what = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise ToolError(f"{shown} is {what}; apply_patch works on files")
        with os.fdopen(fd, "rb") as handle:
            try:
                self.originals[real] = handle.read()
            except OSError as exc:
                raise ToolError(f"cannot read {shown}: {exc.strerror}") from exc
            self.modes[real] = stat.S_IMODE(info.st_mode)

    def _current(self, real: Parts) -> _Text | None:
        self._remember(real)
        if real in self.state:
            return self.state[real]
        data = self.originals[real]
        if data is None:
            return None
        if b"\x00" in data[:8192]:
            raise ToolError(f"{self.workspace.relative(real)} looks binary; apply_patch only edits text")
        text = data.decode("utf-8", "surrogateescape")
        newline = "\r\n" if "\r\n" in text else "\n"
        return _Text(text.replace("\r\n", "\n"), newline, self.modes.get(real))

    def commit(self) -> None:
        done: list[Parts] = []
        created_dirs: list[Parts] = []
        real: Parts = ()
        try:
            for real, new in self.state.items():
                original = self.originals.get(real)
                if new is None:
                    if original is not None:
                        _in_folder(self.workspace, real, lambda fd, name: os.unlink(name, dir_fd=fd))
                        done.append(real)
                    continue
                data = new.encoded()
                if data == original:
                    continue
                _write_atomically(self.workspace, real, data, new.mode, created_dirs)
                done.append(real)
        except OSError as exc:
            self._roll_back(done, created_dirs)
            raise PatchError(
                f"writing {self.workspace.relative(real)} failed ({exc.strerror}); "
                "every file was put back as it was"
            ) from exc

    def _roll_back(self, done: list[Parts], created_dirs: list[Parts]) -> None:
        for real in reversed(done):
            original = self.originals.get(real)
            try:
                if original is None:
                    _in_folder(self.workspace, real, lambda fd, name: os.unlink(name, dir_fd=fd))
                else:
                    _write_atomically(self.workspace, real, original, self.modes.get(real), [])
            except OSError:
                pass
        for folder in reversed(created_dirs):
            try:
                _in_folder(self.workspace, folder, lambda fd, name: os.rmdir(name, dir_fd=fd))
            except OSError:
                pass


def _in_folder(workspace: Workspace, real: Parts, action: Callable[[int, str], object]) -> None:
    """Run `action(folder_fd, name)` in the folder holding `real`, opened without links."""
    folder = workspace.walk(real[:-1])
    try:
        action(folder, real[-1])
    finally:
        os.close(folder)


def _write_atomically(
    workspace: Workspace, real: Parts, data: bytes, mode: int | None, created_dirs: list[Parts]
) -> None:
    """Write through a temporary file and a rename, both inside the file's own folder as
    opened from the root: a folder swapped for a link meanwhile makes this fail, not stray."""
    folder = workspace.walk(real[:-1], create=True, created=created_dirs)
    name = real[-1]
    tmp = f".{name}.loupe-patch-{os.getpid()}"
    try:
        try:
            os.unlink(tmp, dir_fd=folder)  # left by a crash
        except FileNotFoundError:
            pass
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o666, dir_fd=folder)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                if mode is not None:
                    os.fchmod(handle.fileno(), mode)
            os.replace(tmp, name, src_dir_fd=folder, dst_dir_fd=folder)
        except BaseException:
            try:
                os.unlink(tmp, dir_fd=folder)
            except OSError:
                pass
            raise
    finally:
        os.close(folder)


def _apply_chunks(body: str, chunks: list[Chunk], label: str, path: str) -> str:
    lines = body.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    replacements: list[tuple[int, int, list[str]]] = []
    cursor = 0
    for number, chunk in enumerate(chunks, start=1):
        where = f"{label}, {chunk.describe()}" if len(chunks) > 1 else label
        for context in chunk.contexts:
            found = seek_sequence(lines, [context], cursor, False)
            if found is None:
                raise PatchError(
                    f"{where}: the context line '@@ {context.strip()}' is not in {path}"
                    f"{_after(cursor)}. Nothing was changed."
                )
            cursor = found + 1
        old, new, sources = chunk.old_lines, chunk.new_lines, chunk.new_sources
        if not old:
            # Only added lines: after the @@ context when given, else at the end (as codex).
            at = cursor if chunk.contexts else len(lines)
            replacements.append((at, 0, new))
            continue
        found = seek_sequence(lines, old, cursor, chunk.at_end_of_file)
        # Blank lines a model leaves before the next marker read as empty context; drop them
        # if the chunk only matches without.
        while found is None and len(old) > 1 and old[-1] == "":
            old = old[:-1]
            if new and new[-1] == "":
                new, sources = new[:-1], sources[:-1]
            found = seek_sequence(lines, old, cursor, chunk.at_end_of_file)
        if found is None:
            raise PatchError(_not_found(where, path, lines, chunk.old_lines, cursor))
        kept = [
            lines[found + source] if source is not None and source < len(old) else text
            for text, source in zip(new, sources)
        ]
        replacements.append((found, len(old), kept))
        cursor = found + len(old)
    for start, length, new_lines in sorted(replacements, reverse=True):
        lines[start:start + length] = new_lines
    return "\n".join(lines) + "\n" if lines else ""


def _after(cursor: int) -> str:
    return f" after line {cursor}" if cursor else ""


def _not_found(where: str, path: str, lines: list[str], old: list[str], cursor: int) -> str:
    shown = "\n".join(f"  {line}" for line in old[:8])
    more = f"\n  ... ({len(old) - 8} more lines)" if len(old) > 8 else ""
    hint = ""
    if cursor and seek_sequence(lines, old, 0, False) is not None:
        hint = " They appear earlier in the file: chunks must follow the file's order."
    else:
        hint = " Read the file again and copy the context lines exactly."
    return (
        f"{where}: these lines are not in {path}{_after(cursor)}:\n{shown}{more}\n"
        f"{hint.strip()} Nothing was changed."
    )

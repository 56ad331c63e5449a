"""Finding tasks on disk: one folder per task under the tasks folder, its markdown files are its
artifacts.

A scan never raises for what it finds on disk: unreadable folders, binary or non-UTF-8 files,
broken front matter, broken links and symlink loops become problems next to the result, and
everything else is still listed. Scans are meant to run in a worker thread; a `TaskScanner`
remembers what it read, keyed by inode, size and mtime, so a rescan after one file changed
reads one file, and given the paths a watcher reported, a rescan walks only the tasks they
are in. What one task costs is bounded: dependency and build folders (node_modules...) are
not searched, nor more than `MAX_FOLDERS` folders, and at most `MAX_ARTIFACTS` are listed.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path

from tui.docs.snapshots import ReadSnapshots, content_hash
from tui.tasks import frontmatter
from tui.tasks.model import PHASE_WORDS, TICKET_PHASE, Artifact, Mark, ScanProblem, ScanResult, Task

NUMBER_PREFIX = re.compile(r"^(\d+)[-_. ]+")
# Artifacts in subfolders of a task count, down to this depth (notes/, reviews/2024/).
MAX_DEPTH = 3
# Bigger files are listed but not read: hashing them for change marks is not worth it.
MAX_READ_BYTES = 64 * 1024 * 1024
# Front matter and the first heading are looked for in this many lines.
HEAD_LINES = 400
# A task is a folder of documents: a tree of code or packages in it is not searched.
SKIPPED_FOLDERS = frozenset(
    {"node_modules", "__pycache__", "site-packages", "venv", "vendor", "target", "build", "dist"}
)
MAX_FOLDERS = 200
MAX_ARTIFACTS = 500


@dataclass(frozen=True)
class _Facts:
    """What a scan needs from a file's content; cached until the file changes."""

    values: dict[str, str]
    heading: str | None
    # Hashes the last-read snapshot may match: of the text as decoded and, for files with
    # carriage returns, with newlines normalised (readers differ on that).
    hashes: frozenset[str]
    problem: str | None


@dataclass(frozen=True)
class _Scanned:
    """One task as last scanned, to be reused while nothing in it changes."""

    task: Task
    problems: list[ScanProblem]
    files: set[Path]
    folders: set[tuple[int, int]]
    # Keys of the last-read snapshots of its artifacts (a change there changes a mark).
    read_keys: set[str]


class TaskScanner:
    def __init__(self, tasks_dir: Path, snapshots: ReadSnapshots | None = None) -> None:
        self.tasks_dir = tasks_dir
        self.snapshots = snapshots
        self._cache: dict[Path, tuple[tuple[int, int, int], _Facts]] = {}
        self._tasks: dict[Path, _Scanned] = {}

    def scan(self, changed: Collection[Path] | None = None) -> ScanResult:
        """Every task, newest first. With `changed`, the paths a watcher reported since the
        last scan, a task none of them is in (nor the snapshot of its artifacts' last read)
        is taken from the last scan as it was."""
        problems: list[ScanProblem] = []
        try:
            top = self.tasks_dir.stat()
        except FileNotFoundError:
            return ScanResult(self.tasks_dir, (), missing=True)
        except OSError as exc:
            return ScanResult(self.tasks_dir, (), (ScanProblem(self.tasks_dir, _describe(exc)),))
        if not stat.S_ISDIR(top.st_mode):
            problem = ScanProblem(self.tasks_dir, "the tasks folder is a file; set general.tasks_dir to a folder")
            return ScanResult(self.tasks_dir, (), (problem,))
        visited = {(top.st_dev, top.st_ino)}
        names, keys = self._touched(changed) if changed is not None else (None, set())
        scanned: dict[Path, _Scanned] = {}
        for entry_path, entry_stat in self._subfolders(self.tasks_dir, visited, problems):
            task = self._tasks.get(entry_path)
            if task is None or names is None or entry_path.name in names or task.read_keys & keys:
                folders: set[tuple[int, int]] = set()
                task = self._task(entry_path, entry_stat, visited | folders, folders)
            visited |= task.folders
            scanned[entry_path] = task
            problems.extend(task.problems)
        self._tasks = scanned
        # Forget files that are gone, so the cache does not grow forever.
        seen_files = set().union(*(task.files for task in scanned.values()))
        for path in set(self._cache) - seen_files:
            del self._cache[path]
        tasks = sorted((each.task for each in scanned.values()), key=lambda task: (-task.updated, task.title.lower()))
        return ScanResult(self.tasks_dir, tuple(tasks), tuple(problems))

    def _touched(self, changed: Collection[Path]) -> tuple[set[str], set[str]]:
        """Names of the task folders `changed` paths are in, and the snapshot keys among them."""
        names: set[str] = set()
        keys: set[str] = set()
        snapshots = str(self.snapshots.folder) if self.snapshots is not None else None
        top = str(self.tasks_dir)
        for path in map(str, changed):
            if path.startswith(top + os.sep):
                names.add(path[len(top) + 1 :].split(os.sep, 1)[0])
            elif snapshots is not None and path.startswith(snapshots + os.sep):
                keys.add(os.path.basename(path).split(".", 1)[0])
        return names, keys

    def _subfolders(
        self, folder: Path, visited: set[tuple[int, int]], problems: list[ScanProblem]
    ) -> list[tuple[Path, os.stat_result]]:
        """Non-hidden subfolders of `folder`, following links but never into one seen before."""
        found: list[tuple[Path, os.stat_result]] = []
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            problems.append(ScanProblem(folder, _describe(exc)))
            return found
        for entry in entries:
            if entry.name.startswith(".") or entry.name in SKIPPED_FOLDERS:
                continue
            path = Path(entry.path)
            try:
                if not entry.is_dir():
                    continue
                info = entry.stat()
            except OSError as exc:
                problems.append(ScanProblem(path, _describe(exc)))
                continue
            key = (info.st_dev, info.st_ino)
            if key in visited:
                problems.append(ScanProblem(path, "links to a folder already listed (a symlink loop?); skipped"))
                continue
            visited.add(key)
            found.append((path, info))
        return found

    def _task(
        self, folder: Path, info: os.stat_result, visited: set[tuple[int, int]], folders: set[tuple[int, int]]
    ) -> _Scanned:
        """Scan one task; the (device, inode) of the subfolders it walks go into `folders`."""
        problems: list[ScanProblem] = []
        found: list[tuple[str, os.DirEntry[str]]] = []
        pending = [(folder, 0)]
        walked = 0
        while pending:
            current, depth = pending.pop()
            walked += 1
            prefix = current.relative_to(folder).as_posix() + "/" if current != folder else ""
            found.extend((prefix + entry.name, entry) for entry in self._markdown_files(current, problems))
            if depth < MAX_DEPTH:
                subfolders = self._subfolders(current, visited | folders, problems)
                folders.update((sub_info.st_dev, sub_info.st_ino) for _, sub_info in subfolders)
                pending.extend((sub, depth + 1) for sub, _ in subfolders)
            if walked >= MAX_FOLDERS and pending:
                problems.append(ScanProblem(folder, f"more than {MAX_FOLDERS} folders; the rest are not searched"))
                break
        found.sort(key=lambda item: _order(item[0]))
        if len(found) > MAX_ARTIFACTS:
            problems.append(ScanProblem(folder, f"{len(found):,} markdown files; the first {MAX_ARTIFACTS} are listed"))
            del found[MAX_ARTIFACTS:]
        artifacts: list[tuple[Artifact, _Facts]] = []
        for _, entry in found:
            path = Path(entry.path)
            try:
                file_stat = entry.stat()
            except OSError as exc:
                problems.append(ScanProblem(path, _describe(exc)))
                continue
            if stat.S_ISREG(file_stat.st_mode):
                facts = self._facts(path, file_stat)
                artifacts.append((self._artifact(folder, path, file_stat, facts), facts))
        ordered = tuple(artifact for artifact, _ in artifacts)
        main_facts = next(
            (facts for artifact, facts in artifacts if artifact.name.lower() == "ticket.md"),
            artifacts[0][1] if artifacts else None,
        )
        values = main_facts.values if main_facts else {}
        title = values.get("title") or (main_facts.heading if main_facts else None) or _humanize(folder.name)
        task = Task(
            path=folder,
            slug=folder.name,
            title=title,
            phase=(values.get("phase") or "").lower() or _derived_phase(ordered),
            status=values.get("status") or None,
            updated=max((a.mtime for a in ordered), default=info.st_mtime),
            artifacts=ordered,
        )
        keys = {self.snapshots.key(artifact.path) for artifact in ordered} if self.snapshots is not None else set()
        return _Scanned(task, problems, {artifact.path for artifact in ordered}, folders, keys)

    def _markdown_files(self, folder: Path, problems: list[ScanProblem]) -> list[os.DirEntry[str]]:
        """Markdown files in `folder`, not stat'ed yet: a task may hold thousands."""
        try:
            entries = list(os.scandir(folder))
        except OSError as exc:
            problems.append(ScanProblem(folder, _describe(exc)))
            return []
        return [entry for entry in entries if not entry.name.startswith(".") and entry.name.lower().endswith(".md")]

    def _artifact(self, task_folder: Path, path: Path, info: os.stat_result, facts: _Facts) -> Artifact:
        name = path.relative_to(task_folder).as_posix()
        match = NUMBER_PREFIX.match(path.name)
        stem = path.name[: -len(".md")]
        label = _humanize(NUMBER_PREFIX.sub("", stem) if match else stem)
        parent = str(Path(name).parent)
        if parent != ".":
            label = f"{parent}/{label}"
        phase = (facts.values.get("phase") or "").lower() or _phase_from_name(stem)
        return Artifact(
            path=path,
            name=name,
            number=int(match.group(1)) if match else None,
            label=label,
            phase=phase,
            mtime=info.st_mtime,
            size=info.st_size,
            mark=self._mark(path, facts),
            problem=facts.problem,
        )

    def _facts(self, path: Path, info: os.stat_result) -> _Facts:
        key = (info.st_ino, info.st_size, info.st_mtime_ns)
        cached = self._cache.get(path)
        if cached and cached[0] == key:
            return cached[1]
        facts = read_facts(path, info.st_size)
        self._cache[path] = (key, facts)
        return facts

    def _mark(self, path: Path, facts: _Facts) -> Mark:
        if self.snapshots is None or not facts.hashes:
            return Mark.READ
        record = self.snapshots.last_read(path)
        if record is None:
            return Mark.NEW
        return Mark.READ if record.sha256 in facts.hashes else Mark.CHANGED


def read_facts(path: Path, size: int) -> _Facts:
    if size > MAX_READ_BYTES:
        return _Facts({}, None, frozenset(), f"too large to index ({size // (1024 * 1024)} MB)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        return _Facts({}, None, frozenset(), _describe(exc))
    if b"\0" in data[:8192]:
        return _Facts({}, None, frozenset(), "binary file, not markdown text")
    problem = None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("utf-8", errors="replace")
        problem = "not valid UTF-8; unreadable bytes are shown as \ufffd"
    hashes = {content_hash(text)}
    if "\r" in text:
        hashes.add(content_hash(text.replace("\r\n", "\n").replace("\r", "\n")))
    lines = text.removeprefix("\ufeff").splitlines()[:HEAD_LINES]
    parsed = frontmatter.parse(lines)
    return _Facts(parsed.values, _first_heading(lines[parsed.body_start :]), frozenset(hashes), problem or parsed.problem)


def _first_heading(lines: list[str]) -> str | None:
    in_fence = False
    for line in lines:
        stripped = line.strip()
        if stripped.startswith(("```", "~~~")):
            in_fence = not in_fence
        elif not in_fence and stripped.startswith("# "):
            # A title is shown as plain text: drop inline code ticks and emphasis markers.
            plain = re.sub(r"[`*]|(?<!\w)_|_(?!\w)", "", stripped[2:].strip().rstrip("#"))
            return plain.strip() or None
    return None


def _order(name: str) -> tuple[tuple[str, ...], int, int, str]:
    """Top-level files first, then each subfolder's; within a folder: ticket, numbered, others
    (`name` is the artifact's path in its task)."""
    folder, _, base = name.rpartition("/")
    parts = tuple(folder.split("/")) if folder else ()
    match = NUMBER_PREFIX.match(base)
    if name.lower() == "ticket.md":
        return (parts, 0, 0, "")
    if match:
        return (parts, 1, int(match.group(1)), name.lower())
    return (parts, 2, 0, name.lower())


def _phase_from_name(stem: str) -> str | None:
    words = [word for word in re.split(r"[-_. ]+", stem.lower()) if word]
    for phase, keys in PHASE_WORDS:
        if any(word.startswith(key) for word in words for key in keys):
            return phase
    return None


def _derived_phase(artifacts: tuple[Artifact, ...]) -> str | None:
    """The phase of the furthest artifact in the task's order that has one."""
    for artifact in reversed(artifacts):
        if artifact.phase:
            return artifact.phase
    return TICKET_PHASE if artifacts else None


def _humanize(name: str) -> str:
    return re.sub(r"[-_]+", " ", name).strip() or name


def _describe(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "symlink loop; skipped"
    if isinstance(exc, PermissionError):
        return "permission denied; skipped"
    if isinstance(exc, FileNotFoundError):
        return "broken link or removed while scanning; skipped"
    return f"cannot read ({exc.strerror or exc}); skipped"

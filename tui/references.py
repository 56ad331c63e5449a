"""`@task/artifact` references in chat messages: find them, resolve them, send their content.

A user writes `see @retry-backoff/design` in a message. The stored message keeps exactly what
was typed; the artifact's content is attached when a request to the model is built
(`expand_for_model`). References are therefore live: every request sends the artifact as it
is on disk now, which is what one wants when discussing a design doc an agent keeps editing,
and the store stays small. A reference that no longer resolves is sent as a short note, and
the chat tells the user.

Resolution, per path part, under `Workspace.tasks_dir`: an exact name (with or without `.md`),
then the name without its number prefix (`design-discussion` for `03-design-discussion.md`),
then a unique prefix of either. `@retry-backoff/03`, `@retry-backoff/design` and
`@retry-backoff/03-design-discussion.md` all name the same file.

Plain Python: no textual, safe to call from a worker thread.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from tui.errors import LoupeError
from tui.tasks.discovery import NUMBER_PREFIX
from tui.tasks.model import Task

# `@` at the start or after whitespace/punctuation, then `task/artifact` (no e-mail addresses).
REFERENCE = re.compile(r"(?<![\w@.])@([A-Za-z0-9][\w.-]*/[\w./-]*[\w-])")
# Larger artifacts are cut; a 200 KB design doc is already ~50k tokens.
MAX_REFERENCE_CHARS = 200_000


class ReferenceError(LoupeError):
    """An @reference names no artifact, or more than one."""


@dataclass(frozen=True)
class Resolved:
    reference: str
    path: Path
    content: str
    truncated: bool


def find_references(text: str) -> list[str]:
    """The distinct `task/artifact` references in `text`, in order of appearance."""
    seen: list[str] = []
    for match in REFERENCE.finditer(text):
        if match.group(1) not in seen:
            seen.append(match.group(1))
    return seen


def _plain(name: str) -> str:
    return NUMBER_PREFIX.sub("", _without_md(name)).lower()


def _pick(folder: Path, wanted: str, *, dirs: bool) -> Path:
    try:
        entries = [p for p in folder.iterdir() if (p.is_dir() if dirs else p.is_file())]
    except OSError as exc:
        raise ReferenceError(f"cannot list {folder}: {exc.strerror or exc}") from exc
    if not dirs:
        entries = [p for p in entries if p.suffix.lower() == ".md"]
    key = wanted.lower()
    key_stem = key[:-3] if key.endswith(".md") else key
    rules = (
        lambda p: p.name.lower() == key or p.name.lower() == f"{key}.md",
        lambda p: _plain(p.name) == _plain(key_stem),
        lambda p: p.name.lower().startswith(key_stem) or _plain(p.name).startswith(key_stem),
    )
    for rule in rules:
        found = sorted(p for p in entries if rule(p))
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            names = ", ".join(p.name for p in found[:5])
            raise ReferenceError(f"'{wanted}' in {folder.name}/ matches several: {names}; be more precise")
    kind = "task" if dirs else "artifact"
    raise ReferenceError(f"no {kind} named '{wanted}' in {folder}")


def resolve(tasks_dir: Path, reference: str) -> Path:
    """The artifact file a `task/artifact` reference names. Raises `ReferenceError`."""
    task, _, artifact = reference.partition("/")
    if not task or not artifact:
        raise ReferenceError(f"@{reference}: write @task/artifact")
    if not tasks_dir.is_dir():
        raise ReferenceError(f"@{reference}: the tasks folder {tasks_dir} does not exist")
    folder = _pick(tasks_dir, task, dirs=True)
    parts = artifact.split("/")
    for part in parts[:-1]:
        folder = _pick(folder, part, dirs=True)
    return _pick(folder, parts[-1], dirs=False)


def read_reference(tasks_dir: Path, reference: str) -> Resolved:
    path = resolve(tasks_dir, reference)
    try:
        content = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise ReferenceError(f"@{reference}: cannot read {path}: {exc.strerror or exc}") from exc
    truncated = len(content) > MAX_REFERENCE_CHARS
    return Resolved(reference, path, content[:MAX_REFERENCE_CHARS], truncated)


def candidates(tasks: Iterable[Task], limit: int = 500) -> list[str]:
    """Completions for `@`: `task/artifact` (number kept, `.md` dropped), in the order given.

    `tasks` come from a `tui.tasks.TaskScanner` scan (newest first, like the task list), so
    completion lists exactly what the task list shows, subfolders and link loops included."""
    found: list[str] = []
    for task in tasks:
        found.extend(f"{task.slug}/{_without_md(artifact.name)}" for artifact in task.artifacts)
        if len(found) >= limit:
            break
    return found[:limit]


def _without_md(name: str) -> str:
    return name[:-3] if name.lower().endswith(".md") else name


def _fence(content: str) -> str:
    longest = max((len(run) for run in re.findall(r"`{3,}", content)), default=0)
    return "`" * max(3, longest + 1)


def attachment(resolved: Resolved, tasks_dir: Path) -> str:
    """How an artifact is shown to the model, after the user's text."""
    try:
        shown = resolved.path.relative_to(tasks_dir)
    except ValueError:
        shown = resolved.path
    fence = _fence(resolved.content)
    note = " (cut: the artifact is longer than loupe sends)" if resolved.truncated else ""
    return (
        f"Attached artifact @{resolved.reference} ({shown}){note}:\n"
        f"{fence}markdown\n{resolved.content.rstrip()}\n{fence}"
    )


@dataclass(frozen=True)
class Expansion:
    text: str
    attached: list[Resolved]
    problems: list[str]


def expand_for_model(text: str, tasks_dir: Path) -> Expansion:
    """`text` with the current content of each referenced artifact appended."""
    attached: list[Resolved] = []
    problems: list[str] = []
    blocks: list[str] = []
    for reference in find_references(text):
        try:
            resolved = read_reference(tasks_dir, reference)
        except ReferenceError as exc:
            problems.append(str(exc))
            blocks.append(f"(@{reference} could not be attached: {exc})")
            continue
        attached.append(resolved)
        blocks.append(attachment(resolved, tasks_dir))
    if not blocks:
        return Expansion(text, [], [])
    return Expansion(text.rstrip() + "\n\n" + "\n\n".join(blocks), attached, problems)

"""Creating a task: a new folder under the tasks folder with the user's ticket in `ticket.md`."""

from __future__ import annotations

import os
import re
import unicodedata
from pathlib import Path

from tui.errors import LoupeError

MAX_SLUG = 48


class TaskCreateError(LoupeError):
    """The task could not be created; the message says why and what to do."""


def slugify(title: str) -> str:
    """A folder name from a title: lowercase ASCII words joined by dashes."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    if len(slug) > MAX_SLUG:
        slug = slug[:MAX_SLUG].rsplit("-", 1)[0] or slug[:MAX_SLUG]
    return slug or "task"


def ticket_markdown(title: str, text: str) -> str:
    body = text.strip()
    return f"# {title.strip()}\n\n{body}\n" if body else f"# {title.strip()}\n"


def create_task(tasks_dir: Path, title: str, text: str = "") -> Path:
    """Create `<tasks_dir>/<slug>/ticket.md` and return the task folder.

    The slug gets `-2`, `-3`... when taken. The folder is created with `mkdir` without
    `exist_ok`, so two loupes creating the same title at once still get two folders.
    """
    if not title.strip():
        raise TaskCreateError("a task needs a title")
    if "\n" in title.strip():
        raise TaskCreateError("the title must be one line; put details in the ticket text")
    if tasks_dir.exists() and not tasks_dir.is_dir():
        raise TaskCreateError(f"{tasks_dir} is a file, not a folder; fix general.tasks_dir in the config")
    try:
        tasks_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TaskCreateError(f"cannot create the tasks folder {tasks_dir}: {exc.strerror or exc}") from exc
    base = slugify(title)
    for attempt in range(1, 1000):
        folder = tasks_dir / (base if attempt == 1 else f"{base}-{attempt}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        except OSError as exc:
            raise TaskCreateError(f"cannot create {folder}: {exc.strerror or exc}") from exc
        break
    else:
        raise TaskCreateError(f"too many tasks named '{base}'; choose another title")
    ticket = folder / "ticket.md"
    temporary = folder / ".ticket.md.tmp"
    try:
        temporary.write_text(ticket_markdown(title, text), encoding="utf-8")
        # Watchers see one complete file appear, never a half-written one.
        os.replace(temporary, ticket)
    except OSError as exc:
        raise TaskCreateError(f"cannot write {ticket}: {exc.strerror or exc}") from exc
    return folder

"""Builds the demo repository: source tree, tasks with their artifacts, git history.

The repository is assembled in a temporary folder next to the target and renamed into place,
so an interrupted first run never leaves a half-built demo that later runs would reuse.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tui.demo import DEMO_VERSION, MARKER, DemoError
from tui.demo.plan import render_plan

HERE = Path(__file__).parent
TEMPLATE = HERE / "repo-template"
ARTIFACTS = HERE / "artifacts"
TASKS_DIR = Path(".loupe/tasks")
SOURCE_LINK = re.compile(r"\{\{src:([^:}]+):([^}]+)\}\}")

CONFIG = """\
# loupe settings for this repository. Every key is described in loupe's README.
[general]
tasks_dir = ".loupe/tasks"
"""

GITIGNORE = "__pycache__/\n*.db\n*.db-wal\n*.db-shm\n.venv/\n"

HOUR = 3600.0
DAY = 24 * HOUR


@dataclass(frozen=True)
class DemoFile:
    task: str
    name: str
    # How long before the demo was created this file was last written.
    age: float
    # Committed in this git commit (by message), or None to leave it uncommitted.
    commit: str | None


# The retry task is being worked on right now: its plan is still uncommitted.
FILES: tuple[DemoFile, ...] = (
    DemoFile("stats-command", "ticket.md", 3 * DAY + 2 * HOUR, "Add task: quarry stats for incident response"),
    DemoFile("stats-command", "01-research-questions.md", 3 * DAY, "Add task: quarry stats for incident response"),
    DemoFile("postgres-backend", "ticket.md", 26 * HOUR, "Postgres backend: ticket and research"),
    DemoFile("postgres-backend", "01-research-questions.md", 25 * HOUR, "Postgres backend: ticket and research"),
    DemoFile("postgres-backend", "02-research.md", 23 * HOUR, "Postgres backend: ticket and research"),
    DemoFile("retry-backoff", "ticket.md", 2 * DAY, "Retries: ticket"),
    DemoFile("retry-backoff", "01-research-questions.md", 5 * HOUR, "Retries: research and design"),
    DemoFile("retry-backoff", "02-research.md", 4 * HOUR, "Retries: research and design"),
    DemoFile("retry-backoff", "03-design-discussion.md", 3 * HOUR, "Retries: research and design"),
    DemoFile("retry-backoff", "04-outline.md", 50 * 60, "Retries: outline"),
    DemoFile("retry-backoff", "05-plan.md", 12 * 60, None),
)
SOURCE_AGE = 10 * DAY


def build_demo(target: Path) -> Path:
    if shutil.which("git") is None:
        raise DemoError("the demo workspace is a git repository, and git is not installed")
    target.parent.mkdir(parents=True, exist_ok=True)
    now = time.time()
    staging = Path(tempfile.mkdtemp(prefix=".demo-building-", dir=target.parent))
    try:
        _write_tree(staging, now)
        _make_history(staging, now)
        (staging / MARKER).write_text(DEMO_VERSION + "\n", encoding="utf-8")
        try:
            staging.rename(target)
        except OSError:
            # Another loupe finished building it first; theirs is as good as ours.
            if not (target / MARKER).is_file():
                raise
    except subprocess.CalledProcessError as exc:
        raise DemoError(f"git failed while building the demo: {exc.stderr.strip() or exc}") from exc
    except OSError as exc:
        raise DemoError(f"cannot create the demo workspace in {target.parent}: {exc}") from exc
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


def resolve_links(text: str, root: Path) -> str:
    """Replace `{{src:path:anchor}}` with `path:LINE`, LINE being where `anchor` first occurs."""

    def replace(match: re.Match[str]) -> str:
        path, anchor = match.group(1), match.group(2)
        lines = (root / path).read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines, start=1):
            if anchor in line:
                return f"{path}:{number}"
        raise ValueError(f"demo link anchor {anchor!r} not found in {path}")

    return SOURCE_LINK.sub(replace, text)


def _write_tree(root: Path, now: float) -> None:
    shutil.copytree(TEMPLATE, root, dirs_exist_ok=True, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (root / ".gitignore").write_text(GITIGNORE, encoding="utf-8")
    (root / ".loupe").mkdir(exist_ok=True)
    (root / ".loupe/config.toml").write_text(CONFIG, encoding="utf-8")
    for path in root.rglob("*"):
        if path.is_file():
            os.utime(path, (now - SOURCE_AGE, now - SOURCE_AGE))
    for item in FILES:
        if item.name == "05-plan.md":
            text = render_plan()
        else:
            text = (ARTIFACTS / item.task / item.name).read_text(encoding="utf-8")
        destination = root / TASKS_DIR / item.task / item.name
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(resolve_links(text, root), encoding="utf-8")
        os.utime(destination, (now - item.age, now - item.age))
    for task_folder in (root / TASKS_DIR).iterdir():
        newest = max(f.stat().st_mtime for f in task_folder.iterdir())
        os.utime(task_folder, (newest, newest))


def _make_history(root: Path, now: float) -> None:
    _git(root, now - SOURCE_AGE, "init", "-q", "-b", "main")
    _git(root, now - SOURCE_AGE, "add", "--", ".gitignore", "README.md", "CHANGELOG.md", "pyproject.toml", "quarry", "tests", ".loupe/config.toml")
    _git(root, now - SOURCE_AGE, "commit", "-q", "-m", "quarry 0.4.2")
    commits: dict[str, list[DemoFile]] = {}
    for item in FILES:
        if item.commit is not None:
            commits.setdefault(item.commit, []).append(item)
    # Oldest first, so the history reads in the order the work happened.
    for message, items in sorted(commits.items(), key=lambda entry: -min(i.age for i in entry[1])):
        when = now - min(item.age for item in items)
        paths = [str(TASKS_DIR / item.task / item.name) for item in items]
        _git(root, when, "add", "--", *paths)
        _git(root, when, "commit", "-q", "-m", message)


def _git(root: Path, when: float, *args: str) -> None:
    stamp = f"@{int(when)} +0000"
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Sam Okafor",
        "GIT_AUTHOR_EMAIL": "sam@quarry.example",
        "GIT_COMMITTER_NAME": "Sam Okafor",
        "GIT_COMMITTER_EMAIL": "sam@quarry.example",
        "GIT_AUTHOR_DATE": stamp,
        "GIT_COMMITTER_DATE": stamp,
    }
    subprocess.run(
        ["git", "-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null", *args],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )

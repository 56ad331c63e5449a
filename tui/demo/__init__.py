"""The demo workspace behind `loupe --demo`: a small git repository with three tasks.

Building it renders a long plan and runs git, so the builder is imported only on first run;
a later run just finds the finished workspace.
"""

from __future__ import annotations

from pathlib import Path

from tui import locations
from tui.errors import LoupeError

# Bump when the demo's content changes in a way an existing demo should not keep.
DEMO_VERSION = "1"
MARKER = Path(".git") / "loupe-demo-version"


class DemoError(LoupeError):
    """The demo workspace cannot be created or used."""


def ensure_demo_workspace() -> Path:
    """The demo repository, created in `locations.demo_dir()` on first use."""
    target = locations.demo_dir()
    if (target / MARKER).is_file():
        return target
    if target.exists():
        raise DemoError(
            f"{target} exists but is not a loupe demo workspace; move it away (or set "
            "LOUPE_DATA_DIR to another folder) and run `loupe --demo` again"
        )
    from tui.demo.build import build_demo

    return build_demo(target)


def demo_thread_store() -> Path:
    """The demo workspace's own thread store (what `loupe --demo` shows; its scripted
    conversations stay out of the user's threads). `loupe thread --demo` opens it."""
    target = locations.demo_dir()
    if not (target / MARKER).is_file():
        raise DemoError("there is no demo workspace yet; `loupe --demo` creates it")
    # Where the app keeps it: the demo workspace's data folder (`Workspace.data_dir`).
    return locations.repo_data_dir(target) / "threads.sqlite"

"""Domain modules never import textual, so they work (and are tested) without a screen."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

TUI = Path(__file__).resolve().parent.parent / "tui"
UI_PARTS = {"app.py", "app_base.py", "channel.py", "commands.py", "messages.py", "screens", "views"}


def domain_modules() -> list[Path]:
    found = []
    for path in sorted(TUI.rglob("*.py")):
        relative = path.relative_to(TUI)
        if relative.parts[0] in UI_PARTS or relative.name.endswith("_ui.py"):
            continue
        found.append(path)
    return found


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_domain_modules_do_not_import_textual_or_widgets() -> None:
    modules = domain_modules()
    assert modules, "no domain modules found; is the layout broken?"
    offenders = {
        str(path.relative_to(TUI)): sorted(imported_roots(path) & {"textual", "widgets", "themes"})
        for path in modules
    }
    offenders = {name: roots for name, roots in offenders.items() if roots}
    assert offenders == {}


def test_widgets_do_no_io_of_their_own() -> None:
    widgets = Path(__file__).resolve().parent.parent / "widgets"
    forbidden = {"subprocess", "sqlite3", "openai", "pygit2", "watchfiles", "socket", "httpx", "httpx2"}
    offenders = {
        path.name: sorted(imported_roots(path) & forbidden)
        for path in widgets.rglob("*.py")
        if imported_roots(path) & forbidden
    }
    assert offenders == {}


# Imported only when a feature is used or after the first frame (bench/startup.py measures the
# time; this keeps the reasons for it from coming back unnoticed).
SLOW_TO_IMPORT = (
    "openai", "httpx", "pygit2", "watchfiles", "sqlite3", "markdown_it", "pygments",
    "textual.widgets._text_area", "textual.widgets._markdown",
    "tui.threads.store", "tui.threads.cli", "tui.sessions.manager", "tui.sessions.cli",
    "tui.model.client", "tui.threads.replies", "tui.views.chat", "tui.views.artifact",
    "tui.agent.cli", "tui.guard.cli", "tui.docs.blocks",
)


def test_starting_the_app_imports_nothing_slow() -> None:
    script = (
        "import sys\n"
        "import tui.cli\n"
        "tui.cli.build_parser().parse_args(['--demo'])\n"
        "import tui.app, tui.workspace, tui.demo\n"
        f"print(' '.join(name for name in {SLOW_TO_IMPORT!r} if name in sys.modules))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert done.stdout.split() == [], f"imported at startup: {done.stdout.strip()}"


def test_help_still_lists_every_subcommand() -> None:
    done = subprocess.run([sys.executable, "-m", "tui", "--help"], capture_output=True, text=True, check=True)
    from tui.cli import SUBCOMMANDS

    for name in SUBCOMMANDS:
        assert f"  {name} " in done.stdout


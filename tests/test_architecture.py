"""Domain modules never import textual, so they work (and are tested) without a screen."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

TUI = Path(__file__).resolve().parent.parent / "tui"
UI_PARTS = {"app.py", "commands.py", "dialogs", "messages.py", "screens", "views"}


def domain_modules() -> list[Path]:
    found = []
    for path in sorted(TUI.rglob("*.py")):
        relative = path.relative_to(TUI)
        if relative.parts[0] in UI_PARTS or relative.name.endswith("_ui.py"):
            continue
        found.append(path)
    return found


def imported_roots(path: Path) -> set[str]:
    return {name.split(".")[0] for name in imported_modules(path)}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_domain_modules_do_not_import_textual_or_widgets() -> None:
    modules = domain_modules()
    assert modules, "no domain modules found; is the layout broken?"
    offenders = {
        str(path.relative_to(TUI)): sorted(imported_roots(path) & {"textual", "widgets", "themes"})
        for path in modules
    }
    offenders = {name: roots for name, roots in offenders.items() if roots}
    assert offenders == {}


def test_the_model_client_does_not_import_the_thread_store() -> None:
    # The store streams replies from the client (tui.threads.reply); the client knows nothing
    # of threads, so either can change without the other turning into an import cycle.
    offenders = {
        str(path.relative_to(TUI)): sorted(
            name for name in imported_modules(path) if name == "tui.threads" or name.startswith("tui.threads.")
        )
        for path in sorted((TUI / "model").rglob("*.py"))
    }
    assert {name: found for name, found in offenders.items() if found} == {}


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
    "tui.model.client", "tui.views.replies", "tui.views.chat", "tui.views.artifact",
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


def _imports_of(path: Path, module: str) -> set[str]:
    """Modules of `tui` that `path` imports, TYPE_CHECKING imports included (a cycle that
    only type checkers see still ties the modules together)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module.rsplit(".", 1)[0] if path.name != "__init__.py" else module
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*parts, base] if base else parts)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def import_cycles(package: str) -> list[list[str]]:
    """Strongly connected groups of more than one module inside `package` (Tarjan)."""
    root = TUI.parent / package.replace(".", "/")
    modules: dict[str, Path] = {}
    for path in root.rglob("*.py"):
        name = ".".join(path.relative_to(TUI.parent).with_suffix("").parts)
        modules[name.removesuffix(".__init__")] = path
    # `from tui.threads import x` names the package, which a module inside it has already
    # loaded: that is not an edge.
    graph = {
        name: {
            target for target in _imports_of(path, name)
            if target in modules and target != name and not name.startswith(target + ".")
        }
        for name, path in modules.items()
    }
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for name in sorted(graph):
        if name not in index:
            visit(name)
    return groups


def test_the_thread_modules_import_each_other_without_cycles() -> None:
    assert import_cycles("tui.threads") == []

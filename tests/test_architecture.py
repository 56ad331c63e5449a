"""The layers hold: domain modules never import textual (so they work, and are tested, without
a screen), widgets reach no service, views reach the app one typed way, and no module cycle
is added."""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

TUI = Path(__file__).resolve().parent.parent / "tui"
UI_PARTS = {"app.py", "app_base.py", "channel.py", "commands.py", "dialogs", "messages.py", "screens", "views"}


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


# Imported only once `loupe DOC.md` has shown the document: the review model and its store
# (its comments are placed just after), the other views, the services, the diff view,
# syntax highlighting, file watching. bench/startup.py measures the time.
NOT_BEFORE_THE_DOCUMENT = (
    "openai", "httpx", "pygit2", "sqlite3", "pygments", "watchfiles", "webbrowser",
    "textual.highlight", "textual.widgets._text_area",
    "tui.services.review", "tui.services.threads", "tui.services.sessions", "tui.services.phases",
    "tui.review.model", "tui.review.store", "tui.review.tracking", "tui.threads.store",
    "tui.sessions.manager", "tui.tasks.discovery", "tui.guard.follow", "tui.diffs",
    "tui.views.tasks", "tui.views.threads", "tui.views.sessions", "tui.views.guard",
    "tui.views.review_marks", "tui.dialogs.comment", "tui.dialogs.submit_round",
    "widgets.diff_view", "widgets.session_tile",
)

# The app as `loupe DOC.md` starts it; `started` is its hook for "the first screen is shown".
FIRST_SCREEN_OF_A_DOCUMENT = """
import asyncio
import sys
from pathlib import Path

import tui.app
from tests.helpers import wait_until
from tui.workspace import open_workspace
from widgets.artifact_view import ArtifactView

# The document's first load, not the fallback timer, says when the first screen is shown.
tui.app.STARTUP_FALLBACK_SECONDS = 600
seen: list[tuple[bool, list[str]]] = []


class App(tui.app.LoupeApp):
    def started(self) -> None:
        views = self.screen.query(ArtifactView)
        seen.append((bool(views) and views.first().doc is not None, sorted(sys.modules)))
        super().started()


async def main() -> None:
    app = App(open_workspace(Path(sys.argv[1])), remember_theme=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: seen, "the first screen", timeout=60)
    shown, modules = seen[0]
    print("shown" if shown else "not shown")
    print(" ".join(modules))


asyncio.run(main())
"""


def test_a_document_opened_at_start_is_shown_before_anything_slow_is_imported(tmp_path: Path) -> None:
    doc = tmp_path / "plan.md"
    doc.write_text("# Plan\n\nSome *text* with `code`, **bold** and a [link](#plan).\n\n- [ ] a task\n")
    done = subprocess.run([sys.executable, "-c", FIRST_SCREEN_OF_A_DOCUMENT, str(doc)], capture_output=True,
                          text=True, check=True, cwd=TUI.parent, timeout=120)
    shown, modules = done.stdout.splitlines()[-2:]
    assert shown == "shown"
    imported = set(modules.split())
    assert "markdown_it" in imported  # what the document needs is there: the check looks
    assert sorted(imported & set(NOT_BEFORE_THE_DOCUMENT)) == []


def test_help_still_lists_every_subcommand() -> None:
    done = subprocess.run([sys.executable, "-m", "tui", "--help"], capture_output=True, text=True, check=True)
    from tui.cli import SUBCOMMANDS

    for name in SUBCOMMANDS:
        assert f"  {name} " in done.stdout


# -- the border between the domain and the screen ----------------------------------------------

REPO = TUI.parent


def module_files() -> dict[str, Path]:
    """Every module of tui/ and widgets/ by dotted name (packages by their own name)."""
    found = {}
    for package in ("tui", "widgets"):
        for path in sorted((REPO / package).rglob("*.py")):
            if "repo-template" in path.parts:
                continue
            parts = list(path.relative_to(REPO).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imported_names(path: Path) -> set[str]:
    """Every name imported anywhere in the module: inside functions and under TYPE_CHECKING
    too (a lazy import is still a dependency), relative imports resolved."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = ".".join(path.relative_to(REPO).with_suffix("").parts[:-1])
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*parent, base] if base else parent)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def resolve(name: str, modules: dict[str, Path]) -> str | None:
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def loaded_with(module: str, modules: dict[str, Path]) -> set[str]:
    """The packages Python runs to import `module`: each parent's __init__ too."""
    parts = module.split(".")
    return {".".join(parts[:n]) for n in range(1, len(parts) + 1)} & set(modules)


def import_graph() -> dict[str, set[str]]:
    modules = module_files()
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for imported in imported_names(path):
            target = resolve(imported, modules)
            if target is not None and target != name and not name.startswith(target + "."):
                targets.add(target)
        graph[name] = targets
    return graph


# Imports that do I/O or start things: a module that reaches one of them (however
# indirectly) is a service, not something a widget may lean on.
DOES_IO = {"subprocess", "sqlite3", "openai", "pygit2", "watchfiles", "socket", "httpx", "httpx2", "asyncio"}
# The app's own wiring between services and screen.
APP_WIRING = ("tui.services", "tui.channel", "tui.app_base", "tui.events", "tui.app")


def test_widgets_import_no_service() -> None:
    """Widgets receive data and post messages; they never reach a service.

    The rule: a widget may import from tui/ only pure modules (data models and computations:
    text layout, markdown blocks, diffs, the task model...), that is modules that, with
    everything they import in turn (lazily or not, their packages' __init__ included), reach
    no library that does I/O or runs concurrently (DOES_IO) and none of the app's wiring
    (APP_WIRING). So a store, a manager, a watcher, the channel or the services are out, and
    so is a "model" module whose package pulls in a store.
    """
    modules = module_files()
    graph = import_graph()
    external = {
        name: {imported.split(".")[0] for imported in imported_names(path) if resolve(imported, modules) is None}
        for name, path in modules.items()
    }

    def reach(start: str) -> tuple[set[str], set[str]]:
        seen: set[str] = set()
        stack = sorted(loaded_with(start, modules))
        while stack:
            name = stack.pop()
            if name not in seen:
                seen.add(name)
                for target in graph[name]:
                    stack.extend(loaded_with(target, modules))
        return seen, set().union(*(external[name] for name in seen))

    offenders: dict[str, list[str]] = {}
    for widget in (name for name in modules if name.startswith("widgets")):
        for used in sorted(target for target in graph[widget] if target.startswith("tui")):
            seen, libraries = reach(used)
            wiring = {name for name in seen if any(name == w or name.startswith(w + ".") for w in APP_WIRING)}
            bad = sorted((libraries & DOES_IO) | wiring)
            if bad:
                offenders.setdefault(widget, []).append(f"{used} (reaches {', '.join(bad)})")
    assert offenders == {}


UNTYPED_REACH = re.compile(r"\bapp\.[A-Za-z_]\w*.*#\s*type:\s*ignore")


def test_views_reach_the_app_one_typed_way() -> None:
    """Views and screens reach the app as `app = getters.app(AppBase)` and its typed names
    (`self.app.services`, `self.app.channel`): never `getattr(self.app, ...)` (or of any
    `...app`), never `setattr` on it, and never an app attribute silenced with `type: ignore`."""
    offenders = []
    for folder in ("views", "screens"):
        for path in sorted((TUI / folder).rglob("*.py")):
            source = path.read_text()
            for node in ast.walk(ast.parse(source)):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id in ("getattr", "setattr", "hasattr")
                    and node.args
                    and ast.unparse(node.args[0]).split(".")[-1] == "app"
                ):
                    offenders.append(f"{path.relative_to(TUI)}:{node.lineno}: {ast.unparse(node)}")
            for number, line in enumerate(source.splitlines(), start=1):
                if UNTYPED_REACH.search(line):
                    offenders.append(f"{path.relative_to(TUI)}:{number}: {line.strip()}")
    assert offenders == []


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(component)
    return found


# Cycles that predate this test, each being taken apart in its own branch of issue 10. A
# cycle not inside one of these fails; delete an entry once its cycle is gone.
KNOWN_CYCLES = [
]


def test_no_new_import_cycle() -> None:
    """Modules import each other one way (lazy and TYPE_CHECKING imports count: a cycle there
    is still two modules that cannot be understood apart)."""
    new = [sorted(c) for c in cycles(import_graph()) if not any(c <= known for known in KNOWN_CYCLES)]
    assert new == []


def import_cycles(package: str) -> list[list[str]]:
    """The cycles among the modules of `package` alone."""

    def inside(name: str) -> bool:
        return name == package or name.startswith(package + ".")

    graph = {name: {t for t in targets if inside(t)} for name, targets in import_graph().items() if inside(name)}
    return sorted(sorted(c) for c in cycles(graph))


def test_the_thread_modules_import_each_other_without_cycles() -> None:
    assert import_cycles("tui.threads") == []


# -- composition, not mixins ---------------------------------------------------------------


def only_raises_not_implemented(function: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    body = function.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:]  # the docstring
    if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
        return False
    raised = body[0].exc.func if isinstance(body[0].exc, ast.Call) else body[0].exc
    return ast.unparse(raised) == "NotImplementedError"


def last_name(node: ast.expr) -> str:
    """`Protocol` of `typing.Protocol`, `Protocol[T]` or `abc.abstractmethod`'s `abstractmethod`."""
    return ast.unparse(node).split("[")[0].rpartition(".")[2]


def test_no_method_is_a_stub_another_class_fills_in() -> None:
    """A method whose body is only `raise NotImplementedError` is how a mixin names what the
    class it is mixed into must provide: the class then reads only across several files.
    Helpers the class owns name what they need in a `typing.Protocol` instead (see
    tui/views/session_grid.py). Abstract methods (`abc.abstractmethod`) are left alone."""
    offenders = []
    for name, path in module_files().items():
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if not isinstance(node, ast.ClassDef) or any(last_name(base) == "Protocol" for base in node.bases):
                continue
            for item in node.body:
                if (
                    isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef)
                    and only_raises_not_implemented(item)
                    and not any(last_name(d) == "abstractmethod" for d in item.decorator_list)
                ):
                    offenders.append(f"{name}.{node.name}.{item.name}")
    assert offenders == []


UI_PACKAGES = ("tui/views", "tui/screens", "tui/dialogs", "widgets")


def test_no_widget_is_made_of_widget_mixins() -> None:
    """A widget class has one widget base: what else it does lives in helper objects it owns,
    not in more `Widget` subclasses mixed in (whose stubs and attribute declarations join
    the files into one class)."""
    import importlib
    import inspect

    from textual.widget import Widget

    offenders = []
    for name, path in module_files().items():
        if not any(path.is_relative_to(REPO / package) for package in UI_PACKAGES):
            continue
        module = importlib.import_module(name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            widget_bases = [base.__name__ for base in cls.__bases__ if issubclass(base, Widget)]
            if cls.__module__ == name and len(widget_bases) > 1:
                offenders.append(f"{name}.{cls.__name__}({', '.join(widget_bases)})")
    assert offenders == []

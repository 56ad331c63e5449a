"""Only the local host assumes that sessions run on this machine.

Everything else reaches a session through its host (`tui.sessions.host`), so a host on
another machine cannot be bypassed: no tmux run here, no /proc read here, no session file
built from this machine's data folder, no git run on a worktree path, outside the local host
and the modules it uses.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SESSIONS = "tui.sessions"

# The local host and what it uses.
LOCAL_HOST = {
    "tui/sessions/local_host.py", "tui/sessions/local_launch.py", "tui/sessions/local_files.py",
    "tui/sessions/tmux.py", "tui/sessions/procs.py", "tui/sessions/environment.py",
    "tui/sessions/worktrees.py", "tui/sessions/diff.py", "tui/sessions/land.py",
    "tui/sessions/land_journal.py", "tui/sessions/leftovers.py", "tui/sessions/gitrun.py",
    "tui/sessions/output_log.py",
    # `loupe hook` runs beside its agent, wherever that is, and writes that machine's status file.
    "tui/sessions/hook_cli.py",
    # `loupe host-op` is the local host of the machine a session runs on, for loupe elsewhere.
    "tui/sessions/host_op_cli.py",
    # What host-op writes down there while it makes a session's worktree (a start killed then).
    "tui/sessions/reservations.py",
    # `loupe redact` runs beside its pane (tmux starts it), and writes that machine's output log.
    "tui/redact_cli.py",
}

# Modules whose every name assumes this machine.
PLACE_BOUND_MODULES = {"procs", "local_files", "local_launch", "land_journal", "gitrun", "output_log"}
# Modules with some names that assume this machine; the others are plain data anyone may use.
PLAIN_NAMES = {
    "tmux": {"PaneInfo", "PANE_FORMAT", "parse_panes"},
    # What a host's `agent_environment` returns, wherever it builds it.
    "environment": {"Preparation"},
    "worktrees": {"Base", "NewWorktree", "Risk", "main_repo_root", "GENERATED_FILES"},
    "leftovers": {"GENERATED_FILES"},
    "diff": {"DiffStat", "SessionDiff", "MAX_LINES"},
    "land": {"LandPlan", "LandResult", "MODES"},
    # An agent reports through the file its environment names, wherever it runs.
    "status_file": {"State", "Status", "REPORTED_STATES", "ENV_VAR", "write_from_env", "parse_status"},
}

# Known exceptions, each with the change that ends it.
WAIVED = {
    # The built-in agent ends its own commands' processes, on whichever machine it runs.
    ("tui/agent/reaper.py", "'/proc'"),
    # ... and reaches files through its own descriptors (/proc/self/fd), wherever it runs.
    ("tui/agent/fs_tools.py", "'/proc'"),
    ("tui/agent/tools.py", "'/proc'"),
    # The store narrows the session folders an older loupe left readable when it opens, as
    # tests/test_private_files.py expects of a bare SessionStore(); that is the local host's
    # to do, and moves to LocalHost once the store is opened only with the hosts.
    ("tui/sessions/store.py", "local_files.sessions_dir"),
    # Review diffs the worktree of a session on this machine against a recorded turn of the
    # built-in agent (`diff_look.look` asks only for local sessions; file reads go through
    # the session's host); a `diff_since` host operation would end it.
    ("tui/review/turns.py", "worktrees.open_repo"),
}


def _modules() -> list[Path]:
    return sorted([*(ROOT / "tui").rglob("*.py"), *(ROOT / "widgets").rglob("*.py")])


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node except those under `if TYPE_CHECKING:` (never run)."""
    found: list[ast.AST] = []
    pending = [tree]
    while pending:
        node = pending.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            pending.extend(node.orelse)
            continue
        found.append(node)
        pending.extend(ast.iter_child_nodes(node))
    return found


def _place_bound(module: str, name: str | None) -> bool:
    """Whether `name` of `tui.sessions.<module>` (None: the module itself) assumes this machine."""
    if module in PLACE_BOUND_MODULES:
        return True
    if module not in PLAIN_NAMES:
        return False
    return name is not None and name not in PLAIN_NAMES[module]


def place_bound_uses(path: Path) -> set[str]:
    """What `path` uses that assumes sessions run here, as "module.name" (or "manager.tmux()")."""
    tree = ast.parse(path.read_text(), filename=str(path))
    nodes = _runtime_nodes(tree)
    found: set[str] = set()
    aliases: dict[str, str] = {}
    for node in nodes:
        if isinstance(node, ast.ImportFrom) and node.module == SESSIONS:
            for alias in node.names:
                aliases[alias.asname or alias.name] = alias.name
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(SESSIONS + "."):
            module = node.module.split(".")[2]
            for alias in node.names:
                if _place_bound(module, alias.name) or alias.name in ("sessions_dir", "session_files"):
                    found.add(f"{module}.{alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith(SESSIONS + "."):
                    aliases[alias.asname or alias.name] = alias.name.split(".")[2]
    for node in nodes:
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases:
            module = aliases[node.value.id]
            if _place_bound(module, node.attr):
                found.add(f"{module}.{node.attr}")
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "tmux"
              and "manager" in ast.unparse(node.func.value)):
            found.add("manager.tmux()")
        elif isinstance(node, ast.Constant) and isinstance(node.value, str) and "/proc" in node.value:
            found.add("'/proc'")
    return found


def test_only_the_local_host_assumes_sessions_run_here() -> None:
    offenders = {}
    for path in _modules():
        relative = path.relative_to(ROOT).as_posix()
        if relative in LOCAL_HOST:
            continue
        uses = {use for use in place_bound_uses(path) if (relative, use) not in WAIVED}
        if uses:
            offenders[relative] = sorted(uses)
    assert offenders == {}, (
        "these modules assume sessions run on this machine; go through the session's host "
        "(SessionManager.host_of(session)) instead"
    )


def test_a_session_records_no_path_of_this_machine(tmp_path: Path) -> None:
    from tui.sessions.model import Session

    session = Session(id="abc123", repo=tmp_path, number=0, agent="shell", status_source="screen",
                      task="t", branch="b", worktree=tmp_path / "w", worktree_name="w", base_commit="",
                      base_branch="", tmux_socket="s", port_base=0)
    derived = {name: getattr(session, name) for name, value in vars(Session).items()
               if isinstance(value, property)}
    assert derived, "Session has no derived values left; is this check still looking?"
    assert {name for name, value in derived.items() if isinstance(value, Path)} == set()


def test_the_check_sees_each_kind_of_bypass(tmp_path: Path) -> None:
    bypass = tmp_path / "bypass.py"
    bypass.write_text(
        "from typing import TYPE_CHECKING\n"
        "from tui.sessions import worktrees\n"
        "from tui.sessions.tmux import PaneInfo, Tmux\n"
        "from tui.sessions.procs import session_members\n"
        "from tui.sessions.model import sessions_dir\n"
        "import tui.sessions.diff as d\n"
        "from tui.sessions.status_file import State, read_status\n"
        "if TYPE_CHECKING:\n"
        "    from tui.sessions.local_files import SessionFiles\n"
        "def f(manager, session):\n"
        "    worktrees.delete_worktree(session)\n"
        "    worktrees.Risk('live', '')\n"
        "    d.session_diff(session)\n"
        "    manager.tmux('x').list_panes()\n"
        "    return '/proc/1/stat', PaneInfo\n"
    )
    assert place_bound_uses(bypass) == {
        "tmux.Tmux", "procs.session_members", "model.sessions_dir", "worktrees.delete_worktree",
        "diff.session_diff", "manager.tmux()", "'/proc'", "status_file.read_status",
    }


def test_waivers_are_still_needed() -> None:
    for relative, use in WAIVED:
        assert use in place_bound_uses(ROOT / relative), f"{relative} no longer uses {use}; drop its waiver"

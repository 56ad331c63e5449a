"""Write the git guard into a folder: `install(dest)` returns the folder to put first on PATH.

Layout of one install, `dest/guard-<digest>/`:

- `bin/git`: the POSIX sh shim (the folder returned);
- `exec/`: git's exec-path mirrored with symlinks, except that its `git` is the shim. The shim
  exports it as GIT_EXEC_PATH, and git puts that folder first on PATH for everything it starts
  (aliases, hooks, `rebase --exec`, `submodule foreach`, `bisect run`), so nested git calls
  go through the guard too instead of straight to git's own copy;
- `hooks/`: the pre-push check plus forwarders for every other hook; `hooks-dry-run/`:
  forwarders only, for `push --dry-run`;
- `lib/`: the guard's Python (a copy, so a running session never sees a half-upgraded loupe);
- `startup/`: the files a session's shells read as BASH_ENV and ENV, which put `bin/` back
  first on PATH after a login profile reset it (see `login_shells`).

The folder name is a digest of everything written, so installing is idempotent, two sessions
installing at once cannot trip over each other (each builds in a temporary folder and renames
it into place), and an upgrade never rewrites files under an agent that is running them.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tui.errors import LoupeError
from tui.guard.findgit import find_real_git
from tui.guard.login_shells import STARTUP_VARIABLES
from tui.guard.settings import MARKER
from tui.guard.wrapper import ROUTED_BUILTINS

PACKAGE = Path(__file__).resolve().parent
# Modules copied into lib/loupe_guard; they import only the standard library and each other.
RUNTIME_MODULES = (
    "__init__.py", "credentials.py", "gitargs.py", "prepush.py", "refusal.py", "settings.py", "spawn.py",
    "wrapper.py",
)
# Every hook git 2.39 runs from the hooks folder (githooks(5)), except the pre-push check.
HOOK_NAMES = (
    "applypatch-msg", "pre-applypatch", "post-applypatch", "pre-commit", "pre-merge-commit",
    "prepare-commit-msg", "commit-msg", "post-commit", "pre-rebase", "post-checkout",
    "post-merge", "pre-receive", "update", "proc-receive", "post-receive", "post-update",
    "reference-transaction", "push-to-checkout", "pre-auto-gc", "post-rewrite",
    "sendemail-validate", "p4-changelist", "p4-prepare-changelist", "p4-post-changelist",
    "p4-pre-submit", "post-index-change",
)
# Not built in, but cannot touch a remote and run often (git-lfs runs inside every push).
EXTRA_FAST = ("lfs", "remote-*", "credential-*")
# In exec/ these are not git's own programs: `git` is the shim, and the dashed forms of the
# builtins the guard checks run the shim too, so a nested script calling `git-push` by name
# is checked like `git push`. (git runs builtins in-process, never through these files.)
DASHED_ROUTED = tuple(f"git-{name}" for name in sorted(ROUTED_BUILTINS))
UNMIRRORED = ("git", *DASHED_ROUTED)
# Shells tried for the shim's #! line, fastest first.
SHELLS = ("/bin/dash", "/usr/bin/dash")


class GuardInstallError(LoupeError):
    """The guard could not be written."""


def install(dest: Path, *, audit_log: Path | None = None, path_env: str | None = None) -> Path:
    """Install the guard under `dest`; return the folder to put FIRST on an agent's PATH.

    `audit_log` defaults to `data_dir()/guard/audit.jsonl`, which the app watches.
    `path_env` is where to look for the real git (default: this process's PATH).
    """
    dest = Path(dest).absolute()
    real_git = find_real_git(path_env, exclude=[dest])
    exec_path = Path(_git_output(real_git, "--exec-path"))
    builtins = sorted(set(_git_output(real_git, "--list-cmds=builtins").split()))
    if audit_log is None:
        from tui.guard.audit import default_path

        audit_log = default_path()
    files = _files(
        real_git=real_git,
        builtins=builtins,
        audit_log=Path(audit_log).absolute(),
        exec_names=sorted(name for name in os.listdir(exec_path) if name not in UNMIRRORED),
    )
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + files[name].encode() + b"\0")
    digest.update(str(exec_path).encode())
    root = dest / f"guard-{digest.hexdigest()[:16]}"
    if (root / ".complete").exists():
        return root / "bin"
    try:
        dest.mkdir(parents=True, exist_ok=True)
        _remove_abandoned_builds(dest)
        building = Path(tempfile.mkdtemp(prefix=".building-", dir=dest))
        try:
            _write(building, root, files, exec_path)
            try:
                building.rename(root)
            except OSError:
                if not (root / ".complete").exists():
                    raise
        finally:
            shutil.rmtree(building, ignore_errors=True)
    except OSError as exc:
        raise GuardInstallError(f"cannot write the git guard into {dest}: {exc}") from exc
    return root / "bin"


def hooks_folder(guard_bin: Path) -> Path:
    """The hooks folder of the install whose `bin/` is `guard_bin`."""
    return guard_bin.parent / "hooks"


def _remove_abandoned_builds(dest: Path) -> None:
    """Temporary folders left by an install that crashed. Finished installs are never
    removed: a session started days ago may still have one first on its PATH."""
    cutoff = time.time() - 3600
    for folder in dest.glob(".building-*"):
        try:
            if folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder, ignore_errors=True)
        except OSError:
            continue


def _git_output(real_git: Path, *args: str) -> str:
    # A GIT_EXEC_PATH inherited from a guarded shell would point at another guard's exec/.
    env = {key: value for key, value in os.environ.items() if key != "GIT_EXEC_PATH"}
    try:
        result = subprocess.run(
            [str(real_git), *args], capture_output=True, text=True, env=env, check=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError) as exc:
        raise GuardInstallError(f"cannot run {real_git} {' '.join(args)}: {exc}") from exc
    return result.stdout.strip()


def _python() -> str:
    # The real interpreter, not a venv or pyenv shim: `-IS` needs no site, and a pyenv shim
    # costs ~100 ms per call.
    return os.path.realpath(sys.executable)


def _pygit2_dir() -> str:
    spec = importlib.util.find_spec("pygit2")
    if spec is None or not spec.origin:
        raise GuardInstallError("pygit2 is not installed; reinstall loupe (pip install loupe)")
    return str(Path(spec.origin).parent.parent)


def _files(*, real_git: Path, builtins: list[str], audit_log: Path, exec_names: list[str]) -> dict[str, str]:
    """Relative path -> text of every regular file of an install; @ROOT_SH@ and @ROOT_PY@
    stand for the install folder (quoted for sh and Python), which depends on this text."""
    fast = [name for name in builtins if name not in ROUTED_BUILTINS and _safe_name(name)] + list(EXTRA_FAST)
    values = {
        "@SH@": fast_sh(),
        "@REAL_GIT@": shlex.quote(str(real_git)),
        "@PYTHON@": shlex.quote(_python()),
        "@EXEC_DIR@": "@ROOT_SH@/exec",
        "@LIB_DIR@": "@ROOT_SH@/lib",
        "@FAST_COMMANDS@": "|".join(fast),
    }
    files: dict[str, str] = {}
    files["bin/git"] = _render("shim.sh", values)
    files["hooks/pre-push"] = _render("prepush.sh", values)
    forward = _render("forward.sh", values)
    for name in HOOK_NAMES:
        files[f"hooks/{name}"] = forward
        files[f"hooks-dry-run/{name}"] = forward
    files["hooks-dry-run/pre-push"] = forward
    for variable, saved in STARTUP_VARIABLES.items():
        files[f"startup/{variable.lower()}"] = _render("startup.sh", {"@BIN_DIR@": "@ROOT_SH@/bin", "@SAVED@": saved})
    files[f"hooks/.{MARKER}"] = files[f"hooks-dry-run/.{MARKER}"] = "the guard's own hooks\n"
    for module in RUNTIME_MODULES:
        files[f"lib/loupe_guard/{module}"] = (PACKAGE / module).read_text()
    files["lib/loupe_guard/installed.py"] = (
        "from .settings import Settings\n\n"
        f"SETTINGS = Settings(real_git={str(real_git)!r}, root=@ROOT_PY@, audit_log={str(audit_log)!r}, "
        f"builtins=frozenset({builtins!r}))\n"
    )
    entry = (
        "import sys\n\n"
        "sys.path.insert(0, @ROOT_PY@ + '/lib')\n"
        "{extra}"
        "from loupe_guard.installed import SETTINGS\n"
        "from loupe_guard.{module} import main\n\n"
        "sys.exit(main(sys.argv[1:], SETTINGS))\n"
    )
    files["lib/guard_git.py"] = entry.format(extra="", module="wrapper")
    files["lib/guard_prepush.py"] = entry.format(extra=f"sys.path.append({_pygit2_dir()!r})\n", module="prepush")
    for dashed in DASHED_ROUTED:
        files[f"exec/{dashed}"] = (
            f"#!{fast_sh()}\n# {MARKER}: `{dashed}` is `git {dashed[4:]}`, checked by the guard\n"
            f'exec @ROOT_SH@/bin/git {dashed[4:]} "$@"\n'
        )
    files["exec.list"] = "\n".join(exec_names) + "\n"
    return files


def fast_sh() -> str:
    """The POSIX sh the shim and hooks run under: dash when installed, else /bin/sh.

    Every local git command an agent runs pays for one start of this shell. dash starts in
    about half the time bash does, and /bin/sh is bash on Fedora, Arch and macOS.
    """
    for candidate in SHELLS:
        if os.access(candidate, os.X_OK):
            return candidate
    return "/bin/sh"


def _safe_name(name: str) -> bool:
    return bool(name) and all(char.isalnum() or char in "-_" for char in name)


def _render(template: str, values: dict[str, str]) -> str:
    text = (PACKAGE / "templates" / template).read_text()
    for key, value in values.items():
        text = text.replace(key, value)
    return text


def _write(building: Path, root: Path, files: dict[str, str], exec_path: Path) -> None:
    for relative, text in files.items():
        text = text.replace("@ROOT_SH@", shlex.quote(str(root))).replace("@ROOT_PY@", repr(str(root)))
        target = building / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)
        executable = relative.startswith(("bin/", "exec/", "hooks/", "hooks-dry-run/")) and "/." not in relative
        target.chmod(0o755 if executable else 0o644)
    exec_dir = building / "exec"
    exec_dir.mkdir(exist_ok=True)
    for name in files["exec.list"].split():
        os.symlink(exec_path / name, exec_dir / name)
    os.symlink(os.path.join("..", "bin", "git"), exec_dir / "git")
    (building / ".complete").write_text("")

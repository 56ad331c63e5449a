"""The guard's pre-push hook: checks every ref update git is about to send.

git hands the hook exactly the updates it will send, after config, aliases, abbreviations and
refspecs are resolved, and the server applies each one only if the remote ref still has the
old value the hook saw. So checking here has no race and no parsing to get wrong.

Blocked: deletions, moves of existing tags, and updates whose new commit does not descend
from the remote's commit (including when that commit is not in the local object store).
Allowed updates then go to the repository's own pre-push hook (git-lfs, the user's checks)
with the same arguments and input.

Standard library only, except pygit2, imported only when an existing branch moves.
"""

from __future__ import annotations

import os
import sys

from .refusal import COMMAND_ENV, RefProblem, decode_command, refuse, session_name
from .settings import MARKER, REPO_HOOKS_CWD_ENV, REPO_HOOKS_ENV, Settings
from .spawn import capture


class Update:
    __slots__ = ("local_ref", "local_oid", "remote_ref", "remote_oid")

    def __init__(self, local_ref: str, local_oid: str, remote_ref: str, remote_oid: str) -> None:
        self.local_ref = local_ref
        self.local_oid = local_oid
        self.remote_ref = remote_ref
        self.remote_oid = remote_oid


def parse_updates(data: bytes) -> list[Update]:
    updates = []
    for raw in data.decode(errors="surrogateescape").splitlines():
        parts = raw.split(" ")
        if len(parts) == 4:
            updates.append(Update(*parts))
    return updates


def _is_zero(oid: str) -> bool:
    return set(oid) == {"0"}  # 40 zeros for SHA-1, 64 for SHA-256


def find_problems(updates: list[Update], repo_path: str) -> list[RefProblem]:
    problems: list[RefProblem] = []
    repo: Ancestry | None = None
    for update in updates:
        old, new, ref = update.remote_oid, update.local_oid, update.remote_ref
        if old == new or _is_zero(old):
            continue  # unchanged, or a new remote ref
        if _is_zero(new):
            problems.append(RefProblem(ref, "delete", old, new))
        elif ref.startswith("refs/tags/"):
            problems.append(RefProblem(ref, "tag-move", old, new))
        else:
            repo = repo or Ancestry(repo_path)
            change = repo.problem(old, new)
            if change:
                problems.append(RefProblem(ref, change, old, new))
    return problems


class Ancestry:
    """Ancestry questions answered by pygit2 (libgit2's `descendant_of`).

    `import pygit2` costs ~100 ms, most of a push's budget, and nearly all of it is Python
    wrappers (enums, typing, ssl) this check never uses. So it loads only pygit2's C core,
    `pygit2._pygit2` (~15 ms), under an empty package; if that private layout ever changes,
    it falls back to the public package. `lite=False` forces the public package (tests).
    """

    def __init__(self, path: str, *, lite: bool = True) -> None:
        self._core = _load_core() if lite else None
        if self._core is not None:
            try:
                self._repo = self._core.Repository(self._core.init_file_backend(path, 0))
                self._lookup = self._repo.git_object_lookup_prefix
                self._commit_type = self._core.Commit
                return
            except (AttributeError, TypeError):
                self._core = None
        import pygit2

        self._repo = pygit2.Repository(path)
        self._lookup = self._repo.get
        self._commit_type = pygit2.Commit

    def problem(self, old: str, new: str) -> str | None:
        """None if `new` contains `old` (a fast-forward), else why not."""
        old_object = self._lookup(old)
        if old_object is None:
            return "unknown-remote-commit"
        try:
            old_commit = old_object.peel(self._commit_type)
            new_commit = self._lookup(new).peel(self._commit_type)
        except Exception:  # pygit2 raises several types for "not a commit"; refuse on any
            return "not-a-commit"
        if old_commit.id == new_commit.id or self._repo.descendant_of(new_commit.id, old_commit.id):
            return None
        return "non-fast-forward"


def _load_core() -> object | None:
    if "pygit2" in sys.modules:
        return getattr(sys.modules["pygit2"], "_pygit2", None) or sys.modules.get("pygit2._pygit2")
    folders = [os.path.join(entry, "pygit2") for entry in sys.path if entry]
    folder = next((path for path in folders if os.path.isfile(os.path.join(path, "__init__.py"))), None)
    if folder is None:
        return None
    import types

    package = types.ModuleType("pygit2")
    package.__path__ = [folder]
    sys.modules["pygit2"] = package
    try:
        from pygit2 import _pygit2  # type: ignore[attr-defined]
    except ImportError:
        return None
    finally:
        # Only the core stays loaded; a later `import pygit2` then gets the real package
        # (which reuses this core) instead of the empty one.
        del sys.modules["pygit2"]
    return _pygit2


def original_hooks_dir(settings: Settings) -> str | None:
    """The hooks folder git would use without the guard's `-c core.hooksPath`.

    The last core.hooksPath from any config source that is not a guard's own hooks folder
    (recognised by its marker file, so two nested guards never forward to each other), else
    the repository's `hooks` folder. Relative paths stay relative to the hook's working
    folder, as git means them.
    """
    code, out = capture([settings.real_git, "config", "--type=path", "--get-all", "core.hooksPath"])
    chosen = None
    if code == 0:
        for value in out.decode(errors="surrogateescape").splitlines():
            if value and not os.path.exists(os.path.join(value, f".{MARKER}")):
                chosen = value
    if chosen is not None:
        return chosen
    code, out = capture([settings.real_git, "rev-parse", "--git-common-dir"])
    if code != 0:
        return None
    return os.path.join(out.decode(errors="surrogateescape").strip(), "hooks")


def chain(settings: Settings, argv: list[str], data: bytes) -> int:
    """Run the repository's own pre-push with the same argv and stdin; return its status."""
    folder = original_hooks_dir(settings)
    if folder is None:
        return 0
    hook = os.path.join(folder, "pre-push")
    if not (os.path.isfile(hook) and os.access(hook, os.X_OK)):
        return 0
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # child: feed the ref list, which may exceed a pipe's buffer
        os.close(read_end)
        try:
            os.write(write_end, data)
        finally:
            os._exit(0)
    os.close(write_end)
    os.dup2(read_end, 0)
    os.close(read_end)
    os.execv(hook, [hook, *argv])
    return 1  # not reached


def main(argv: list[str], settings: Settings, data: bytes | None = None) -> int:
    if data is None:
        data = sys.stdin.buffer.read()
    repo_path = os.environ.get("GIT_DIR") or "."
    problems = find_problems(parse_updates(data), repo_path)
    if problems:
        remote = argv[0] if argv else None
        command = decode_command(os.environ.get(COMMAND_ENV, "")) or ["git", "push", *(argv[:1])]
        return refuse(
            settings.audit_log,
            command,
            "this push would rewrite or delete history on the remote.",
            problems,
            remote=remote,
            session=session_name(settings.real_git),
        )
    return chain(settings, argv, data)

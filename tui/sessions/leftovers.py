"""What a worktree holds besides its commits, and how all of it is saved as one git tree.

Deleting a worktree folder loses more than `git status` shows: ignored files (notes under an
ignored `build/`), and nested git repositories, whose history lives only in their own `.git`.
All of it counts as work, except ignored files matching a disposable pattern
(`[sessions] disposable`: dependencies and caches anyone can rebuild), loupe's own files,
and ignored files identical to the same file in the main checkout (the `.worktreeinclude`
copies loupe made).

Saving never touches a worktree's index, HEAD or branches: each repository is read through a
temporary index. A nested repository's commits are fetched into the main repository under
`<refs>/<commit>/`, its uncommitted files are committed on top of its HEAD there, and the saved
tree records it as a gitlink to that commit, which is then in the repository and reachable.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tui.sessions.errors import WorktreeError
from tui.sessions.gitrun import run_git

# Files loupe itself writes into a worktree; never counted as the agent's work.
GENERATED_FILES = (".claude/settings.local.json", ".opencode/plugin/loupe.js")
EMPTY_TREE = "4b825dc642cb6eb9a060e54bf8d69288fbee4904"
# Repositories inside repositories inside the worktree are followed this deep, no deeper.
MAX_NESTING = 8


@dataclass(frozen=True)
class Leftovers:
    untracked: tuple[str, ...]
    # Ignored files that count as work (see the module docstring).
    ignored: tuple[str, ...]
    # Folders that are git repositories of their own, without the trailing slash.
    nested: tuple[str, ...]


def find_leftovers(workdir: Path, disposable: Sequence[str], *, originals: Path | None = None) -> Leftovers:
    """Untracked and ignored files, and nested repositories, in the repository at `workdir`.

    `originals` is the main checkout: an ignored file identical to its namesake there is a
    copy, not work.
    """
    plain = _others(workdir, "--exclude-standard")
    # Without the standard excludes git lists ignored files too, but it never descends into
    # a folder a disposable pattern matches (a node_modules of 100,000 files costs nothing).
    everything = _others(workdir, *(f"--exclude={pattern}" for pattern in disposable))
    listed = set(plain)
    untracked = [p for p in plain if not p.endswith("/") and p not in GENERATED_FILES]
    ignored = [p for p in everything if not p.endswith("/") and p not in listed
               and p not in GENERATED_FILES
               and not (originals is not None and _same_file(workdir / p, originals / p))]
    nested = [p.rstrip("/") for p in everything if p.endswith("/")]
    return Leftovers(tuple(sorted(untracked)), tuple(sorted(ignored)), tuple(sorted(nested)))


def _others(workdir: Path, *options: str) -> list[str]:
    # git lists a nested repository as "path/" and does not look inside it.
    listed = run_git(workdir, "ls-files", "-z", "--others", *options).stdout
    return [p for p in listed.split("\0") if p]


def _same_file(one: Path, other: Path) -> bool:
    try:
        if one.is_symlink() or other.is_symlink():
            return one.is_symlink() and other.is_symlink() and os.readlink(one) == os.readlink(other)
        if not (one.is_file() and other.is_file()) or one.stat().st_size != other.stat().st_size:
            return False
        return one.read_bytes() == other.read_bytes()
    except OSError:
        return False


@dataclass
class TreeSaver:
    """Writes worktrees (and the repositories nested in them) into `main`'s object database."""

    main: Path
    # The folder being saved; nested repositories are named relative to it.
    root: Path
    # Where nested repositories' refs are kept, e.g. refs/loupe/nested/<session>.
    nested_refs: str
    disposable: Sequence[str]
    # A private folder for the temporary index files.
    scratch: Path
    originals: Path | None = None
    # One line per nested repository saved, for the save commit's message.
    notes: list[str] = field(default_factory=list)
    _counter: itertools.count = field(default_factory=itertools.count)

    def tree(self, workdir: Path, *, depth: int = 0, objects: Path | None = None) -> tuple[str, str | None]:
        """(tree, HEAD or None when unborn) of everything in `workdir` worth keeping.

        `objects` is the object folder of a nested repository: git then reads from it but
        writes into the main repository's.
        """
        found = find_leftovers(workdir, self.disposable, originals=self.originals if depth == 0 else None)
        env = {**os.environ, "GIT_INDEX_FILE": str(self.scratch / f"index-{next(self._counter)}")}
        if objects is not None:
            env["GIT_OBJECT_DIRECTORY"] = str(self._main_objects())
            env["GIT_ALTERNATE_OBJECT_DIRECTORIES"] = str(objects)
        head = _head(workdir)
        run_git(workdir, "read-tree", head or "--empty", env=env)
        # A nested repository is recorded below as a gitlink to its saved commit; `add`
        # would record its HEAD (not in this repository) or fail when it has none.
        pathspecs = [".", *(f":(exclude,literal){path}" for path in found.nested)]
        run_git(workdir, "add", "-A", "--pathspec-from-file=-", "--pathspec-file-nul",
                env=env, input="\0".join(pathspecs))
        if found.ignored:
            run_git(workdir, "update-index", "--add", "-z", "--stdin", env=env, input="\0".join(found.ignored))
        if depth == 0:
            for name in GENERATED_FILES:
                # loupe's own file is not the agent's work (unless the repository tracks it).
                if head is None or run_git(workdir, "cat-file", "-e", f"{head}:{name}", check=False).returncode:
                    run_git(workdir, "rm", "-q", "--cached", "--ignore-unmatch", "--", name, env=env)
        for path in found.nested:
            commit = self.keep_repository(workdir / path, depth=depth + 1)
            if commit is not None:
                run_git(workdir, "update-index", "--add", "--cacheinfo", f"160000,{commit},{path}", env=env)
        return run_git(workdir, "write-tree", env=env).stdout.strip(), head

    def keep_repository(self, path: Path, *, depth: int) -> str | None:
        """Save the repository at `path` into the main one; its saved commit, or None if empty."""
        if depth > MAX_NESTING:
            raise WorktreeError(f"{path} is a git repository nested more than {MAX_NESTING} deep; "
                                "move it out of the worktree, then remove the session again")
        own = run_git(path, "rev-parse", "--git-path", "objects").stdout.strip()
        objects = (path / own).resolve()
        tree, head = self.tree(path, depth=depth, objects=objects)
        if head is None and tree == EMPTY_TREE:
            return None
        commit = head
        if head is None or tree != run_git(path, "rev-parse", f"{head}^{{tree}}").stdout.strip():
            env = {**os.environ, "GIT_OBJECT_DIRECTORY": str(self._main_objects()),
                   "GIT_ALTERNATE_OBJECT_DIRECTORIES": str(objects)}
            parents = ["-p", head] if head else []
            commit = run_git(path, "commit-tree", tree, *parents, "-m",
                             f"loupe: uncommitted work in the nested repository {path.name}",
                             env=env).stdout.strip()
        prefix = f"{self.nested_refs}/{commit}"
        specs = [f"+refs/*:{prefix}/refs/*", *([f"+HEAD:{prefix}/HEAD"] if head else [])]
        run_git(self.main, "fetch", "--quiet", "--no-tags", "--no-write-fetch-head",
                "--no-recurse-submodules", str(path), *specs)
        if commit != head:
            run_git(self.main, "update-ref", f"{prefix}/saved", commit)
        self.notes.append(f"{path.relative_to(self.root)}/ is a git repository of its own; "
                          f"its refs are kept under {prefix}/")
        return commit

    def _main_objects(self) -> Path:
        return (self.main / run_git(self.main, "rev-parse", "--git-path", "objects").stdout.strip()).resolve()


def _head(workdir: Path) -> str | None:
    found = run_git(workdir, "rev-parse", "--verify", "-q", "HEAD^{commit}", check=False)
    return found.stdout.strip() if found.returncode == 0 else None

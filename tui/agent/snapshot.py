"""Record a worktree's files as a git tree, so a fork can start from the code as it was.

The tree is built from HEAD's tree plus every path `git status` reports (modified, added,
deleted, untracked and not ignored), each read from the working directory as raw bytes. Only
objects are written: the index, HEAD and every branch are left exactly as they were, so the
agent (or the user) working in the tree sees nothing. Cost grows with the number of changed
files, not the size of the repository, because libgit2's status uses the index's stat cache.

Empty directories are not recorded (git has no way to), and neither are ignored files or
files over 50 MiB.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from tui.errors import LoupeError

if TYPE_CHECKING:
    import pygit2

# Past this many changed paths (an unignored node_modules), snapshots are refused, not slow.
MAX_CHANGED_PATHS = 20_000
# Files bigger than this are left out of snapshots.
MAX_FILE_BYTES = 50 * 1024 * 1024

# path parts -> (blob oid, file mode), or None when the path is gone.
_Changes = dict[tuple[str, ...], "tuple[pygit2.Oid, int] | None"]


class SnapshotError(LoupeError):
    """The working directory could not be recorded (not a git repository, unreadable file)."""


def open_repository(path: Path) -> pygit2.Repository:
    import pygit2

    found = pygit2.discover_repository(str(path))
    if found is None:
        raise SnapshotError(f"{path} is not inside a git repository; snapshots need one (run `git init`)")
    repo = pygit2.Repository(found)
    if repo.is_bare or repo.workdir is None:
        raise SnapshotError(f"{path} is in a bare repository; snapshots need a working tree")
    return repo


def snapshot_tree(path: Path, *, keep_ref: str | None = None) -> str:
    """Write the working tree that contains `path` as a git tree; return the tree's hex id.

    With `keep_ref` (a ref outside refs/heads, e.g. `refs/loupe/agent/<thread>`), the tree is
    also committed on top of that ref's previous commit and the ref moved there, so that
    `git gc` never prunes a snapshot a fork may still need.
    """
    import pygit2

    repo = open_repository(path)
    workdir = Path(repo.workdir)
    base = None if repo.head_is_unborn else repo.head.peel(pygit2.Tree)
    changed = {
        rel: flags for rel, flags in repo.status(untracked_files="all", ignored=False).items()
        if flags != pygit2.enums.FileStatus.CURRENT and not flags & pygit2.enums.FileStatus.IGNORED
    }
    if len(changed) > MAX_CHANGED_PATHS:
        raise SnapshotError(
            f"{len(changed)} files differ from HEAD (untracked ones included), more than the "
            f"{MAX_CHANGED_PATHS} a snapshot records; add generated folders to .gitignore"
        )
    changes: _Changes = {}
    for rel in changed:
        full = workdir / rel
        parts = tuple(rel.rstrip("/").split("/"))
        if os.path.islink(full):
            target = os.readlink(full).encode("utf-8", "surrogateescape")
            changes[parts] = (repo.create_blob(target), pygit2.enums.FileMode.LINK)
        elif full.is_file():
            if full.stat().st_size > MAX_FILE_BYTES:
                continue  # a build artefact or data file: recording it per turn costs too much
            try:
                oid = repo.create_blob_fromdisk(str(full))
            except (OSError, pygit2.GitError) as exc:
                raise SnapshotError(f"cannot read {rel} for the snapshot: {exc}") from exc
            executable = os.stat(full).st_mode & 0o100
            mode = pygit2.enums.FileMode.BLOB_EXECUTABLE if executable else pygit2.enums.FileMode.BLOB
            changes[parts] = (oid, mode)
        elif not full.exists():
            changes[parts] = None
        # A directory here is a nested repository or submodule: keep what HEAD has.
    oid = _build(repo, base, changes)
    tree = oid if oid is not None else repo.TreeBuilder().write()
    if keep_ref is not None:
        _keep(repo, tree, keep_ref)
    return str(tree)


def _keep(repo: pygit2.Repository, tree: pygit2.Oid, ref: str) -> None:
    import pygit2

    if ref.startswith("refs/heads/") or not ref.startswith("refs/"):
        raise ValueError(f"snapshots are kept under a ref outside refs/heads, not {ref!r}")
    existing = repo.references.get(ref)
    parents = [existing.target] if existing is not None else []
    if existing is not None and repo[existing.target].peel(pygit2.Tree).id == tree:
        return
    commit = repo.create_commit(None, _signature(repo), _signature(repo), "loupe agent snapshot", tree, parents)
    repo.references.create(ref, commit, force=True)


def _signature(repo: pygit2.Repository) -> pygit2.Signature:
    import pygit2

    try:
        return repo.default_signature
    except (KeyError, pygit2.GitError):
        return pygit2.Signature("loupe", "loupe@localhost")


def _build(repo: pygit2.Repository, base: pygit2.Tree | None, changes: _Changes) -> pygit2.Oid | None:
    """The tree `base` with `changes` applied, or None when it ends up empty."""
    import pygit2

    builder = repo.TreeBuilder(base) if base is not None else repo.TreeBuilder()
    nested: dict[str, _Changes] = {}
    for parts, value in changes.items():
        if len(parts) == 1:
            name = parts[0]
            if value is None:
                if builder.get(name) is not None:
                    builder.remove(name)
            else:
                builder.insert(name, value[0], value[1])
        else:
            nested.setdefault(parts[0], {})[parts[1:]] = value
    for name, sub_changes in nested.items():
        entry = builder.get(name)
        sub_base = repo[entry.id] if entry is not None and entry.filemode == pygit2.enums.FileMode.TREE else None
        sub_oid = _build(repo, sub_base, sub_changes)
        if sub_oid is None:
            if builder.get(name) is not None:
                builder.remove(name)
        else:
            builder.insert(name, sub_oid, pygit2.enums.FileMode.TREE)
    oid = builder.write()
    return oid if len(repo[oid]) else None


def commit_snapshot(path: Path, tree: str, parent: str | None, message: str) -> str:
    """A commit of snapshot `tree` on `parent`, reachable from no ref; return its hex id.

    A fork starts a new worktree from it, so the code matches the moment it was recorded.
    """
    import pygit2

    repo = open_repository(path)
    try:
        tree_oid = repo[tree].id
    except (KeyError, ValueError) as exc:
        raise SnapshotError(f"snapshot {tree} is not in the repository at {repo.workdir}") from exc
    parents = [repo.revparse_single(parent).peel(pygit2.Commit).id] if parent else []
    signature = _signature(repo)
    return str(repo.create_commit(None, signature, signature, message, tree_oid, parents))

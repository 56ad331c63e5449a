"""Git worktrees for sessions: created with pygit2 outside the repository, removed safely.

Worktrees live under `repo_data_dir(root)/worktrees/<task>-<n>` on branch `loupe/<task>/<n>`.
Removal never loses work: `removal_risks` lists everything that would be lost (uncommitted
changes, untracked files, ignored files that are not disposable, nested repositories, commits
no other branch has, a live agent), the caller refuses unless the user confirmed, and even
then all of it is saved to a ref first. The only folder ever deleted is one verified to be
this session's worktree; the branch is kept.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tui import locations
from tui.config import DISPOSABLE
from tui.sessions import leftovers, pausepoints
from tui.sessions.errors import WorktreeError
from tui.sessions.gitrun import run_git
from tui.sessions.leftovers import GENERATED_FILES
from tui.sessions.local_files import session_files
from tui.workspace import find_repo_root

if TYPE_CHECKING:
    import pygit2

    from tui.sessions.model import Session


def open_repo(path: Path) -> pygit2.Repository:
    import pygit2

    try:
        return pygit2.Repository(str(path))
    except pygit2.GitError as exc:
        raise WorktreeError(f"{path} is not a git repository ({exc}); sessions need one") from exc


def main_repo_root(start: Path) -> Path | None:
    """The main working tree of the repository containing `start`, even from a worktree.

    An agent running `loupe session ...` inside its worktree means the repository it came
    from, so the `.git` file of a linked worktree is followed back to the common folder.
    """
    root = find_repo_root(start)
    if root is None:
        return None
    dotgit = root / ".git"
    if dotgit.is_file():
        text = dotgit.read_text(encoding="utf-8", errors="replace").strip()
        if text.startswith("gitdir:"):
            gitdir = (root / text[len("gitdir:"):].strip()).resolve()
            commondir = gitdir / "commondir"
            if commondir.is_file():
                common = (gitdir / commondir.read_text().strip()).resolve()
                if common.name == ".git":
                    return common.parent
    return root


def worktrees_dir(repo_root: Path) -> Path:
    return locations.repo_data_dir(repo_root) / "worktrees"


def slugify(text: str, limit: int = 40) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:limit].strip("-") or "session"


@dataclass(frozen=True)
class Base:
    commit: str
    # The local branch the session lands onto; "" when the base was a bare commit.
    branch: str


def resolve_base(repo_root: Path, base: str) -> Base:
    import pygit2

    repo = open_repo(repo_root)
    try:
        commit, ref = repo.revparse_ext(base)
        commit = commit.peel(pygit2.Commit)
    except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError) as exc:
        raise WorktreeError(
            f"base '{base}' is not a branch, tag or commit in {repo_root}; "
            "try HEAD, a branch name such as main, or a commit id"
        ) from exc
    branch = ""
    if base == "HEAD" and not repo.head_is_detached and not repo.head_is_unborn:
        branch = repo.head.shorthand
    elif ref is not None and ref.name.startswith("refs/heads/"):
        branch = ref.shorthand
    elif ref is not None and ref.name.startswith("refs/remotes/"):
        # origin/main lands onto main when there is such a local branch.
        local = ref.shorthand.split("/", 1)[-1]
        if repo.lookup_branch(local) is not None:
            branch = local
    return Base(commit=str(commit.id), branch=branch)


def fetch(repo_root: Path) -> None:
    """`git fetch` the default remote so a session starts from the latest base."""
    result = run_git(repo_root, "fetch", "--quiet", check=False)
    if result.returncode != 0:
        raise WorktreeError(f"git fetch failed in {repo_root}: {result.stderr.strip()}")


@dataclass(frozen=True)
class NewWorktree:
    path: Path
    branch: str
    name: str


def create_worktree(repo_root: Path, task: str, base_commit: str,
                    reserve: Callable[[NewWorktree], None] | None = None) -> NewWorktree:
    """A new worktree on a new branch `loupe/<task>/<n>` at `base_commit`, `n` the first free.

    Concurrent starts (other loupes, CLI processes) take turns under one lock file per
    repository, so each finds the next free number and none trips over another's branch.
    `reserve` is called with the chosen names, under the lock, before anything is created.
    """
    parent = worktrees_dir(repo_root)
    parent.mkdir(parents=True, exist_ok=True)
    lock_path = parent.parent / "worktrees.lock"
    try:
        lock = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise WorktreeError(f"cannot open the worktree lock {lock_path}: {exc}") from exc
    try:
        # Released by the kernel when the holder dies, so a killed start blocks no one.
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _create_worktree_locked(repo_root, parent, task, base_commit, reserve)
    finally:
        os.close(lock)


def _create_worktree_locked(repo_root: Path, parent: Path, task: str, base_commit: str,
                            reserve: Callable[[NewWorktree], None] | None) -> NewWorktree:
    import pygit2

    repo = open_repo(repo_root)
    slug = slugify(task)
    existing = set(repo.list_worktrees())
    number = 1
    while True:
        branch = f"loupe/{slug}/{number}"
        name = f"{slug}-{number}"
        path = parent / name
        taken = (
            repo.lookup_branch(branch) is not None
            or repo.references.get(f"refs/heads/{branch}") is not None
            or name in existing
            or path.exists()
            or (Path(repo.path) / "worktrees" / name).exists()
        )
        if not taken:
            break
        number += 1
    created = NewWorktree(path=path, branch=branch, name=name)
    if reserve is not None:
        reserve(created)
    commit = repo[base_commit].peel(pygit2.Commit)
    try:
        created_branch = repo.create_branch(branch, commit)
    except (pygit2.GitError, ValueError) as exc:
        raise WorktreeError(f"cannot create the branch {branch}: {exc}") from exc
    try:
        repo.add_worktree(name, str(path), created_branch)
    except pygit2.GitError as exc:
        created_branch.delete()
        raise WorktreeError(f"cannot create a worktree at {path}: {exc}") from exc
    return created


def exclude_generated_files(repo_root: Path) -> None:
    """Keep loupe's own files out of `git status` in every worktree (info/exclude is shared)."""
    repo = open_repo(repo_root)
    exclude = Path(repo.path) / "info" / "exclude"
    lines = exclude.read_text(encoding="utf-8").splitlines() if exclude.exists() else []
    wanted = [f"/{name}" for name in GENERATED_FILES if f"/{name}" not in lines]
    if wanted:
        exclude.parent.mkdir(parents=True, exist_ok=True)
        with exclude.open("a", encoding="utf-8") as handle:
            if lines and lines[-1].strip():
                handle.write("\n")
            handle.write("# written by loupe: per-session settings it generates\n")
            handle.write("\n".join(wanted) + "\n")


# -- removal -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Risk:
    """Something that removing the worktree would lose (or stop)."""

    kind: str  # "live", "uncommitted", "untracked", "ignored", "nested", "unmerged", "detached"
    message: str


def removal_risks(session: Session, *, live: bool, disposable: Sequence[str] = DISPOSABLE) -> list[Risk]:
    risks: list[Risk] = []
    if live:
        risks.append(Risk("live", f"session {session.number} ({session.agent}) is still running; "
                                  "removing it stops the agent"))
    if session.in_place or not session.worktree.exists():
        # An in-place session's folder is the user's own checkout, which removal never touches.
        return risks
    import pygit2

    repo = open_repo(session.worktree)
    dirty, _ = worktree_changes(repo)
    found = leftovers.find_leftovers(session.worktree, disposable, originals=session.repo)
    if dirty:
        risks.append(Risk("uncommitted", f"uncommitted changes in {_count(dirty, 'file')}: "
                                         f"{_sample(dirty)}"))
    if found.untracked:
        risks.append(Risk("untracked", f"{_count(found.untracked, 'untracked file')}: "
                                       f"{_sample(found.untracked)}"))
    if found.ignored:
        risks.append(Risk("ignored", f"{_count(found.ignored, 'ignored file')}: {_sample(found.ignored)} "
                                     "(ignored files count as work unless [sessions] disposable "
                                     "names them)"))
    if found.nested:
        several = len(found.nested) > 1
        risks.append(Risk("nested", f"{len(found.nested)} nested git "
                                    f"{'repositories' if several else 'repository'}: "
                                    f"{_sample([f'{path}/' for path in found.nested])} "
                                    f"({'their' if several else 'its'} own history is only there)"))
    main = open_repo(session.repo)
    branch_ref = main.references.get(f"refs/heads/{session.branch}")
    tips: list[tuple[str, pygit2.Oid]] = []
    if branch_ref is not None:
        tips.append(("branch", branch_ref.target))
    if not repo.head_is_unborn:
        head = repo.head.target
        if repo.head_is_detached and (branch_ref is None or head != branch_ref.target):
            tips.append(("detached", head))
    for what, tip in tips:
        only_here = _commits_only_on(main, tip, exclude=f"refs/heads/{session.branch}"
                                     if what == "branch" else None)
        if not only_here or _already_in_base(main, session, tip):
            continue
        if what == "branch":
            risks.append(Risk("unmerged", f"{_count(only_here, 'commit')} only on {session.branch} "
                                          "(the branch is kept, but no other branch has them)"))
        else:
            risks.append(Risk("detached", f"{_count(only_here, 'commit')} on a detached HEAD in the "
                                          "worktree, on no branch at all"))
    return risks


def worktree_changes(repo: pygit2.Repository) -> tuple[list[str], list[str]]:
    import pygit2

    dirty: list[str] = []
    untracked: list[str] = []
    for path, flags in repo.status(untracked_files="all").items():
        if path in GENERATED_FILES or flags & pygit2.enums.FileStatus.IGNORED:
            continue
        if flags == pygit2.enums.FileStatus.WT_NEW:
            untracked.append(path)
        elif flags != pygit2.enums.FileStatus.CURRENT:
            dirty.append(path)
    return sorted(dirty), sorted(untracked)


def _commits_only_on(repo: pygit2.Repository, tip: pygit2.Oid, *, exclude: str | None,
                     limit: int = 1000) -> list[str]:
    """Commits reachable from `tip` and from no other branch, remote branch or tag."""
    import pygit2

    walker = repo.walk(tip, pygit2.enums.SortMode.TOPOLOGICAL)
    for ref_name in repo.references:
        if ref_name == exclude or not ref_name.startswith(("refs/heads/", "refs/remotes/", "refs/tags/")):
            continue
        try:
            target = repo.references[ref_name].peel(pygit2.Commit).id
        except (pygit2.GitError, ValueError, KeyError):
            continue
        walker.hide(target)
    found = []
    for commit in walker:
        found.append(str(commit.id))
        if len(found) >= limit:
            break
    return found


def _already_in_base(repo: pygit2.Repository, session: Session, tip: pygit2.Oid) -> bool:
    """Whether merging `tip` into the base branch would change nothing (e.g. squash-merged)."""
    import pygit2

    if not session.base_branch:
        return False
    base = repo.references.get(f"refs/heads/{session.base_branch}")
    if base is None:
        return False
    base_commit = base.peel(pygit2.Commit)
    merged = repo.merge_commits(base_commit, tip)
    if merged.conflicts is not None:
        return False
    return merged.write_tree(repo) == base_commit.tree_id


def _count(items: Sequence[str], noun: str) -> str:
    return f"{len(items)} {noun}{'' if len(items) == 1 else 's'}"


def _sample(paths: Sequence[str], limit: int = 4) -> str:
    shown = ", ".join(paths[:limit])
    return shown + (f" and {len(paths) - limit} more" if len(paths) > limit else "")


def save_leftovers(session: Session, *, disposable: Sequence[str] = DISPOSABLE) -> str | None:
    """Commit all that deleting the worktree would lose to `refs/loupe/removed/<id>`.

    That is what `removal_risks` counts: uncommitted changes, untracked and ignored files that
    are not disposable, nested repositories with their history (see `leftovers`), and commits
    on a detached HEAD (the save's parent, even when no file changed). Neither the
    worktree's index nor any branch is touched. Returns the ref when it holds saved work
    (from this call or an earlier one), None when nothing was ever saved.
    """
    if session.in_place:
        return None
    ref = f"refs/loupe/removed/{session.id}"
    found = run_git(session.repo, "rev-parse", "--verify", "-q", f"{ref}^{{commit}}", check=False)
    # An earlier save (say by a removal that was killed half way) is never overwritten: it
    # becomes the new save's second parent.
    previous = found.stdout.strip() if found.returncode == 0 else ""
    worktree = session.worktree
    if not worktree.exists():
        return ref if previous else None
    folder = session_files(session.id).folder
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with tempfile.TemporaryDirectory(prefix="leftovers-", dir=folder) as scratch:
        saver = leftovers.TreeSaver(main=session.repo, root=worktree,
                                    nested_refs=f"refs/loupe/nested/{session.id}",
                                    disposable=disposable, scratch=Path(scratch), originals=session.repo)
        tree, head = saver.tree(worktree)
    if head is None:
        return ref if previous else None
    unchanged = tree == run_git(worktree, "rev-parse", f"{head}^{{tree}}").stdout.strip()
    if unchanged and not _on_no_branch(session, head):
        return ref if previous else None
    if previous and run_git(worktree, "rev-parse", f"{previous}^{{tree}}", f"{previous}^1").stdout.split() \
            == [tree, head]:
        return ref
    message = (f"loupe: work left in session {session.id} ({session.task}) "
               "when its worktree was removed")
    details = [*saver.notes, *([f"An earlier save, {previous}, is the second parent."] if previous else [])]
    parents = ["-p", head, *(["-p", previous] if previous else [])]
    commit = run_git(worktree, "commit-tree", tree, *parents, "-m", message,
                     *(["-m", "\n".join(details)] if details else [])).stdout.strip()
    moved = run_git(worktree, "update-ref", "-m", "loupe: session removed", ref, commit, previous, check=False)
    if moved.returncode != 0:
        raise WorktreeError(f"{ref} changed while saving (another removal of session {session.number}?); "
                            "nothing was deleted or lost: remove the session again")
    return ref


def _on_no_branch(session: Session, head: str) -> bool:
    """Whether the worktree's HEAD is detached at commits no branch, remote branch or tag has
    (the save commit's parent is then all that keeps them)."""
    import pygit2

    if not open_repo(session.worktree).head_is_detached:
        return False
    return bool(_commits_only_on(open_repo(session.repo), pygit2.Oid(hex=head), exclude=None, limit=1))


def delete_worktree(session: Session) -> None:
    """Delete the session's worktree folder and git's record of it; keep the branch.

    Refuses unless the folder is provably this session's worktree: a direct child of the
    repository's loupe worktrees folder, not a symlink, whose `.git` file points at the
    repository's record for this worktree. The folder is first renamed to `.removing-<name>`
    (one atomic step), so a deletion cut short never leaves a half-emptied worktree that
    looks like one with deleted files; the next removal finishes it.
    """
    import pygit2

    if session.in_place:
        # Its folder is a task folder of the main checkout: never loupe's to delete.
        return
    path = session.worktree
    expected_parent = worktrees_dir(session.repo).resolve()
    main = open_repo(session.repo)
    record = (Path(main.path) / "worktrees" / session.worktree_name).resolve()
    trash = path.parent / f".removing-{path.name}"
    if path.exists() or path.is_symlink():
        if path.is_symlink() or path.resolve().parent != expected_parent:
            raise WorktreeError(f"refusing to delete {path}: it is not inside {expected_parent}")
        dotgit = path / ".git"
        if dotgit.is_symlink() or not dotgit.is_file():
            raise WorktreeError(f"refusing to delete {path}: it has no worktree .git file")
        text = dotgit.read_text(encoding="utf-8", errors="replace").strip()
        if not text.startswith("gitdir:"):
            raise WorktreeError(f"refusing to delete {path}: its .git file is not a worktree link")
        target = (path / text[len("gitdir:"):].strip()).resolve()
        if target != record:
            raise WorktreeError(
                f"refusing to delete {path}: it belongs to {target}, not to {record}"
            )
        if trash.exists():
            _delete_tree(trash)
        path.rename(trash)
    if trash.exists() and not trash.is_symlink() and path.parent.resolve() == expected_parent:
        _delete_tree(trash)
    try:
        main.lookup_worktree(session.worktree_name).prune(True)
    except (pygit2.GitError, KeyError):
        pass


def _delete_tree(path: Path) -> None:
    """Delete `path` one entry at a time (a test pauses after the first, see pausepoints)."""
    entries = sorted(path.iterdir())
    for number, entry in enumerate(entries):
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
        if number == 0:
            pausepoints.reached("remove:deleting")
    path.rmdir()

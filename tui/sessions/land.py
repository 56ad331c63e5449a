"""Landing a session's commits onto its base branch, all or nothing.

The result is computed in memory first (pygit2 merges trees without touching any working
tree), so a conflict is found before anything changes and leaves nothing half-applied. Only
then does the base branch move: with `git merge --ff-only` in the worktree where it is
checked out (git refuses, changing nothing, if that would overwrite local edits), under a
journal so that a land killed half way is put back by the next one (`land_journal`), or with
a compare-and-swap `update-ref` when it is checked out nowhere.

Uncommitted changes in the session are not landed; the plan says so.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tui.sessions import land_journal
from tui.sessions.errors import LandRefused
from tui.sessions.worktrees import open_repo, run_git, worktree_changes

if TYPE_CHECKING:
    import pygit2

    from tui.sessions.model import Session

MODES = ("merge", "cherry-pick")


@dataclass(frozen=True)
class LandPlan:
    mode: str
    onto: str
    onto_tip: str
    tip: str
    # (commit id, first line of its message), oldest first.
    commits: tuple[tuple[str, str], ...]
    uncommitted: tuple[str, ...]
    conflicts: tuple[str, ...]
    # The working tree where `onto` is checked out, which landing updates; None if nowhere.
    checked_out_in: Path | None
    fast_forward: bool
    # An earlier land that was killed half way (see land_journal), which landing first undoes.
    interrupted: str = ""

    def describe(self, session: Session) -> list[str]:
        """Exactly what landing will do, for a confirmation dialog or --dry-run."""
        n = len(self.commits)
        noun = "commit" if n == 1 else "commits"
        lines: list[str] = [self.interrupted] if self.interrupted else []
        if self.conflicts:
            lines.append(f"Cannot land: {session.branch} conflicts with {self.onto} in "
                         f"{', '.join(self.conflicts)}. Nothing will change.")
            return lines
        if not n:
            lines.append(f"Nothing to land: {session.branch} has no commits that {self.onto} lacks.")
        elif self.mode == "merge":
            lines.append(f"Merge {n} {noun} from {session.branch} into {self.onto} "
                         "with a merge commit.")
        elif self.fast_forward:
            lines.append(f"Fast-forward {self.onto} to {session.branch} ({n} {noun}).")
        else:
            lines.append(f"Copy {n} {noun} from {session.branch} onto {self.onto} (cherry-pick).")
        for commit_id, summary in self.commits[:8]:
            lines.append(f"  {commit_id[:8]} {summary}")
        if n > 8:
            lines.append(f"  ... and {n - 8} more")
        if n and self.checked_out_in is not None:
            lines.append(f"{self.onto} is checked out in {self.checked_out_in}: its files are updated "
                         "(git refuses if that would overwrite your edits there).")
        if self.uncommitted:
            lines.append(f"Not included: {len(self.uncommitted)} uncommitted or untracked file(s) in "
                         f"the session ({', '.join(self.uncommitted[:4])}). Commit them first to land them.")
        return lines


@dataclass(frozen=True)
class LandResult:
    plan: LandPlan
    new_tip: str
    landed: list[str] = field(default_factory=list)
    # What was found and put back of an earlier land that was killed half way.
    recovered: str = ""


def signature(repo: pygit2.Repository) -> pygit2.Signature:
    """Who makes merge commits: git's environment variables first, then user.name/email."""
    import pygit2

    name = os.environ.get("GIT_COMMITTER_NAME")
    email = os.environ.get("GIT_COMMITTER_EMAIL")
    if name and email:
        return pygit2.Signature(name, email)
    try:
        return repo.default_signature
    except (KeyError, pygit2.GitError) as exc:
        raise LandRefused(
            "git does not know who you are, so it cannot make the landing commit; set it with "
            "git config --global user.name 'Your Name' and user.email you@example.com"
        ) from exc


def plan(session: Session, mode: str = "merge", onto: str | None = None) -> LandPlan:
    import pygit2

    if mode not in MODES:
        raise LandRefused(f"unknown land mode '{mode}'; use one of {', '.join(MODES)}")
    target = onto or session.base_branch
    if not target:
        raise LandRefused(f"session {session.number} started from a commit, not a branch; "
                          "say which branch to land onto (--onto BRANCH)")
    repo = open_repo(session.repo)
    onto_ref = repo.references.get(f"refs/heads/{target}")
    if onto_ref is None:
        raise LandRefused(f"there is no local branch '{target}' to land onto")
    branch_ref = repo.references.get(f"refs/heads/{session.branch}")
    if branch_ref is None:
        raise LandRefused(f"the session's branch {session.branch} no longer exists")
    onto_tip = onto_ref.peel(pygit2.Commit)
    tip = branch_ref.peel(pygit2.Commit)
    walker = repo.walk(tip.id, pygit2.enums.SortMode.TOPOLOGICAL | pygit2.enums.SortMode.REVERSE)
    walker.hide(onto_tip.id)
    commits = [c for c in walker]
    uncommitted: tuple[str, ...] = ()
    if session.worktree.exists():
        dirty, untracked = worktree_changes(open_repo(session.worktree))
        uncommitted = tuple(dirty + untracked)
    fast_forward = repo.descendant_of(tip.id, onto_tip.id)
    conflicts: tuple[str, ...] = ()
    if commits and not fast_forward:
        conflicts = _conflicts(repo, onto_tip, tip, commits, mode)
    return LandPlan(
        mode=mode,
        onto=target,
        onto_tip=str(onto_tip.id),
        tip=str(tip.id),
        commits=tuple((str(c.id), c.message.splitlines()[0] if c.message else "") for c in commits),
        uncommitted=uncommitted,
        conflicts=conflicts,
        checked_out_in=_checked_out_in(repo, target),
        fast_forward=fast_forward,
        interrupted=land_journal.describe_pending(session.repo),
    )


def _conflicts(repo: pygit2.Repository, onto_tip: pygit2.Commit, tip: pygit2.Commit,
               commits: list[pygit2.Commit], mode: str) -> tuple[str, ...]:
    if mode == "merge":
        index = repo.merge_commits(onto_tip, tip)
        return _conflict_paths(index)
    current_tree = onto_tip.tree
    for commit in commits:
        if len(commit.parents) != 1:
            continue
        index = repo.merge_trees(commit.parents[0].tree, current_tree, commit.tree)
        found = _conflict_paths(index)
        if found:
            return found
        current_tree = repo[index.write_tree(repo)]
    return ()


def _conflict_paths(index: pygit2.Index) -> tuple[str, ...]:
    if index.conflicts is None:
        return ()
    paths = set()
    for ancestor, ours, theirs in index.conflicts:
        for entry in (ancestor, ours, theirs):
            if entry is not None:
                paths.add(entry.path)
    return tuple(sorted(paths))


def _checked_out_in(repo: pygit2.Repository, branch: str) -> Path | None:
    import pygit2

    full = f"refs/heads/{branch}"
    if not repo.is_bare and not repo.head_is_detached and not repo.head_is_unborn:
        if repo.head.name == full and repo.workdir:
            return Path(repo.workdir)
    for name in repo.list_worktrees():
        try:
            worktree = repo.lookup_worktree(name)
            linked = pygit2.Repository(worktree.path)
        except (pygit2.GitError, KeyError):
            continue
        if not linked.head_is_detached and not linked.head_is_unborn and linked.head.name == full:
            return Path(worktree.path)
    return None


def land(session: Session, mode: str = "merge", onto: str | None = None) -> LandResult:
    recovered = land_journal.recover(session.repo)
    try:
        result = _land(session, mode, onto)
    except LandRefused as exc:
        if recovered:
            raise LandRefused(f"{recovered} {exc}") from exc
        raise
    return dataclasses.replace(result, recovered=recovered)


def _land(session: Session, mode: str, onto: str | None) -> LandResult:
    import pygit2

    landing = plan(session, mode, onto)
    if landing.conflicts:
        raise LandRefused(" ".join(landing.describe(session)))
    if not landing.commits:
        raise LandRefused(landing.describe(session)[0])
    repo = open_repo(session.repo)
    if mode == "merge":
        sig = signature(repo)
        index = repo.merge_commits(landing.onto_tip, landing.tip)
        tree = index.write_tree(repo)
        message = (f"Merge {session.branch} into {landing.onto}\n\n"
                   f"Landed by loupe from session {session.number} ({session.agent}: {session.task}).\n")
        new_tip = str(repo.create_commit(None, sig, sig, message, tree,
                                         [pygit2.Oid(hex=landing.onto_tip), pygit2.Oid(hex=landing.tip)]))
    elif landing.fast_forward:
        new_tip = landing.tip
    else:
        sig = signature(repo)
        current = repo[landing.onto_tip].peel(pygit2.Commit)
        for commit_id, _ in landing.commits:
            commit = repo[commit_id].peel(pygit2.Commit)
            if len(commit.parents) != 1:
                continue
            index = repo.merge_trees(commit.parents[0].tree, current.tree, commit.tree)
            tree = index.write_tree(repo)
            new_id = repo.create_commit(None, commit.author, sig, commit.message, tree, [current.id])
            current = repo[new_id].peel(pygit2.Commit)
        new_tip = str(current.id)
    _move_branch(landing, new_tip, session)
    return LandResult(plan=landing, new_tip=new_tip, landed=[c for c, _ in landing.commits])


def _move_branch(landing: LandPlan, new_tip: str, session: Session) -> None:
    if landing.checked_out_in is not None:
        land_journal.update_checkout(session.repo, land_journal.new_journal(
            session.id, session.number, landing.onto, landing.onto_tip, new_tip, landing.checked_out_in))
        return
    result = run_git(session.repo, "update-ref", "-m", f"loupe: land session {session.id}",
                  f"refs/heads/{landing.onto}", new_tip, landing.onto_tip, check=False)
    if result.returncode != 0:
        raise LandRefused(f"{landing.onto} moved while landing, so nothing was landed; try again "
                          f"({result.stderr.strip()})")

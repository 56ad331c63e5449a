"""What a session changed: its worktree (committed and not) against where it started.

The diff runs from the merge base of the session's start commit and its HEAD to the files
on disk, untracked files included, so it shows exactly what landing plus committing would
bring. A session that runs in place (a documents-only phase, in the main checkout's task
folder) shows only the changes under that folder. Files are `tui.diffs.FileDiff`s, the
model `widgets.diff_view.DiffView` shows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tui.diffs import DiffLine, FileDiff, Hunk
from tui.sessions.errors import WorktreeError
from tui.sessions.worktrees import GENERATED_FILES, open_repo

if TYPE_CHECKING:
    import pygit2

    from tui.sessions.model import Session

# Past this many lines the hunks are dropped (stats are kept) so the UI stays responsive.
MAX_LINES = 20_000

_STATUS = {"A": "added", "D": "deleted", "M": "modified", "R": "renamed", "?": "added"}


@dataclass(frozen=True)
class DiffStat:
    files: int
    added: int
    removed: int


@dataclass(frozen=True)
class SessionDiff:
    base: str
    files: tuple[FileDiff, ...]
    patch: str
    commits: int
    truncated: bool = False

    @property
    def stat(self) -> DiffStat:
        return DiffStat(len(self.files), sum(f.added for f in self.files),
                        sum(f.removed for f in self.files))


def _in_scope(session: Session, repo: pygit2.Repository) -> str:
    """The path prefix a session's changes are under: its task folder for a session that runs
    in place (the rest of the checkout is the user's), else "" (everything)."""
    if not session.in_place or repo.workdir is None:
        return ""
    try:
        relative = session.worktree.resolve().relative_to(Path(repo.workdir).resolve())
    except ValueError:
        return ""
    return f"{relative.as_posix()}/" if relative.parts else ""


def _workdir_diff(session: Session) -> tuple[pygit2.Repository, pygit2.Diff, str, int]:
    import pygit2

    if not session.worktree.exists():
        raise WorktreeError(f"the worktree {session.worktree} no longer exists")
    repo = open_repo(session.worktree)
    if repo.head_is_unborn:
        raise WorktreeError(f"the worktree {session.worktree} has no commit checked out")
    head = repo.head.target
    try:
        base = repo.merge_base(session.base_commit, head) or pygit2.Oid(hex=session.base_commit)
    except (pygit2.GitError, ValueError) as exc:
        raise WorktreeError(f"the session's start commit {session.base_commit[:10]} is gone: {exc}") from exc
    flags = (
        pygit2.enums.DiffOption.INCLUDE_UNTRACKED
        | pygit2.enums.DiffOption.RECURSE_UNTRACKED_DIRS
        | pygit2.enums.DiffOption.SHOW_UNTRACKED_CONTENT
    )
    diff = repo[base].peel(pygit2.Tree).diff_to_workdir(flags=flags)
    diff.find_similar()
    walker = repo.walk(head)
    walker.hide(base)
    commits = sum(1 for _ in walker)
    return repo, diff, str(base), commits


def diff_stat(session: Session) -> DiffStat:
    """Files changed and lines added/removed; cheap enough to poll for visible tiles."""
    repo, diff, _, _ = _workdir_diff(session)
    scope = _in_scope(session, repo)
    files = added = removed = 0
    for patch in diff:
        if patch is None or patch.delta.new_file.path in GENERATED_FILES:
            continue
        if not patch.delta.new_file.path.startswith(scope):
            continue
        _, additions, deletions = patch.line_stats
        files += 1
        added += additions
        removed += deletions
    return DiffStat(files, added, removed)


def session_diff(session: Session) -> SessionDiff:
    repo, diff, base, commits = _workdir_diff(session)
    scope = _in_scope(session, repo)
    files: list[FileDiff] = []
    patches: list[str] = []
    budget = MAX_LINES
    truncated = False
    for patch in diff:
        if patch is None:
            continue
        delta = patch.delta
        if delta.new_file.path in GENERATED_FILES or not delta.new_file.path.startswith(scope):
            continue
        _, additions, deletions = patch.line_stats
        hunks: list[Hunk] = []
        for hunk in patch.hunks:
            if budget <= 0:
                truncated = True
                break
            lines = tuple(
                DiffLine(line.origin, line.content.rstrip("\n"),
                         line.old_lineno if line.old_lineno > 0 else None,
                         line.new_lineno if line.new_lineno > 0 else None)
                for line in hunk.lines
                if line.origin in "+- "
            )
            budget -= len(lines)
            section = hunk.header.rstrip("\n").split("@@", 2)[-1].strip()
            hunks.append(Hunk(hunk.old_start, hunk.old_lines, hunk.new_start, hunk.new_lines,
                              lines, section))
        renamed = delta.old_file.path != delta.new_file.path
        files.append(
            FileDiff(
                path=delta.new_file.path,
                status="binary" if delta.is_binary else _STATUS.get(delta.status_char(), "modified"),
                hunks=tuple(hunks),
                added=additions,
                removed=deletions,
                old_path=delta.old_file.path if renamed else None,
            )
        )
        patches.append(patch.text or "")
    return SessionDiff(base=base, files=tuple(files), patch="".join(patches), commits=commits,
                       truncated=truncated)

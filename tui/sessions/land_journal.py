"""Moving a checked-out branch for a land, and putting back one that was killed half way.

When the branch being landed onto is checked out, its files change with it (`git merge
--ff-only` in that checkout), and no file system makes that one atomic step: killed in the
middle, git leaves some new files written, others not, its `index.lock`, and the branch where
it was. So a journal records the land (branch, old and new commit, checkout, processes)
before git starts and is deleted when git is done. A journal whose processes are gone is an
interrupted land, which the next land finds (and `--dry-run` describes):

- the branch moved: git finished, and only the journal is stale;
- it did not: the land did not happen, and each file git had written (its content is
  exactly the new commit's) is put back as it was. A file with any other content is not
  git's doing and is left as it is; so is everything when the branch has moved elsewhere.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from tui import locations
from tui.sessions import pausepoints
from tui.sessions.errors import LandRefused, WorktreeError
from tui.sessions.gitrun import GIT_TIMEOUT, run_git
from tui.sessions.procs import alive

JOURNAL = "land-in-progress.json"


@dataclass(frozen=True)
class Journal:
    session: str
    number: int
    onto: str
    old: str
    new: str
    checkout: str
    pid: int
    started: float
    git_pid: int = 0

    def what(self) -> str:
        return f"an earlier land of session {self.number} onto {self.onto}"

    def running(self) -> bool:
        return any(pid > 0 and pid != os.getpid() and alive(pid) for pid in (self.pid, self.git_pid))


def journal_path(repo_root: Path) -> Path:
    return locations.repo_data_dir(repo_root) / JOURNAL


def pending(repo_root: Path) -> Journal | None:
    path = journal_path(repo_root)
    try:
        return Journal(**json.loads(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError) as exc:
        raise LandRefused(f"cannot read {path} ({exc}); if no land is running, check the branch "
                          "and its checkout with git status, then delete that file") from exc


def describe_pending(repo_root: Path) -> str:
    """One line for a dry run about an interrupted or running land; "" when there is none."""
    journal = pending(repo_root)
    if journal is None:
        return ""
    if journal.running():
        return f"Another land onto {journal.onto} is running (process {journal.pid}); landing waits for it."
    return (f"{journal.what().capitalize()} was interrupted; landing first puts back whatever it "
            f"left half done in {journal.checkout}.")


def recover(repo_root: Path) -> str:
    """Finish off an interrupted land; what was done, or "" when there was none."""
    journal = pending(repo_root)
    if journal is None:
        return ""
    if journal.running():
        raise LandRefused(f"another land onto {journal.onto} is running (process {journal.pid}); wait "
                          f"for it to finish. If no loupe is landing, delete {journal_path(repo_root)}")
    found = run_git(repo_root, "rev-parse", "--verify", "-q", f"refs/heads/{journal.onto}", check=False)
    tip = found.stdout.strip()
    if tip == journal.new:
        note = f"{journal.what().capitalize()} was interrupted after git had finished it."
    elif tip == journal.old:
        note = _undo(journal)
    else:
        note = (f"{journal.what().capitalize()} was interrupted, and {journal.onto} has moved since; "
                f"{journal.checkout} is left as it is (check it with git status).")
    journal_path(repo_root).unlink(missing_ok=True)
    return note


def update_checkout(repo_root: Path, journal: Journal) -> None:
    """Fast-forward the checked-out branch `journal.onto` to `journal.new`, under the journal."""
    checkout = Path(journal.checkout)
    lock = index_lock(checkout)
    if lock.exists():
        raise LandRefused(f"git is busy in {checkout}: {lock} exists. If no git command is running "
                          "there (an earlier one was killed), delete that file and land again. "
                          "Nothing was landed.")
    path = journal_path(repo_root)
    path.parent.mkdir(parents=True, exist_ok=True)
    _write(path, journal, exclusive=True)
    try:
        process = subprocess.Popen(["git", "merge", "--ff-only", "--quiet", journal.new], cwd=checkout,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    except OSError as exc:
        path.unlink(missing_ok=True)
        raise WorktreeError(f"cannot run git in {checkout}: {exc}") from exc
    _write(path, replace(journal, git_pid=process.pid), exclusive=False)
    try:
        out, err = process.communicate(timeout=GIT_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise LandRefused(f"git took longer than {GIT_TIMEOUT:g}s to update {checkout}; land again "
                          "to put back what it left half done") from None
    if process.returncode == 0:
        pausepoints.reached("land:moved")
    # git checks everything before it writes anything, so a refusal changed nothing.
    path.unlink(missing_ok=True)
    if process.returncode != 0:
        raise LandRefused(f"could not update {journal.onto} in {checkout}, so nothing was landed: "
                          f"{' '.join((err.strip() or out.strip()).split())}")


def index_lock(checkout: Path) -> Path:
    return checkout / run_git(checkout, "rev-parse", "--git-path", "index.lock").stdout.strip()


def _write(path: Path, journal: Journal, *, exclusive: bool) -> None:
    data = json.dumps(asdict(journal), indent=1)
    if exclusive:
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            raise LandRefused(f"another land is starting in this repository ({path} exists); "
                              "land again once it is done") from None
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(data)
        return
    temporary = path.with_name(f"{path.name}.{os.getpid()}")
    temporary.write_text(data, encoding="utf-8")
    temporary.replace(path)


def _undo(journal: Journal) -> str:
    """Put back the files git wrote for a land that never moved the branch."""
    checkout = Path(journal.checkout)
    if not checkout.is_dir():
        return (f"{journal.what().capitalize()} was interrupted before {journal.onto} moved, so it did "
                f"not happen; its checkout {checkout} is gone, so there is nothing to put back.")
    # The journal was written only when there was no lock, and git held it until it was
    # killed, so this one is the dead git's.
    index_lock(checkout).unlink(missing_ok=True)
    changes = _changes(checkout, journal.old, journal.new)
    written = [path for path, new in changes.items() if _content(checkout, path) == new]
    if changes:
        # Index entries go back to the old commit's, whether or not git had written them.
        run_git(checkout, "--literal-pathspecs", "reset", "-q", journal.old,
                "--pathspec-from-file=-", "--pathspec-file-nul", input="\0".join(changes))
    restore = []
    for path in written:
        target = checkout / path
        if target.is_symlink() or target.exists():
            target.unlink()
            _remove_empty_parents(target.parent, checkout)
        if _in_tree(checkout, journal.old, path):
            restore.append(path)
    if restore:
        run_git(checkout, "checkout-index", "-f", "-q", "-z", "--stdin", input="\0".join(restore))
    run_git(checkout, "update-index", "-q", "--refresh", check=False)
    note = (f"{journal.what().capitalize()} was interrupted before {journal.onto} moved, so it did "
            f"not happen; the {len(written)} file(s) it had written in {checkout} were put back.")
    left = [path for path, new in changes.items() if path not in written
            and _content(checkout, path) != _old_content(checkout, journal.old, path)]
    if left:
        note += f" Left as they are (not what the land wrote): {', '.join(left[:4])}."
    return note


def _changes(checkout: Path, old: str, new: str) -> dict[str, str | None]:
    """Path -> the new commit's blob id (None: deleted), for every file the land changes."""
    raw = run_git(checkout, "diff-tree", "-r", "-z", "--no-renames", old, new).stdout.split("\0")
    changes: dict[str, str | None] = {}
    for header, path in zip(raw[0::2], raw[1::2]):
        if not header.startswith(":"):
            continue
        old_mode, new_mode, _, new_id, _ = header[1:].split()
        if "160000" in (old_mode, new_mode):
            continue  # a submodule: git does not write its files
        changes[path] = None if new_mode == "000000" else new_id
    return changes


def _content(checkout: Path, path: str) -> str | None:
    """The blob id of the file at `path` as git would store it; None when there is none."""
    target = checkout / path
    if target.is_symlink():
        import pygit2

        return str(pygit2.hash(os.readlink(target).encode("utf-8", "surrogateescape")))
    if not target.is_file():
        return None
    # git's own hash, through the repository's clean filters and line-ending rules.
    hashed = run_git(checkout, "hash-object", "--", path, check=False)
    return hashed.stdout.strip() if hashed.returncode == 0 else "unreadable"


def _old_content(checkout: Path, old: str, path: str) -> str | None:
    found = run_git(checkout, "rev-parse", "--verify", "-q", f"{old}:{path}", check=False)
    return found.stdout.strip() if found.returncode == 0 else None


def _in_tree(checkout: Path, commit: str, path: str) -> bool:
    return _old_content(checkout, commit, path) is not None


def _remove_empty_parents(folder: Path, top: Path) -> None:
    while folder != top and top in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def new_journal(session_id: str, number: int, onto: str, old: str, new: str, checkout: Path) -> Journal:
    return Journal(session=session_id, number=number, onto=onto, old=old, new=new,
                   checkout=str(checkout), pid=os.getpid(), started=time.time())

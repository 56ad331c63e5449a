"""Worktree snapshots: a git tree of the files as they are, index and refs untouched."""

from __future__ import annotations

import os
from pathlib import Path

import pygit2
import pytest

from tests.fixtures.git import RepoWithRemote, git
from tui.agent.snapshot import SnapshotError, commit_snapshot, snapshot_tree


def tree_files(repo_path: Path, tree_hex: str) -> dict[str, tuple[bytes, int]]:
    repo = pygit2.Repository(str(repo_path))
    out: dict[str, tuple[bytes, int]] = {}

    def walk(tree: pygit2.Tree, prefix: str) -> None:
        for entry in tree:
            if entry.filemode == pygit2.enums.FileMode.TREE:
                walk(repo[entry.id], prefix + entry.name + "/")
            else:
                out[prefix + entry.name] = (repo[entry.id].data, entry.filemode)

    walk(repo[tree_hex], "")
    return out


def state(repo: RepoWithRemote) -> tuple[bytes, str, str]:
    index = (repo.path / ".git/index").read_bytes()
    refs = repo.git("for-each-ref", "--format=%(refname) %(objectname)").stdout
    return index, refs, repo.git("symbolic-ref", "HEAD").stdout


def test_snapshot_records_the_working_tree_and_touches_nothing(repo: RepoWithRemote) -> None:
    repo.commit_file("src/app.py", "print('v1')\n")
    repo.commit_file("src/old.py", "old\n")
    repo.commit_file(".gitignore", "*.log\nbuild/\n")
    root = repo.path
    (root / "src/app.py").write_text("print('v2')\n")
    (root / "src/old.py").unlink()
    (root / "new/deep").mkdir(parents=True)
    (root / "new/deep/n.txt").write_text("untracked\n")
    (root / "run.sh").write_text("#!/bin/sh\n")
    (root / "run.sh").chmod(0o755)
    os.symlink("src/app.py", root / "link.py")
    (root / "debug.log").write_text("ignored\n")
    (root / "build").mkdir()
    (root / "build/out").write_text("ignored\n")
    (root / "staged.txt").write_text("staged then edited\n")
    repo.git("add", "staged.txt")
    (root / "staged.txt").write_text("edited after staging\n")
    before = state(repo)

    tree = snapshot_tree(root / "src")

    assert state(repo) == before
    blob, exe, link = 0o100644, 0o100755, 0o120000
    assert tree_files(root, tree) == {
        ".gitignore": (b"*.log\nbuild/\n", blob),
        "README.md": (b"# demo\n", blob),
        "src/app.py": (b"print('v2')\n", blob),
        "new/deep/n.txt": (b"untracked\n", blob),
        "run.sh": (b"#!/bin/sh\n", exe),
        "link.py": (b"src/app.py", link),
        "staged.txt": (b"edited after staging\n", blob),
    }


def test_unchanged_worktree_snapshot_is_heads_tree(repo: RepoWithRemote) -> None:
    head_tree = repo.git("rev-parse", "HEAD^{tree}").stdout.strip()
    assert snapshot_tree(repo.path) == head_tree


def test_deleting_every_file_in_a_folder_drops_the_folder(repo: RepoWithRemote) -> None:
    repo.commit_file("only/one.txt", "x\n")
    (repo.path / "only/one.txt").unlink()
    assert set(tree_files(repo.path, snapshot_tree(repo.path))) == {"README.md"}


def test_unborn_repository(tmp_path: Path) -> None:
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "a.txt").write_text("a\n")
    assert tree_files(tmp_path, snapshot_tree(tmp_path)) == {"a.txt": (b"a\n", 0o100644)}


def test_not_a_repository(tmp_path: Path) -> None:
    with pytest.raises(SnapshotError, match="not inside a git repository"):
        snapshot_tree(tmp_path)


def test_commit_snapshot_makes_a_dangling_commit_on_the_base(repo: RepoWithRemote) -> None:
    base = repo.git("rev-parse", "HEAD").stdout.strip()
    (repo.path / "README.md").write_text("# changed\n")
    tree = snapshot_tree(repo.path)
    before = state(repo)
    commit = commit_snapshot(repo.path, tree, base, "loupe: snapshot")
    assert state(repo) == before
    assert repo.git("rev-parse", f"{commit}^").stdout.strip() == base
    assert repo.git("rev-parse", f"{commit}^{{tree}}").stdout.strip() == tree
    assert repo.git("show", f"{commit}:README.md").stdout == "# changed\n"
    with pytest.raises(SnapshotError, match="not in the repository"):
        commit_snapshot(repo.path, "0" * 40, base, "x")


def test_kept_snapshots_stay_reachable_after_gc(repo: RepoWithRemote) -> None:
    ref = "refs/loupe/agent/T1"
    (repo.path / "a.txt").write_text("one\n")
    first = snapshot_tree(repo.path, keep_ref=ref)
    (repo.path / "a.txt").write_text("two\n")
    second = snapshot_tree(repo.path, keep_ref=ref)
    assert snapshot_tree(repo.path, keep_ref=ref) == second  # unchanged: no new commit
    assert repo.git("rev-list", "--count", ref).stdout.strip() == "2"
    branches_before = repo.git("for-each-ref", "refs/heads").stdout
    repo.git("gc", "-q", "--prune=now")
    for tree in (first, second):
        assert repo.git("cat-file", "-t", tree).stdout.strip() == "tree"
    assert repo.git("for-each-ref", "refs/heads").stdout == branches_before
    with pytest.raises(ValueError, match="outside refs/heads"):
        snapshot_tree(repo.path, keep_ref="refs/heads/main")


def test_huge_untracked_trees_are_refused_and_big_files_skipped(
    repo: RepoWithRemote, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tui.agent import snapshot

    monkeypatch.setattr(snapshot, "MAX_FILE_BYTES", 10)
    (repo.path / "small.txt").write_text("ok\n")
    (repo.path / "big.bin").write_bytes(b"x" * 11)
    assert set(tree_files(repo.path, snapshot_tree(repo.path))) == {"README.md", "small.txt"}
    monkeypatch.setattr(snapshot, "MAX_CHANGED_PATHS", 1)
    with pytest.raises(SnapshotError, match="2 files differ from HEAD.*add generated folders to .gitignore"):
        snapshot_tree(repo.path)

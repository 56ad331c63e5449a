"""read_file, list_dir, grep_files and path confinement."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.fixtures.git import RepoWithRemote
from tui.agent import fs_tools
from tui.agent.errors import PathEscapeError, ToolError
from tui.agent.fs_tools import grep_files, list_dir, read_file
from tui.agent.paths import Workspace


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    root = tmp_path / "work"
    (root / "src/pkg").mkdir(parents=True)
    (root / "src/pkg/a.py").write_text("import os\n\ndef alpha():\n    return 'needle'\n")
    (root / "src/b.txt").write_text("nothing here\n")
    (root / "README.md").write_text("# title\nneedle in docs\n")
    (tmp_path / "secret.txt").write_text("needle outside\n")
    return Workspace(root)


def test_read_file_numbers_lines_and_pages(ws: Workspace) -> None:
    assert read_file(ws, "src/pkg/a.py") == "L1: import os\nL2: \nL3: def alpha():\nL4:     return 'needle'"
    assert read_file(ws, str(ws.root / "src/pkg/a.py"), offset=3, limit=1) == (
        "L3: def alpha():\n(more lines follow; continue with offset=4)"
    )


def test_read_file_mistakes_are_explained(ws: Workspace) -> None:
    with pytest.raises(ToolError, match="exceeds the file's length \\(4 lines\\)"):
        read_file(ws, "src/pkg/a.py", offset=10)
    with pytest.raises(ToolError, match="does not exist"):
        read_file(ws, "nope.py")
    with pytest.raises(ToolError, match="is a directory"):
        read_file(ws, "src")
    (ws.root / "blob.bin").write_bytes(b"\x00\x01\x02")
    with pytest.raises(ToolError, match="binary"):
        read_file(ws, "blob.bin")


def test_read_file_truncates_long_lines_and_survives_bad_bytes(ws: Workspace) -> None:
    (ws.root / "long.txt").write_bytes(b"x" * 600 + b"\n\xff\xfeok\n")
    out = read_file(ws, "long.txt").splitlines()
    assert out[0] == "L1: " + "x" * 500 + " [line truncated]"
    assert out[1] == "L2: \ufffd\ufffdok"


def test_list_dir_tree_depth_and_limit(ws: Workspace) -> None:
    (ws.root / ".git").mkdir()
    (ws.root / ".git/HEAD").write_text("ref\n")
    os.symlink("README.md", ws.root / "link.md")
    assert list_dir(ws, ".", depth=3).splitlines() == [
        f"Absolute path: {ws.root}",
        ".git/",
        "README.md",
        "link.md@",
        "src/",
        "  b.txt",
        "  pkg/",
        "    a.py",
    ]
    assert list_dir(ws, "src", depth=1).splitlines()[1:] == ["b.txt", "pkg/"]
    page = list_dir(ws, ".", depth=3, limit=2, offset=2).splitlines()
    assert page[1:] == ["README.md", "link.md@", "More than 3 entries found; continue with offset=4"]


def test_paths_escaping_are_refused_everywhere(ws: Workspace, tmp_path: Path) -> None:
    os.symlink(tmp_path / "secret.txt", ws.root / "innocent.txt")
    os.symlink(tmp_path, ws.root / "up")
    for bad in ("../secret.txt", str(tmp_path / "secret.txt"), "innocent.txt", "up/secret.txt", "src/../../secret.txt"):
        with pytest.raises(PathEscapeError, match="outside the working directory"):
            read_file(ws, bad)
    with pytest.raises(PathEscapeError, match="through a symlink"):
        read_file(ws, "innocent.txt")
    with pytest.raises(PathEscapeError):
        list_dir(ws, "..")
    with pytest.raises(PathEscapeError):
        grep_files(ws, "needle", path="up")
    # A symlink that stays inside is fine.
    os.symlink("src/pkg/a.py", ws.root / "alias.py")
    assert read_file(ws, "alias.py", limit=1).startswith("L1: import os")


@pytest.fixture(params=["python", "rg"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "rg":
        if shutil.which("rg") is None:
            pytest.skip("ripgrep is not installed; the pure-Python search covers the same cases")
    else:
        monkeypatch.setattr(fs_tools.shutil, "which", lambda name: None)
    return request.param


def test_grep_files_lists_matching_files_newest_first(ws: Workspace, backend: str) -> None:
    os.utime(ws.root / "README.md", (1_000_000, 1_000_000))
    assert grep_files(ws, r"needl[e]").splitlines() == ["src/pkg/a.py", "README.md"]
    assert grep_files(ws, "needle", include="*.md") == "README.md"
    assert grep_files(ws, "needle", include="*.{py,rs}") == "src/pkg/a.py"
    assert grep_files(ws, "needle", path="src") == "src/pkg/a.py"
    assert grep_files(ws, "absent-word") == "No matches found."
    assert grep_files(ws, "needle", limit=1).splitlines()[1].startswith("(more than 1 files match")


def test_grep_files_skips_hidden_ignored_and_binary_files(repo: RepoWithRemote, backend: str) -> None:
    root = repo.path
    (root / ".gitignore").write_text("build/\n*.log\n")
    (root / "build").mkdir()
    (root / "build/out.txt").write_text("needle\n")
    (root / "debug.log").write_text("needle\n")
    (root / ".hidden.txt").write_text("needle\n")
    (root / "data.bin").write_bytes(b"\x00needle")
    (root / "kept.txt").write_text("needle\n")
    assert grep_files(Workspace(root), "needle") == "kept.txt"


def test_grep_files_bad_regex(ws: Workspace, backend: str) -> None:
    with pytest.raises(ToolError, match="(invalid regular expression|regex parse error)"):
        grep_files(ws, "(unclosed")

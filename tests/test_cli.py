from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tui import __version__


def loupe(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tui", *args], capture_output=True, text=True, cwd=cwd, timeout=60
    )


def test_version() -> None:
    result = loupe("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"loupe {__version__}"


def test_help_lists_usage() -> None:
    result = loupe("--help")
    assert result.returncode == 0
    assert "loupe [PATH]" in result.stdout
    assert "--agent" in result.stdout


def test_agent_prints_markdown() -> None:
    result = loupe("--agent")
    assert result.returncode == 0
    assert result.stdout.startswith("# loupe")
    assert "Exit codes" in result.stdout
    # Every subcommand documents itself there, the built-in agent included.
    assert "## loupe agent" in result.stdout and "--thread ID" in result.stdout


def test_missing_path_exits_2_with_message(tmp_path: Path) -> None:
    result = loupe(str(tmp_path / "nope"))
    assert result.returncode == 2
    assert result.stdout == ""
    assert "no such file or folder" in result.stderr
    assert result.stderr.startswith("loupe: ")


def test_a_mistyped_subcommand_is_named(tmp_path: Path) -> None:
    result = loupe("sesion", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "loupe: sesion: no such file or folder; did you mean `loupe session`?"


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read anything")
def test_unreadable_folder_exits_2(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0)
    try:
        result = loupe(str(locked))
    finally:
        locked.chmod(0o755)
    assert result.returncode == 2
    assert "permission denied" in result.stderr


@pytest.mark.parametrize("kind", ["folder", "file"])
def test_permission_denied_exits_2_before_the_app_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    # Root reads anything, so access is denied the way the kernel would answer a normal user:
    # the real check (os.access) says no for this one path.
    from tui import cli

    target = tmp_path / "locked"
    if kind == "folder":
        target.mkdir()
    else:
        target.write_text("# Locked\n")
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda path, mode, **kw: False if Path(path) == target else real_access(path, mode, **kw))
    assert cli.main([str(target)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("loupe: ") and "permission denied" in err
    assert err.count("\n") == 1


def test_unknown_option_exits_2() -> None:
    result = loupe("--frobnicate")
    assert result.returncode == 2
    assert "unrecognized arguments" in result.stderr


def test_demo_opens_on_its_tasks_and_quits_cleanly(tmp_path: Path) -> None:
    from tests.pty_app import run_until
    from tui import locations

    _, code = run_until(["--demo"], [b"Tasks 3", b"Retries with"], cwd=tmp_path)
    assert code == 0
    assert (locations.demo_dir() / ".loupe" / "tasks" / "retry-backoff" / "05-plan.md").is_file()


def test_markdown_file_argument_opens_it_in_a_pane(tmp_path: Path) -> None:
    from tests.fixtures.git import git
    from tests.fixtures.tasks import make_tasks_workspace
    from tests.pty_app import run_until

    root = make_tasks_workspace(tmp_path / "quarry")
    git(tmp_path, "init", "-q", str(root))
    artifact = ".loupe/tasks/retry-backoff/02-research.md"
    # The tab title is the file name; "Failures are final" is the document's text.
    _, code = run_until([artifact], [b"02-research.md", b"Failures are final"], cwd=root)
    assert code == 0

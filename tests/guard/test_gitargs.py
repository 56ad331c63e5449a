"""The guard reads git command lines exactly as git does; checked against the real git."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.git import RepoWithRemote
from tui.guard.gitargs import SplitError, parse_bool, parse_push, split_cmdline, split_globals, unresolved_is_sensitive

REAL_GIT = shutil.which("git") or "/usr/bin/git"


@pytest.mark.parametrize(
    ("argv", "globals_", "command", "args"),
    [
        (["push", "-f"], [], "push", ["-f"]),
        (["-C", "x", "-c", "a.b=c", "push"], ["-C", "x", "-c", "a.b=c"], "push", []),
        (["--git-dir=.git", "--work-tree", ".", "pf", "o"], ["--git-dir=.git", "--work-tree", "."], "pf", ["o"]),
        (["--config-env", "a.b=V", "-p", "--no-pager", "log"], ["--config-env", "a.b=V", "-p", "--no-pager"], "log", []),
        (["--help", "push"], [], "help", ["push"]),
        (["-v"], [], "version", []),
        (["-c", "push"], ["-c", "push"], None, []),  # -c takes "push" as its value
    ],
)
def test_split_globals(argv: list[str], globals_: list[str], command: str | None, args: list[str]) -> None:
    line = split_globals(argv)
    assert (line.globals, line.command, line.args) == (globals_, command, args)


def test_split_globals_flags_exec_path_and_unknown_options() -> None:
    assert split_globals(["--exec-path=/x", "push"]).exec_path == "/x"
    assert split_globals(["--exec-path", "push"]).exec_path is None
    newer = split_globals(["--no-advice", "push", "-f"])  # a git 2.46 option
    assert (newer.unknown_options, newer.globals, newer.command) == (["--no-advice"], ["--no-advice"], "push")
    assert split_globals(["-C"]).command is None
    valued = split_globals(["--attr-source", "HEAD", "push"], unknown_takes_value=True)
    assert (valued.globals, valued.command) == (["--attr-source", "HEAD"], "push")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("push -f", ["push", "-f"]),
        ("push  --force   origin", ["push", "--force", "origin"]),
        ("-c 'a.b=x y' push", ["-c", "a.b=x y", "push"]),
        ('push "a\\"b" c\\ d', ["push", 'a"b', "c d"]),
        ("push 'a\\b'", ["push", "a\\b"]),
    ],
)
def test_split_cmdline(text: str, words: list[str]) -> None:
    assert split_cmdline(text) == words


@pytest.mark.parametrize("text", ["push 'open", "push \\"])
def test_split_cmdline_rejects_what_git_rejects(text: str) -> None:
    with pytest.raises(SplitError):
        split_cmdline(text)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, True), ("true", True), ("Yes", True), ("on", True), ("1", True), ("0", False),
     ("false", False), ("no", False), ("off", False), ("", False), ("maybe", True)],
)
def test_parse_bool(value: str | None, expected: bool) -> None:
    assert parse_bool(value) is expected


def test_parse_push_reads_values_and_positionals() -> None:
    push = parse_push(["-o", "ci.skip", "--repo", "up", "-uf", "origin", "main", "--exec=rp"])
    assert push.positionals == ["origin", "main"]
    assert push.target == "origin"
    assert push.receive_pack == "rp"
    assert parse_push(["--repo=up"]).target == "up"
    assert parse_push(["-ofoo", "origin"]).positionals == ["origin"]  # -o takes the rest of its bundle
    assert parse_push(["--", "--no-verify"]).no_verify is False
    assert parse_push(["--end-of-options", "--mirror"]).mirror is False
    assert parse_push(["-o"]).unresolved == "-o"


def test_unresolved_sensitive_words_are_flagged() -> None:
    assert unresolved_is_sensitive(parse_push(["--no-v"]))  # ambiguous: --no-verify or --no-verbose
    assert unresolved_is_sensitive(parse_push(["--mirror=yes"]))
    assert not unresolved_is_sensitive(parse_push(["--frobnicate"]))


# Spellings compared with what git 2.39 itself makes of them.
SPELLINGS = [
    "--no-verify", "--no-verif", "--no-veri", "--no-ver", "--no-ve", "--no-v", "--no-", "--no", "--n",
    "--verify", "--no-no-verify", "--no-verify=1", "--mirror", "--mirro", "--mir", "--mi", "--m",
    "--no-mirror", "--no-mir", "--mirror=1", "--dry-run", "--dry", "--dr", "--d", "--de", "--force",
    "--forc", "--fo", "--force-w", "--force-with-lease=main", "--force-i", "--no-force", "--thin",
    "--th", "--no-th", "--sig=no", "--signed", "--at", "--atomic", "--ipv4", "--ip", "--prune",
    "--pr", "--p", "--porc", "--progress", "--tags", "--ta", "--follow", "--rec=no", "--no-rec",
    "-n", "-nf", "-fn", "-vn", "-q", "-of", "-4", "-x", "--push-option=a", "--no-push-option", "--repo=origin",
]


@pytest.fixture
def hooked(repo: RepoWithRemote) -> RepoWithRemote:
    hook = repo.path / ".git" / "hooks" / "pre-push"
    hook.write_text("#!/bin/sh\ntouch hook-ran\n")  # hooks run in the worktree top
    hook.chmod(0o755)
    return repo


def git_reading(repo: RepoWithRemote, spelling: str) -> tuple[bool, bool, bool]:
    """(git rejected the option, the pre-push hook was skipped, --mirror was in effect)."""
    marker = repo.path / "hook-ran"
    marker.unlink(missing_ok=True)
    result = subprocess.run(
        [REAL_GIT, "push", spelling, "--dry-run", "origin", "HEAD:refs/heads/probe"],
        cwd=repo.path, capture_output=True, text=True,
    )
    rejected = result.returncode == 129
    mirror = "--mirror can't be combined with refspecs" in result.stderr
    skipped = not rejected and not mirror and result.returncode == 0 and not marker.exists()
    return rejected, skipped, mirror


def test_push_options_are_read_exactly_as_git_reads_them(hooked: RepoWithRemote) -> None:
    # The probe itself tells the three readings apart.
    assert git_reading(hooked, "--no-veri") == (False, True, False)
    assert git_reading(hooked, "--mir") == (False, False, True)
    assert git_reading(hooked, "--no-v") == (True, False, False)
    assert git_reading(hooked, "--verify") == (False, False, False)
    mismatches = []
    for spelling in SPELLINGS:
        rejected, skipped, mirror = git_reading(hooked, spelling)
        ours = parse_push([spelling, "--dry-run", "origin", "HEAD:refs/heads/probe"])
        if (ours.unresolved is not None, ours.no_verify, ours.mirror) != (rejected, skipped, mirror):
            guard = (ours.unresolved, ours.no_verify, ours.mirror)
            mismatches.append((spelling, "git:", (rejected, skipped, mirror), "guard:", guard))
    assert mismatches == []

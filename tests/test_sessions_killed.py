"""`loupe session rm` and `land` killed half way, then run again: nothing is lost, nothing is
left half done, and whatever the kill left behind is found and explained.

Each test runs the real CLI in its own process group and SIGKILLs the group at a known step:
a test-only pause point (`tui.sessions.pausepoints`) or a git filter that blocks mid-checkout.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.fixtures.sessions import SessionsHarness
from tests.helpers import wait_for
from tui import locations
from tui.locations import loupe_command
from tui.sessions import pausepoints
from tui.sessions.errors import LandRefused
from tui.sessions.model import Session
from tui.sessions.status_file import State

pytestmark = pytest.mark.slow


@pytest.fixture
def cli_config(sessions: SessionsHarness) -> None:
    config = locations.user_config_file()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'[sessions]\ntmux_socket = "{sessions.socket}"\n')


def loupe(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*loupe_command(), "session", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


@contextmanager
def killed_when(marker: Path, cwd: Path, *args: str, env: dict[str, str] | None = None) -> Iterator[None]:
    """Run `loupe session ARGS`, wait until `marker` exists, then SIGKILL its process group."""
    process = subprocess.Popen([*loupe_command(), "session", *args], cwd=cwd, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        wait_for(lambda: marker.exists() or process.poll() is not None,
                 f"loupe session {' '.join(args)} to reach {marker.name}", timeout=60)
        assert marker.exists(), f"it ended first: {process.communicate()}"
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass  # the whole group had already ended
        process.communicate()
    yield


def _exited(sessions: SessionsHarness, body: str) -> Session:
    session = sessions.start(sessions.script_kind("once", body))
    sessions.wait_state(session, State.EXITED)
    return session


def test_rm_killed_while_deleting_then_run_again_loses_nothing(
        sessions: SessionsHarness, cli_config: None, tmp_path: Path) -> None:
    session = _exited(sessions, "exit 0\n")
    # Killed while the folder is being deleted: NOTES.md is gone from the worktree by then.
    (session.worktree / "NOTES.md").write_text("the only copy of the plan\n")
    (session.worktree / "zeta.txt").write_text("still here after the kill\n")
    notes_blob = sessions.repo.git("hash-object", str(session.worktree / "NOTES.md")).stdout.strip()
    marker = tmp_path / "paused"
    env = {**os.environ, pausepoints.STEP_ENV: "remove:deleting", pausepoints.MARKER_ENV: str(marker)}
    with killed_when(marker, sessions.repo.path, "rm", session.id, "--force", env=env):
        assert not (session.worktree / "NOTES.md").exists()

    again = loupe(sessions.repo.path, "rm", session.id, "--force")
    assert again.returncode == 0, again.stderr
    ref = f"refs/loupe/removed/{session.id}"
    assert ref in again.stdout
    reachable = sessions.repo.git("rev-list", "--objects", "--all").stdout
    assert notes_blob in reachable, "the first save is reachable from no ref"
    assert sessions.repo.git("show", f"{ref}:zeta.txt").stdout == "still here after the kill\n"
    assert not session.worktree.exists()
    assert sessions.manager.sessions() == []


HOLD_FILTER = "if [ -e {hold} ]; then : > {marker}; cat {fifo} > /dev/null; fi; cat"


def _committing(sessions: SessionsHarness) -> Session:
    return _exited(sessions, "echo one > a.txt\necho two > b.txt\necho agent >> README.md\n"
                             "git add a.txt b.txt README.md\ngit commit -q -m 'three files'\n")


def test_land_killed_mid_checkout_then_run_again_lands_once(
        sessions: SessionsHarness, cli_config: None, tmp_path: Path) -> None:
    session = _committing(sessions)
    main = sessions.repo
    before = main.git("rev-parse", "main").stdout.strip()
    # b.txt's smudge filter blocks while the flag exists: git has written a.txt by then.
    hold, marker, fifo = tmp_path / "hold", tmp_path / "smudging", tmp_path / "fifo"
    hold.touch()
    os.mkfifo(fifo)
    (main.path / ".git" / "info" / "attributes").write_text("b.txt filter=hold\n")
    main.git("config", "filter.hold.smudge", HOLD_FILTER.format(hold=hold, marker=marker, fifo=fifo))
    readme = (main.path / "README.md").read_text()
    with killed_when(marker, main.path, "land", session.id):
        pass
    assert (main.path / "a.txt").exists() and (main.path / ".git" / "index.lock").exists()
    assert (main.path / "README.md").read_text() != readme
    hold.unlink()

    dry = loupe(main.path, "land", session.id, "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "interrupted" in dry.stdout
    assert (main.path / "a.txt").exists(), "a dry run changes nothing"
    # A land that is then refused still puts back what the killed one left: not landed at all.
    refused = loupe(main.path, "land", session.id, "--onto", "no-such-branch")
    assert refused.returncode == 1 and "put back" in refused.stderr, refused.stderr
    assert main.git("rev-parse", "main").stdout.strip() == before
    assert main.git("status", "--porcelain").stdout == ""
    assert (main.path / "README.md").read_text() == readme
    assert not (main.path / ".git" / "index.lock").exists()

    again = loupe(main.path, "land", session.id)
    assert again.returncode == 0, again.stderr
    assert main.git("rev-list", "--count", f"{before}..main").stdout.strip() == "2"
    assert main.git("show", "main:b.txt").stdout == "two\n"
    assert (main.path / "README.md").read_text() == readme + "agent\n"
    assert main.git("status", "--porcelain").stdout == ""
    assert not (main.path / ".git" / "index.lock").exists()
    assert (main.path / "b.txt").read_text() == "two\n"


def test_land_paused_after_git_finished_is_recognised_as_done(
        sessions: SessionsHarness, cli_config: None, tmp_path: Path) -> None:
    session = _committing(sessions)
    marker = tmp_path / "paused"
    env = {**os.environ, pausepoints.STEP_ENV: "land:moved", pausepoints.MARKER_ENV: str(marker)}
    with killed_when(marker, sessions.repo.path, "land", session.id, env=env):
        pass
    landed = sessions.repo.git("rev-parse", "main").stdout.strip()
    again = loupe(sessions.repo.path, "land", session.id)
    assert "finished" in again.stdout + again.stderr
    assert "Nothing to land" in again.stderr
    assert sessions.repo.git("rev-parse", "main").stdout.strip() == landed
    assert sessions.repo.git("status", "--porcelain").stdout == ""


def test_a_stale_index_lock_is_explained_in_one_line(sessions: SessionsHarness) -> None:
    session = _committing(sessions)
    lock = sessions.repo.path / ".git" / "index.lock"
    lock.touch()
    before = sessions.repo.git("rev-parse", "main").stdout
    with pytest.raises(LandRefused) as refused:
        sessions.manager.land(session)
    message = str(refused.value)
    assert "\n" not in message and str(lock) in message and "Nothing was landed" in message
    assert sessions.repo.git("rev-parse", "main").stdout == before
    assert lock.exists(), "someone else's lock is never deleted"
    lock.unlink()
    sessions.manager.land(session)
    assert sessions.repo.git("status", "--porcelain").stdout == ""

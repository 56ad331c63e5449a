"""The app tells the user when the guard refused an agent's push, and lists every refusal."""

from __future__ import annotations

import asyncio
import os
import subprocess
from pathlib import Path

from textual.widgets import DataTable, Static

from tests.fixtures.git import RepoWithRemote
from tests.helpers import wait_until
from tui.app import LoupeApp
from tui.dialogs.guard_log import EMPTY, AuditScreen
from tui.guard.install import install
from tui.services import Services
from tui.sessions.model import Session
from tui.sessions.store import SessionStore
from tui.views.guard import GuardView
from tui.workspace import open_workspace


def refused_push(guard_bin: Path, repo: RepoWithRemote, session: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PATH": f"{guard_bin}{os.pathsep}{os.environ['PATH']}", "LOUPE_SESSION": session}
    return subprocess.run(
        ["git", "push", "-f", "origin", "main"], cwd=repo.path, env=env, capture_output=True, text=True, timeout=60
    )


def known_session(repo: RepoWithRemote, session_id: str, agent: str, task: str) -> Session:
    """A session in loupe's session store, as `loupe session start` records it."""
    session = Session(
        id=session_id, repo=repo.path, number=0, agent=agent, status_source="screen", task=task,
        branch=f"loupe/{task}", worktree=repo.path, worktree_name=task, base_commit="0" * 40,
        base_branch="main", tmux_socket="loupe", port_base=0,
    )
    return SessionStore().add(session, port_start=43000, port_free=lambda base: True)


async def test_refusal_is_notified_naming_the_session_and_listed(tmp_path: Path, repo: RepoWithRemote) -> None:
    guard_bin = install(tmp_path / "guard")  # audit log in the data folder, which the app follows
    known = known_session(repo, "agent-7", "claude", "fix-tests")
    repo.git("commit", "-q", "--amend", "-m", "rewritten")
    app = LoupeApp(open_workspace(repo.path), remember_theme=False)
    async with app.run_test(size=(110, 32)) as pilot:
        await wait_until(pilot, app.services.guard.following.is_set, "the guard view follows the audit log")
        result = await asyncio.to_thread(refused_push, guard_bin, repo, "agent-7")
        assert result.returncode == 1
        # Named as the session grid names it: number, agent kind and task.
        name = f"Session {known.number} (claude · fix-tests)"
        await wait_until(
            pilot,
            lambda: any(name in n.message for n in app._notifications),
            f"a notification naming {name}",
        )
        [note] = [n for n in app._notifications if name in n.message]
        assert "git push -f origin main" in note.message
        assert "(main rewritten)" in note.message
        assert note.severity == "error"

        await pilot.press("ctrl+g")
        await wait_until(pilot, lambda: isinstance(app.screen, AuditScreen), "the guard log opens")
        table = app.screen.query_one(DataTable)
        await wait_until(pilot, lambda: table.row_count == 1, "one refusal listed")
        assert "agent-7" in str(table.get_row_at(0)[1])
        detail = str(app.screen.query_one("#audit-detail", Static).render())
        assert "refs/heads/main" in detail and "commits on the remote would be lost" in detail

        # A second refusal while the log is open shows up in it.
        await asyncio.to_thread(refused_push, guard_bin, repo, "agent-8")
        await wait_until(pilot, lambda: table.row_count == 2, "the open log picks up the new refusal")
        assert "agent-8" in str(table.get_row_at(0)[1])  # newest first
        # A session the store does not know is named by its id.
        await wait_until(
            pilot, lambda: any("Session agent-8:" in n.message for n in app._notifications),
            "a notification naming the unknown session by its id",
        )
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, AuditScreen), "the guard log closes")


async def test_empty_log_and_palette_command(tmp_path: Path) -> None:
    app = LoupeApp(open_workspace(tmp_path), remember_theme=False)
    async with app.run_test(size=(100, 30)) as pilot:
        view = app.screen.query_one(GuardView)
        titles = [title for title, _help, _callback in view.palette_commands()]
        assert titles == ["Guard: show refused pushes"]
        [(_title, _help, callback)] = view.palette_commands()
        callback()
        await wait_until(pilot, lambda: isinstance(app.screen, AuditScreen), "the guard log opens")
        empty = app.screen.query_one("#audit-empty", Static)
        await wait_until(pilot, lambda: str(empty.render()) == EMPTY, "the empty state is explained")
        assert not app.screen.query_one(DataTable).display


async def test_an_unusable_log_folder_is_reported_and_the_app_keeps_running(tmp_path: Path) -> None:
    # Running as root, permissions cannot make the folder unusable; a file in its place can.
    (tmp_path / "not-a-folder").write_text("")
    workspace = open_workspace(tmp_path)
    services = Services(workspace, audit_log=tmp_path / "not-a-folder" / "audit.jsonl")
    app = LoupeApp(workspace, remember_theme=False, services=services)
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(
            pilot,
            lambda: any("Cannot follow the git guard's log" in n.message for n in app._notifications),
            "a warning that refusals will not be announced",
        )
        await pilot.press("ctrl+b")  # still responsive

"""The session grid in the app (Pilot), with real tmux sessions running scripted agents."""

from __future__ import annotations

import contextlib
import os
import pty
from pathlib import Path

import pytest

from tests.fixtures.sessions import SessionsHarness
from tests.helpers import shows, wait_for, wait_until
from tui.app import LoupeApp
from tui.config import AgentKindConfig
from tui.dialogs.confirm import ConfirmScreen
from tui.dialogs.send_text import SendMessageScreen
from tui.dialogs.sessions import NewSessionScreen, QuitSessionsScreen
from tui.sessions.status import strip_ansi
from tui.sessions.status_file import State
from tui.views.session_diff import SessionDiffPane
from tui.views.sessions import SessionsView
from tui.workspace import open_workspace
from widgets.diff_view import DiffView
from widgets.session_tile import SessionTile

pytestmark = pytest.mark.slow

ASKER = """\
echo "thinking about $LOUPE_TASK"
printf 'Overwrite config? [y/n] '
read answer
echo "answer was $answer" > answer.txt
printf 'And the tests? [y/n] '
read again
echo "second answer $again"
read rest
"""


def make_app(sessions: SessionsHarness) -> LoupeApp:
    script = sessions.scripts / "asker.sh"
    script.write_text(ASKER)
    workspace = open_workspace(sessions.repo.path)
    workspace.config.sessions.tmux_socket = sessions.socket
    workspace.config.sessions.default_agent = "asker"
    workspace.config.agents["asker"] = AgentKindConfig(command=f"sh {script}")
    sessions.manager.kinds["asker"] = sessions.manager.kinds["shell"].__class__("asker", f"sh {script}")
    return LoupeApp(workspace, remember_theme=False)


def view_of(app: LoupeApp) -> SessionsView:
    return app.screen_stack[0].query_one(SessionsView)


def tile_of(app: LoupeApp, session_id: str) -> SessionTile | None:
    found = app.screen_stack[0].query(f"#tile-{session_id}")
    return found.first(SessionTile) if found else None


def notifications_about(app: LoupeApp, number: int) -> list[str]:
    return [n.title for n in app._notifications if n.title == f"Session {number} (asker) needs you"]


async def test_grid_shows_status_count_and_one_notification_per_wait(sessions: SessionsHarness) -> None:
    app = make_app(sessions)
    first = sessions.start("asker", task="first")
    second = sessions.start("asker", task="second")
    for session in (first, second):
        sessions.wait_state(session, State.NEEDS_INPUT)
    bells: list[int] = []
    async with app.run_test(size=(150, 44)) as pilot:
        app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
        await wait_until(pilot, lambda: tile_of(app, first.id) and tile_of(app, second.id), "two tiles")
        tile = tile_of(app, first.id)
        await wait_until(pilot, lambda: tile.has_class("-needs-input"), "tile 0 to need the user")
        await wait_until(pilot, lambda: tile_of(app, second.id).has_class("-needs-input"), "tile 1 too")
        assert "NEEDS YOU" in str(tile.border_subtitle)
        assert "0 asker · first" in str(tile.border_title)
        assert "thinking about first" in strip_ansi(tile.data.screen)
        # Both were already waiting when loupe started: counted, not announced.
        assert app.screen_stack[0].title == "loupe · 2 NEED YOU"
        assert notifications_about(app, 0) == [] and bells == []

        # A new wait (after answering) is announced once, however many polls see it.
        sessions.manager.send([first], "y")
        await wait_until(pilot, lambda: notifications_about(app, 0), "a notification for session 0")
        for _ in range(8):  # more polls of the same wait
            await pilot.pause(0.15)
        assert len(notifications_about(app, 0)) == 1
        assert len(bells) == 1
        (announced,) = [n for n in app._notifications if n.title.startswith("Session 0")]
        assert "And the tests?" in announced.message

        sessions.manager.send([first, second], "n")
        await wait_until(pilot, lambda: app.screen_stack[0].title is None, "nobody waiting")
        await wait_until(pilot, lambda: tile.has_class("-idle"), "tile 0 idle")
        await wait_until(pilot, lambda: tile.data.added is not None, "a diff size on the tile")
        assert (tile.data.added, tile.data.removed) == (1, 0)


async def test_new_session_dialog_starts_and_reports_errors(sessions: SessionsHarness) -> None:
    app = make_app(sessions)
    async with app.run_test(size=(150, 44)) as pilot:
        view = view_of(app)
        await wait_until(pilot, lambda: view.manager is not None, "the view to connect")
        view.focus()
        await pilot.press("n")
        await wait_until(pilot, lambda: shows(app, NewSessionScreen), "the dialog")
        dialog = app.screen
        dialog.query_one("#task").value = "from dialog"
        dialog.query_one("#base").value = "no-such-branch"
        await pilot.press("ctrl+s")
        error = dialog.query_one("#error")
        await wait_until(pilot, lambda: error.display, "the error in the dialog")
        assert "no-such-branch" in str(error.render())
        assert isinstance(app.screen, NewSessionScreen)  # nothing typed is lost
        assert dialog.query_one("#task").value == "from dialog"
        dialog.query_one("#base").value = "main"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, NewSessionScreen), "the dialog to close")
        await wait_until(pilot, lambda: view.tiles(), "the new tile")
        await wait_until(pilot, lambda: app.focused is view.tiles()[0], "the new tile to get focus")
        (session,) = sessions.manager.sessions()
        assert session.task == "from dialog" and session.branch == "loupe/from-dialog/1"


async def test_send_broadcast_and_queue_from_the_grid(sessions: SessionsHarness) -> None:
    app = make_app(sessions)
    one = sessions.start("asker", task="one")
    two = sessions.start("asker", task="two")
    async with app.run_test(size=(150, 44)) as pilot:
        view = view_of(app)
        await wait_until(pilot, lambda: len(view.tiles()) == 2, "two tiles")
        tile_of(app, two.id).focus()
        await pilot.press("space")  # mark session 1 only
        await pilot.press("b")
        await wait_until(pilot, lambda: shows(app, SendMessageScreen), "the send dialog")
        assert "sessions 1: marked" in str(app.screen.query_one(".dialog-title").render())
        await pilot.press(*"yes", "ctrl+s")
        wait_for(lambda: (two.worktree / "answer.txt").exists(), "session 1 to get the answer")
        assert not (one.worktree / "answer.txt").exists()

        tile_of(app, one.id).focus()
        await pilot.press("s")
        await wait_until(pilot, lambda: shows(app, SendMessageScreen), "the send dialog")
        app.screen.query_one("#when-idle").value = True
        await pilot.press(*"ok", "ctrl+s")
        # Session 0 is waiting for an answer (needs input), not idle: the text waits.
        await wait_until(pilot, lambda: tile_of(app, one.id).data.queued == 1, "1 queued on the tile")
        assert not (one.worktree / "answer.txt").exists()


async def test_enter_attaches_and_detaching_returns(sessions: SessionsHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(sessions)
    session = sessions.start("asker", task="attach me")
    attached: list[int] = []

    def attach_in_a_pty(argv: list[str], env: dict[str, str]) -> int:
        """Stand-in for the terminal: a pty running `tmux attach`, then the user detaches."""
        pid, fd = pty.fork()
        if pid == 0:
            os.execve(argv[0], argv, {**env, "TERM": "xterm-256color"})
        tmux = sessions.manager.tmux(session.tmux_socket)
        try:
            wait_for(lambda: tmux.list_panes()[session.tmux_session].attached == 1, "the client")
            attached.append(1)
            tmux.run("detach-client", "-s", f"={session.tmux_session}")
            _, status = os.waitpid(pid, 0)
        finally:
            os.close(fd)
        return os.WEXITSTATUS(status)

    async with app.run_test(size=(150, 44)) as pilot:
        monkeypatch.setattr(app, "suspend", contextlib.nullcontext)
        view = view_of(app)
        view.attach_runner = attach_in_a_pty
        await wait_until(pilot, lambda: view.tiles(), "the tile")
        view.tiles()[0].focus()
        await pilot.press("enter")
        await pilot.pause()
        assert attached == [1]
        assert app.screen is app.screen_stack[0] and app.focused is view.tiles()[0]
        assert sessions.snapshot(session).live


async def test_diff_tab_land_and_remove_confirmations(sessions: SessionsHarness) -> None:
    app = make_app(sessions)
    kind = sessions.script_kind("committer", "echo hi > hi.txt\ngit add hi.txt\ngit commit -q -m hi\n"
                                             "echo loose > loose.txt\nread x\n")
    session = sessions.start(kind, task="review me")
    wait_for(lambda: (session.worktree / "loose.txt").exists(), "the agent's work")
    async with app.run_test(size=(150, 44)) as pilot:
        view = view_of(app)
        await wait_until(pilot, lambda: view.tiles(), "the tile")
        view.tiles()[0].focus()
        await pilot.press("d")
        await wait_until(pilot, lambda: app.screen.query(SessionDiffPane), "the diff tab")
        pane = app.screen.query_one(SessionDiffPane)
        await wait_until(pilot, lambda: "+2 -0 in 2 file(s)" in str(pane.query_one(".diff-summary").render()),
                         "the diff summary")
        options = pane.query_one(DiffView).query("OptionList").first()
        assert options.option_count == 2

        view.tiles()[0].focus()
        await pilot.press("L")
        await wait_until(pilot, lambda: shows(app, ConfirmScreen), "the land confirmation")
        body = str(app.screen.query_one(".dialog-body").render())
        assert "Merge 1 commit from loupe/review-me/1 into main" in body
        assert "Not included: 1 uncommitted" in body and "loose.txt" in body
        await pilot.press("y")
        wait_for(lambda: sessions.repo.git("show", "main:hi.txt", check=False).returncode == 0, "landed")

        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen), "the dialog to close")
        view.tiles()[0].focus()
        await pilot.press("delete")
        await wait_until(pilot, lambda: shows(app, ConfirmScreen), "the remove confirmation")
        body = str(app.screen.query_one(".dialog-body").render())
        assert "still running" in body and "untracked file: loose.txt" in body
        assert f"refs/loupe/removed/{session.id}" in body
        await pilot.press("n")  # refused: everything stays
        assert session.worktree.exists()


async def test_more_than_three_tiles_wrap_and_scroll_and_z_maximises(sessions: SessionsHarness) -> None:
    app = make_app(sessions)
    kind = sessions.script_kind("still", "echo \"I am $LOUPE_TASK\"\nread x\necho \"got $x\"\nread y\n")
    started = [sessions.start(kind, task=f"s{n}") for n in range(7)]
    async with app.run_test(size=(150, 44)) as pilot:
        view = view_of(app)
        await wait_until(pilot, lambda: len(view.tiles()) == 7 and view.monitor is not None, "seven tiles")
        await pilot.pause()
        tiles = {t.session_id: t for t in view.tiles()}
        first, fourth, seventh = (tiles[started[n].id] for n in (0, 3, 6))
        # Three per row; the fourth starts a second row under the first.
        assert fourth.region.x == first.region.x and fourth.region.y > first.region.y
        assert len({tiles[s.id].region.y for s in started[:3]}) == 1
        grid = view.query_one("#session-grid")
        # Two rows fill the grid; the third is reached by scrolling, and is not captured
        # while out of view.
        assert not seventh.region.overlaps(grid.region)
        await wait_until(pilot, lambda: view.monitor._visible == {s.id for s in started[:6]},
                         "only the six tiles in view to be captured")
        # Out of view, its screen is still followed (for its state), but no preview is drawn.
        sessions.manager.send([started[6]], "hello")
        await wait_until(pilot, lambda: "got hello" in strip_ansi(seventh.data.screen), "the hidden screen")
        assert seventh.preview == ()
        seventh.focus()
        await wait_until(pilot, lambda: seventh.region.overlaps(grid.region), "the grid to scroll to it")
        await wait_until(pilot, lambda: started[6].id in view.monitor._visible, "the seventh to be captured")
        # In view, the tile draws its preview for its size.
        await wait_until(pilot, lambda: any("got hello" in strip.text for strip in seventh.preview),
                         "the seventh tile's preview")
        await wait_until(pilot, lambda: seventh.preview_size == tuple(seventh.content_size),
                         "its preview prepared for its own size (columns can differ by a cell)")

        await pilot.press("z")
        await wait_until(pilot, lambda: app.screen.maximized is seventh, "the tile to be maximised")
        assert seventh.region.width > 140
        await wait_until(pilot, lambda: view.monitor._visible == {started[6].id}, "only it to be captured")
        await wait_until(pilot, lambda: seventh.preview_size == tuple(seventh.content_size),
                         "its preview prepared at the maximised size")
        await pilot.press("z")
        await wait_until(pilot, lambda: app.screen.maximized is None, "the grid back")
        await wait_until(pilot, lambda: len(view.monitor._visible) >= 3, "the grid captured again")


async def test_starting_from_a_task_passes_its_folder(sessions: SessionsHarness) -> None:
    from tests.fixtures.tasks import make_tasks_workspace
    from tui.views.tasks import TasksView

    make_tasks_workspace(sessions.repo.path)
    task_dir = sessions.repo.path / ".loupe" / "tasks" / "postgres-backend"
    app = make_app(sessions)
    script = sessions.scripts / "taskdump.sh"
    script.write_text('echo "folder=$LOUPE_TASK_DIR"\necho "prompt=$1"\nread x\n')
    app.workspace.config.agents["taskdump"] = AgentKindConfig(command=f"sh {script} [{{prompt}}]")
    async with app.run_test(size=(150, 44)) as pilot:
        view = view_of(app)
        tasks = app.screen.query_one(TasksView)
        await wait_until(pilot, lambda: view.manager is not None and tasks.task_list.tasks, "tasks and sessions")
        assert tasks.task_list.select_path(task_dir / "ticket.md")
        tasks.task_list.rows.focus()
        await pilot.press("ctrl+e")
        await wait_until(pilot, lambda: shows(app, NewSessionScreen), "the new-session dialog")
        dialog = app.screen
        assert "for task postgres-backend" in str(dialog.query_one(".dialog-title").render())
        assert dialog.query_one("#task").value == "postgres-backend"
        dialog.query_one("#agent").value = "taskdump"
        dialog.query_one("#prompt").text = "add the backend"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: view.tiles(), "the session's tile")
        (session,) = sessions.manager.sessions()
        assert session.task_dir == task_dir and session.branch == "loupe/postgres-backend/1"
        sessions.wait_screen(session, f"folder={task_dir}")
        screen = sessions.manager.capture(session, ansi=False)
        assert "prompt=add the backend" in screen and f"notes are in {task_dir}" in screen


async def test_quit_says_agents_keep_running_and_can_stop_them(sessions: SessionsHarness) -> None:
    app = make_app(sessions)
    session = sessions.start("asker", task="long job")
    async with app.run_test(size=(150, 44)) as pilot:
        view = view_of(app)
        await wait_until(pilot, lambda: view.live_sessions(), "a live session")
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: shows(app, QuitSessionsScreen), "the quit dialog")
        text = str(app.screen.query_one(".dialog-title").render()) + str(app.screen.query_one(".dialog-body").render())
        assert "1 agent session is still running" in text and "keep running in tmux" in text
        await pilot.press("escape")
        assert app.is_running
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: shows(app, QuitSessionsScreen), "the quit dialog again")
        await pilot.press("s")
        await wait_until(pilot, lambda: not app.is_running, "the app to exit after stopping")
    assert sessions.snapshot(session).state is State.EXITED


async def test_quit_without_sessions_just_quits(tmp_path: Path) -> None:
    app = LoupeApp(open_workspace(tmp_path), remember_theme=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("ctrl+q")
        await wait_until(pilot, lambda: not app.is_running, "the app to exit")


async def test_palette_cherry_pick_land_and_stop_all(sessions: SessionsHarness) -> None:
    app = make_app(sessions)
    kind = sessions.script_kind("picker", "echo p > p.txt\ngit add p.txt\ngit commit -q -m pick\nread x\n")
    session = sessions.start(kind, task="pick me")
    wait_for(lambda: "pick" in sessions.repo.git("log", "--format=%s", session.branch).stdout, "the commit")
    sessions.repo.commit_file("main.txt", "moved\n", "main moves on")
    async with app.run_test(size=(150, 44)) as pilot:
        view = view_of(app)
        await wait_until(pilot, lambda: view.tiles(), "the tile")
        view.tiles()[0].focus()
        commands = {title: callback for title, _, callback in view.palette_commands()}
        commands["Sessions: land the focused session as a cherry-pick"]()
        await wait_until(pilot, lambda: shows(app, ConfirmScreen), "the land confirmation")
        assert "Copy 1 commit from loupe/pick-me/1 onto main (cherry-pick)" in str(
            app.screen.query_one(".dialog-body").render())
        await pilot.press("y")
        wait_for(lambda: sessions.repo.git("log", "-1", "--format=%s", "main").stdout.strip() == "pick",
                 "the copy on main")
        assert sessions.repo.git("rev-list", "--merges", "main").stdout == ""

        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen), "the dialog to close")
        commands["Sessions: stop all running sessions"]()
        await wait_until(pilot, lambda: shows(app, ConfirmScreen), "the stop confirmation")
        await pilot.press("y")
        await wait_until(pilot, lambda: view.tiles()[0].has_class("-exited"), "the tile to show exited")


def test_a_tile_of_a_stopped_session_reads_stopped(tmp_path: Path) -> None:
    from tui.events import SessionsUpdated
    from tui.sessions.model import Session, Snapshot
    from tui.views.sessions import tile_data

    def ended(number: int, stopped_at: float | None) -> Snapshot:
        session = Session(id=f"s{number}", repo=tmp_path, number=number, agent="shell", status_source="screen",
                          task="t", branch="b", worktree=tmp_path / "w", worktree_name="w", base_commit="",
                          base_branch="", tmux_socket="s", port_base=0, stopped_at=stopped_at)
        return Snapshot(session=session, state=State.EXITED, exit_code=143)

    tiles = tile_data(SessionsUpdated(snapshots=[ended(0, stopped_at=1.0), ended(1, stopped_at=None)]))
    assert [tile.state_label for tile in tiles] == ["stopped", "exited 143"]

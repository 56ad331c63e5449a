"""Supervision in the app (Pilot, real tmux): a new wait is one plain-text toast, one bell and
one terminal notification; texts not delivered are typed again with R; a command runs in
the marked sessions' worktrees with its outputs in a tab; tiles say starting; a session
started on an SSH host (the real sshd) names it, reads unreachable with why, and R brings it
back."""

from __future__ import annotations

import pytest

from textual.widgets import Input, Select

from tests.fixtures.remote_sessions import HOST, RemoteHarness
from tests.fixtures.sessions import SessionsHarness
from tests.helpers import shows, wait_for, wait_until
from tui.app import LoupeApp
from tui.config import AgentKindConfig
from tui.dialogs.sessions import ExecCommandScreen, NewSessionScreen
from tui.remote.reachability import Reachability
from tui.remote.ssh import SshConnection
from tui.sessions.ssh_host import SshHost
from tui.sessions.status_file import State
from tui.views.documents import DocumentsView
from tui.views.session_exec import ExecResultsPane
from tui.views.sessions import SessionsView
from tui.workspace import Workspace, open_workspace
from widgets.session_tile import SessionTile, TileData

pytestmark = pytest.mark.slow

# Its second question carries markup and a path in brackets: shown as it is, never parsed.
QUESTION = "Read [/etc/hosts] and [bold]more[/bold]? [y/n]"
ASKER = f"""\
printf 'Start? [y/n] '
read first
printf '%s ' '{QUESTION}'
read second
echo "done $second"
read rest
"""
# Shows each line it is typed (what loupe delivers), then waits for more.
ECHOER = """\
echo ready
while read line; do echo "got: $line"; done
"""


class RecordingApp(LoupeApp):
    """The app, with what it sends the terminal (bell, notifications) kept for the test."""

    def __init__(self, workspace: Workspace) -> None:
        super().__init__(workspace, remember_theme=False)
        self.bells = 0
        self.written: list[str] = []

    def bell(self) -> None:
        self.bells += 1

    def write_to_terminal(self, sequence: str) -> None:
        self.written.append(sequence)


def make_app(sessions: SessionsHarness, *kinds: tuple[str, str]) -> RecordingApp:
    workspace = open_workspace(sessions.repo.path)
    workspace.config.sessions.tmux_socket = sessions.socket
    # No desktop notification from a test; the terminal's is written through the app.
    workspace.config.notifications.desktop = False
    workspace.config.notifications.terminal = "osc9"
    for name, body in kinds:
        sessions.script_kind(name, body)
        workspace.config.agents[name] = AgentKindConfig(command=f"sh {sessions.scripts / (name + '.sh')}")
    return RecordingApp(workspace)


def view_of(app: LoupeApp) -> SessionsView:
    return app.screen_stack[0].query_one(SessionsView)


def tile_of(app: LoupeApp, session_id: str) -> SessionTile | None:
    found = app.screen_stack[0].query(f"#tile-{session_id}")
    return found.first(SessionTile) if found else None


async def test_a_new_wait_is_one_plain_text_toast_one_bell_and_one_terminal_notification(
        sessions: SessionsHarness) -> None:
    app = make_app(sessions, ("asker", ASKER))
    session = sessions.start("asker", task="hosts")
    sessions.wait_state(session, State.NEEDS_INPUT)
    async with app.run_test(size=(150, 44)) as pilot:
        await wait_until(pilot, lambda: tile_of(app, session.id) is not None, "the tile")
        # Waiting before loupe looked: counted, not announced.
        assert app.bells == 0 and app.written == []
        sessions.manager.send([session], "y")
        await wait_until(pilot, lambda: any(n.title.startswith("Session 0") for n in app._notifications),
                         "the toast of the new wait")
        for _ in range(8):  # more polls of the same wait announce nothing more
            await pilot.pause(0.15)
        (toast,) = [n for n in app._notifications if n.title.startswith("Session 0")]
        assert toast.title == "Session 0 (asker) needs you"
        assert QUESTION in toast.message and not toast.markup
        assert app.bells == 1
        (sequence,) = app.written
        assert sequence.startswith("\x1b]9;") and "loupe: Session 0 (asker) needs you" in sequence


async def test_the_bell_stays_quiet_when_notifications_say_so(sessions: SessionsHarness) -> None:
    app = make_app(sessions, ("asker", ASKER))
    app.services.config.notifications.bell = False
    session = sessions.start("asker", task="quiet")
    sessions.wait_state(session, State.NEEDS_INPUT)
    async with app.run_test(size=(150, 44)) as pilot:
        await wait_until(pilot, lambda: tile_of(app, session.id) is not None, "the tile")
        sessions.manager.send([session], "y")
        await wait_until(pilot, lambda: any(n.title.startswith("Session 0") for n in app._notifications),
                         "the toast of the new wait")
        assert app.bells == 0 and len(app.written) == 1


async def test_texts_not_delivered_show_on_the_tile_and_r_types_them_again(sessions: SessionsHarness) -> None:
    app = make_app(sessions, ("echoer", ECHOER))
    session = sessions.start("echoer", task="retry")
    sessions.wait_screen(session, "ready")
    store = sessions.manager.store
    # What loupe records when it gives a text up (typed 3 times, never arrived).
    store.fail(store.enqueue(session.id, "second chance"), "typed in 3 times without reaching the agent")
    async with app.run_test(size=(150, 44)) as pilot:
        view = view_of(app)
        await wait_until(pilot, lambda: tile_of(app, session.id) is not None, "the tile")
        tile = tile_of(app, session.id)
        assert tile is not None
        await wait_until(pilot, lambda: tile.data.undelivered == 1, "the tile to count the text")
        assert "1 NOT DELIVERED" in str(tile.border_title)
        assert "R retry" in str(tile.border_subtitle)
        assert "second chance" not in sessions.manager.capture(session, ansi=False)
        tile.focus()
        await pilot.press("R")
        await wait_until(pilot, lambda: "got: second chance" in sessions.manager.capture(session, ansi=False),
                         "the text typed in again", timeout=20)
        await wait_until(pilot, lambda: tile.data.undelivered == 0, "the tile to drop the count", timeout=20)
        assert "NOT DELIVERED" not in str(tile.border_title)
        assert store.undelivered(session.id) == []
        # Nothing left to retry: said so, nothing done.
        await pilot.press("R")
        await wait_until(pilot, lambda: any("Nothing to retry" in str(n.message) for n in app._notifications),
                         "the notice that there is nothing to retry")
        assert view.supervision.targets()[0].session.id == session.id


async def test_a_command_runs_in_the_marked_sessions_and_its_outputs_open_in_a_tab(
        sessions: SessionsHarness) -> None:
    app = make_app(sessions, ("echoer", ECHOER))
    first = sessions.start("echoer", task="one")
    second = sessions.start("echoer", task="two")
    for session in (first, second):
        sessions.wait_screen(session, "ready")
    async with app.run_test(size=(150, 44)) as pilot:
        await wait_until(pilot, lambda: tile_of(app, first.id) and tile_of(app, second.id), "two tiles")
        for session in (first, second):
            tile = tile_of(app, session.id)
            assert tile is not None
            tile.focus()
            await pilot.press("space")
        await pilot.press("exclamation_mark")
        await wait_until(pilot, lambda: shows(app, ExecCommandScreen), "the command dialog")
        dialog = app.screen
        dialog.query_one("#command").value = "sh -c 'printf \"in %s [b]{n}[/b] \\033]52;c;eA==\\a\\n\" \"$(basename \"$PWD\")\"; exit {n}'"
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen_stack[0].query(ExecResultsPane), "the results tab")
        pane = app.screen_stack[0].query_one(ExecResultsPane)
        await wait_until(pilot, lambda: pane.results is not None, "the outputs", timeout=20)
        assert [r.exit_code for r in pane.results or []] == [0, 1]
        shown = [str(static.render()) for static in pane.query(".exec-label, .exec-output, .exec-exit, .exec-failed")]
        assert shown[0].startswith("── 0 echoer") and shown[3].startswith("── 1 echoer")
        # The output as text: its brackets kept, its escape shown, never acted on.
        assert "[b]0[/b] ␛]52;c;eA==␇" in shown[1] and "[b]1[/b]" in shown[4]
        assert (shown[2], shown[5]) == ("exit 0", "exit 1")
        summary = str(pane.query_one(".exec-summary").render())
        assert "1 failed (worst exit 1)" in summary
        documents = app.screen_stack[0].query_one(DocumentsView)
        assert documents.find_pane("session-exec:1") is not None


def test_a_starting_tile_looks_apart_and_says_so() -> None:
    starting = SessionTile(TileData("a1", 0, "aider", "fix", "starting"))
    idle = SessionTile(TileData("a1", 0, "aider", "fix", "idle"))
    assert starting.has_class("-starting") and not idle.has_class("-starting")
    assert str(starting.border_subtitle).startswith("starting")


class FrozenClock:
    """A host's backoff clock that never moves: only the retry key brings the host back."""

    def __call__(self) -> float:
        return 1000.0


async def test_a_session_started_on_a_host_names_it_reads_unreachable_with_why_and_r_reconnects(
        remote_sessions: RemoteHarness) -> None:
    harness = remote_sessions
    harness.script_kind("echoer", ECHOER)
    workspace = open_workspace(harness.repo.path)
    workspace.config.sessions.tmux_socket = harness.manager.config.sessions.tmux_socket
    workspace.config.hosts[HOST] = harness.host.config
    workspace.config.notifications.desktop = False
    workspace.config.agents["echoer"] = AgentKindConfig(command=f"sh {harness.scripts / 'echoer.sh'}")
    app = RecordingApp(workspace)
    async with app.run_test(size=(150, 44)) as pilot:
        view = view_of(app)
        await wait_until(pilot, lambda: view.manager is not None, "the sessions to open")
        manager = view.manager
        assert manager is not None
        config = harness.host.config
        manager.hosts[HOST] = SshHost(HOST, config, manager.config.sessions, connect=lambda: SshConnection.for_host(
            HOST, config, reachability=Reachability(FrozenClock())))

        view.focus()
        await pilot.press("n")
        await wait_until(pilot, lambda: shows(app, NewSessionScreen), "the new-session dialog")
        dialog = app.screen
        hosts = dialog.query_one("#host", Select)
        assert hosts.value == "local"
        hosts.value = HOST
        dialog.query_one("#agent", Select).value = "echoer"
        dialog.query_one("#task", Input).value = "far"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, NewSessionScreen), "the session to start",
                         timeout=30)
        (session,) = manager.sessions()
        assert session.host == HOST
        harness.pane_pids.update(harness.remote_pane_pids())
        await wait_until(pilot, lambda: tile_of(app, session.id) is not None, "its tile")
        tile = tile_of(app, session.id)
        assert tile is not None
        await wait_until(pilot, lambda: "ready" in tile.data.screen, "the agent's screen from the host", timeout=20)
        assert f"@{HOST}" in str(tile.border_title)

        harness.sshd.server.stop()
        await wait_until(pilot, lambda: tile.has_class("-unreachable"), "the tile to read unreachable", timeout=30)
        subtitle = str(tile.border_subtitle)
        assert subtitle.startswith("unreachable: ") and HOST in subtitle and "R retry" in subtitle
        assert tile.data.detail and HOST in tile.data.detail

        harness.sshd.server.start()
        tile.focus()
        await pilot.press("R")
        await wait_until(pilot, lambda: not tile.has_class("-unreachable"), "the host back after R", timeout=30)
        assert tile.data.state in ("idle", "working")
    # The app closed its shared connection to the host when it ended.
    wait_for(lambda: not harness.sshd.ssh_processes(), "the app's ssh master to end")

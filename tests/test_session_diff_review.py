"""Reviewing a session's diff in the app, with a real agent session in tmux and its real
worktree: select lines and comment, submit "request changes" (it arrives in the agent's pane
once), "since you last looked", a comment on a hunk changed since refused, and multi-line
send with an `@task/artifact` reference expanded."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.fixtures.sessions import SessionsHarness
from tests.helpers import shows, wait_until
from tui.app import LoupeApp
from tui.config import AgentKindConfig
from tui.dialogs.comment import CommentScreen
from tui.dialogs.send_text import SendMessageScreen
from tui.dialogs.submit_round import SubmitRoundScreen
from tui.review.model import RoundState, Target, Verdict
from tui.sessions.model import Session
from tui.sessions.status_file import State
from tui.views.session_diff import SessionDiffPane
from tui.views.sessions import SessionsView
from tui.workspace import open_workspace
from widgets.diff_view import DiffLines

pytestmark = pytest.mark.slow

BASE = "".join(f"line {n}\n" for n in range(1, 61))
# Writes down every line typed into it, outside its worktree (so the diff stays the test's).
READER = 'echo ready\nwhile IFS= read -r line; do printf "%s\\n" "$line" >> {received}; done\n'


def start_reader(sessions: SessionsHarness) -> tuple[Session, Path, LoupeApp]:
    sessions.repo.commit_file("app.py", BASE, "base")
    received = sessions.scripts / "received.txt"
    body = READER.format(received=shlex.quote(str(received)))
    kind = sessions.script_kind("reader", body)
    session = sessions.start(kind, task="diff review")
    sessions.wait_state(session, State.IDLE)
    workspace = open_workspace(sessions.repo.path)
    workspace.config.sessions.tmux_socket = sessions.socket
    workspace.config.agents[kind] = AgentKindConfig(command=f"sh {sessions.scripts / 'reader.sh'}")
    return session, received, LoupeApp(workspace, remember_theme=False)


def got(received: Path) -> str:
    return received.read_text() if received.exists() else ""


async def open_diff(app: LoupeApp, pilot: Pilot) -> SessionDiffPane:
    view = app.screen_stack[0].query_one(SessionsView)
    await wait_until(pilot, lambda: view.tiles(), "the tile", timeout=30)
    view.tiles()[0].focus()
    await pilot.press("d")
    await wait_until(pilot, lambda: app.screen.query(SessionDiffPane), "the diff tab")
    pane = app.screen.query_one(SessionDiffPane)
    await wait_until(pilot, lambda: pane.look is not None and pane.lines.row_count > 0, "the diff", timeout=30)
    return pane


def row_of(lines: DiffLines, kind: str, text: str) -> int:
    return next(i for i, (k, v) in enumerate(lines._rows)
                if k == "line" and getattr(v, "kind", None) == kind and v.text == text)


async def drag(pilot: Pilot, lines: DiffLines, first: int, last: int) -> None:
    """Press on row `first`, move to row `last`, let go (rows of the diff, on screen)."""
    top = int(lines.scroll_y)
    await pilot.mouse_down(lines, offset=(12, first - top))
    await pilot.hover(lines, offset=(12, last - top))
    await pilot.mouse_up(lines, offset=(12, last - top))


async def comment(pilot: Pilot, app: LoupeApp, body: str) -> CommentScreen:
    await pilot.press("c")
    await wait_until(pilot, lambda: shows(app, CommentScreen), "the comment dialog")
    dialog = app.screen
    assert isinstance(dialog, CommentScreen)
    await pilot.press(*body)
    await pilot.press("ctrl+s")
    return dialog


async def comment_at(pilot: Pilot, app: LoupeApp, lines: DiffLines, row: int, body: str) -> CommentScreen:
    """Click row `row` (so `v` starts there), `v`, then comment `body` on it."""
    await drag(pilot, lines, row, row)
    await pilot.press("v")
    return await comment(pilot, app, body)


async def test_comment_new_lines_and_request_changes_arrives_once(sessions: SessionsHarness) -> None:
    session, received, app = start_reader(sessions)
    (session.worktree / "app.py").write_text(BASE.replace("line 10\n", "line 10 changed\nline 10b\n"))
    async with app.run_test(size=(150, 44)) as pilot:
        pane = await open_diff(app, pilot)
        lines = pane.lines
        lines.focus()
        await drag(pilot, lines, row_of(lines, "+", "line 10 changed"), row_of(lines, "+", "line 10b"))
        assert lines.selected_text() == "line 10 changed\nline 10b"
        await pilot.press("y")
        assert app.clipboard == "line 10 changed\nline 10b"
        await comment(pilot, app, "Why two lines")
        await wait_until(pilot, lambda: not isinstance(app.screen, CommentScreen), "the comment saved")
        # The comment shows in the margin of its lines, its text after them; the round is a draft.
        await wait_until(pilot, lambda: any(k == "comment" for k, _ in lines._rows), "the comment in the diff")
        marked = sorted(lines._row_mark)
        assert marked == [row_of(lines, "+", "line 10 changed"), row_of(lines, "+", "line 10b")]
        assert set(lines._row_mark.values()) == {"draft"}
        assert "draft 1 (R: submit)" in str(pane.query_one(".diff-summary").render())

        await pilot.press("R")
        await wait_until(pilot, lambda: shows(app, SubmitRoundScreen), "the submit dialog", timeout=20)
        dialog = app.screen
        assert isinstance(dialog, SubmitRoundScreen)
        assert dialog.choices.default_session == session.id and dialog.verdict is Verdict.REQUEST_CHANGES
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, SubmitRoundScreen), "the round sent", timeout=30)
        await wait_until(pilot, lambda: "prints this round again" in got(received), "the round in the pane",
                         timeout=30)
        text = got(received)
        assert text.count("# Review round") == 1 and text.count("Why two lines") == 1
        assert "Verdict: **changes requested**" in text
        assert "`app.py:10-11`" in text and "line 10 changed\nline 10b\n" in text
        (round_,) = app.services.review.rounds(session_id=session.id)
        assert round_.target == Target.diff(session.id) and round_.state is RoundState.DELIVERED
        await wait_until(pilot, lambda: set(lines._row_mark.values()) == {"open"}, "the comment sent, open")


async def test_since_last_look_and_a_comment_on_a_changed_hunk(sessions: SessionsHarness) -> None:
    session, _, app = start_reader(sessions)
    app_py = session.worktree / "app.py"
    app_py.write_text(BASE.replace("line 5\n", "line 5 a\n").replace("line 50\n", "line 50 a\n"))
    async with app.run_test(size=(150, 44)) as pilot:
        pane = await open_diff(app, pilot)
        lines = pane.lines
        assert not pane.look.narrowed  # the first look shows everything
        store = app.services.review.store
        # Both hunks were on screen: both count as seen.
        await wait_until(pilot, lambda: len(store.viewed(session.id)) == 2, "both hunks seen", detail=lambda: (
            f"viewed={store.viewed(session.id)} shown units={lines._shown_units} of {lines._units} "
            f"region={lines.scrollable_content_region} look={pane.look and (pane.look.summary, len(pane.look.files))} "
            f"workers={[(w.group, w.state.name, w.error) for w in app.workers]} "
            f"notices={[n.message for n in app._notifications]}"))

        # The agent changes the first hunk again; the diff on screen is older than the file.
        app_py.write_text(BASE.replace("line 5\n", "line 5 b\n").replace("line 50\n", "line 50 a\n"))
        lines.focus()
        await drag(pilot, lines, row_of(lines, "+", "line 5 a"), row_of(lines, "+", "line 5 a"))
        # A click on one row selects nothing, and `v` starts there.
        assert not lines.selection.active
        await pilot.press("v")
        assert lines.selected_text() == "line 5 a"
        dialog = await comment(pilot, app, "Too late")
        await wait_until(pilot, lambda: "changed since this diff was shown" in str(dialog.query_one("#error").render()),
                         "the refusal")
        assert app.screen is dialog and store.rounds(app.services.review.repo) == []
        await pilot.press("escape")

        # The next look shows only the hunk that changed.
        await pilot.press("r")
        await wait_until(pilot, lambda: pane.look.narrowed and len(lines.diffs) == 1, "only what changed")
        (file,) = lines.diffs
        assert [line.text for hunk in file.hunks for line in hunk.lines if line.kind == "+"] == ["line 5 b"]
        assert "1 new or changed hunk(s) since you last looked; 1 seen before" in str(
            pane.query_one(".diff-summary").render())
        await pilot.press("a")
        await wait_until(pilot, lambda: not pane.look.narrowed and len(lines.diffs[0].hunks) == 2, "the whole diff")


async def test_hunks_that_cannot_be_remembered_as_seen_say_why(sessions: SessionsHarness) -> None:
    session, _, app = start_reader(sessions)
    (session.worktree / "app.py").write_text(BASE.replace("line 5\n", "line 5 a\n"))
    async with app.run_test(size=(150, 44)) as pilot:
        # The store goes away under the app (the service itself stays open).
        await pilot.pause()
        app.services.review.store.close()
        pane = await open_diff(app, pilot)
        assert pane.lines.row_count and pane.look is not None and "cannot tell what is new" in pane.look.summary
        await wait_until(pilot, lambda: any(
            f"Cannot remember which hunks of session {session.number}'s diff you saw" in n.message
            and "is closed" in n.message for n in app._notifications), "the reason, told")


async def test_multi_line_send_expands_an_artifact_reference(sessions: SessionsHarness) -> None:
    session, received, app = start_reader(sessions)
    task = sessions.repo.path / ".loupe" / "tasks" / "billing"
    task.mkdir(parents=True)
    (task / "01-plan.md").write_text("# Plan\n\nPLAN-CONTENT-7 is the whole plan.\n")
    async with app.run_test(size=(150, 44)) as pilot:
        view = app.screen_stack[0].query_one(SessionsView)
        await wait_until(pilot, lambda: view.tiles(), "the tile", timeout=30)
        view.tiles()[0].focus()
        await pilot.press("s")
        await wait_until(pilot, lambda: shows(app, SendMessageScreen), "the send dialog")
        await pilot.press(*"first line", "enter", *"then read @billing/plan please")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "whole plan" in got(received), "the text and the artifact", timeout=30)
        text = got(received)
        assert text.startswith("first line\nthen read @billing/plan please\n")
        assert text.count("Attached artifact @billing/plan") == 1 and text.count("PLAN-CONTENT-7") == 1


async def test_a_round_to_a_session_that_died_is_kept_and_sent_again_elsewhere(sessions: SessionsHarness) -> None:
    session, received, app = start_reader(sessions)
    (session.worktree / "app.py").write_text(BASE.replace("line 20\n", "line 20 changed\n"))
    other = sessions.start("reader", task="other reader")
    sessions.wait_state(other, State.IDLE)
    async with app.run_test(size=(150, 44)) as pilot:
        pane = await open_diff(app, pilot)
        lines = pane.lines
        lines.focus()
        removed = row_of(lines, "-", "line 20")
        await drag(pilot, lines, removed, removed)  # a click: v starts there
        await pilot.press("v")
        await comment(pilot, app, "Keep the old line")
        await wait_until(pilot, lambda: not isinstance(app.screen, CommentScreen), "the comment saved")
        sessions.manager.stop(session, grace=1.0)
        sessions.wait_state(session, State.EXITED)

        await pilot.press("R")
        await wait_until(pilot, lambda: shows(app, SubmitRoundScreen), "the submit dialog", timeout=20)
        app.screen.query_one("#session").value = session.id  # its own session, ended
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, SubmitRoundScreen), "the round submitted",
                         timeout=30)
        (round_,) = app.services.review.rounds(session_id=session.id)
        assert round_.state is RoundState.UNDELIVERED
        await wait_until(pilot, lambda: "undelivered (R: retry)" in str(pane.query_one(".diff-summary").render()),
                         "the round kept as undelivered")

        # R again: the same round, to a session that runs.
        await pilot.press("R")
        await wait_until(pilot, lambda: shows(app, SubmitRoundScreen), "the retry dialog", timeout=20)
        assert app.screen.retry
        app.screen.query_one("#session").value = other.id
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "prints this round again" in got(received), "the round typed in", timeout=30)
        text = got(received)
        assert text.count("# Review round") == 1 and "`app.py:20` (old side" in text

        # The text is on the agent's screen before loupe has seen it arrive and recorded it.
        def delivered() -> bool:
            (round_,) = app.services.review.rounds(session_id=session.id)
            return round_.state is RoundState.DELIVERED

        await wait_until(pilot, delivered, "the round recorded as delivered", timeout=30)
        (round_,) = app.services.review.rounds(session_id=session.id)
        assert round_.to_session == other.id

"""The task view's rows lead somewhere (Pilot, real tmux and git): enter on a session takes the
user to its tile, or says it is gone; on an artifact or a thread, opens it. And a session
started by hand on the task that changed an artifact in its worktree is listed as its writer
(issue 14)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.phases import QUESTIONS, TICKET
from tests.fixtures.sessions import SessionsHarness
from tests.helpers import shows, wait_until
from tests.test_phases_ui import SIZE, make_app
from tui.app import LoupeApp
from tui.config import AgentKindConfig
from tui.dialogs.sessions import NewSessionScreen
from tui.messages import OpenTask
from tui.views.artifact import ArtifactDocument
from tui.views.chat import ChatPane
from tui.views.sessions import SessionsView
from tui.views.task_view import TaskDocument
from widgets.session_tile import SessionTile
from widgets.task_list import TaskList

pytestmark = pytest.mark.slow

WAITER = "echo waiting\nread answer\n"
# Run by hand on the task, in its own worktree: revises the research there, then waits.
REVISER = """\
printf '\\nREVISED in the worktree\\n' >> .loupe/tasks/stats/02-research.md
echo "research revised"
read answer
"""

# Keeps working (printing) all along; once told to `go`, revises the research in its worktree.
STREAMER = """\
i=0
while [ ! -f go ]; do i=$((i+1)); echo "reading $i"; sleep 0.1; done
printf '\\nREVISED while working\\n' >> .loupe/tasks/stats/02-research.md
while true; do i=$((i+1)); echo "still working $i"; sleep 0.1; done
"""


async def task_view(app: LoupeApp, pilot, folder: Path) -> TaskDocument:  # noqa: ANN001
    screen = app.screen_stack[0]
    screen.post_message(OpenTask(folder))
    await wait_until(pilot, lambda: screen.query(TaskDocument), "the task view")
    view = screen.query_one(TaskDocument)
    await wait_until(pilot, lambda: view.built is not None, "the timeline", timeout=30)
    return view


async def press_enter_on(pilot, view: TaskDocument, matches) -> None:  # noqa: ANN001
    """Highlight the first row `matches` and press enter, as a user does."""
    assert view.built is not None
    rows = list(reversed(view.built.events))
    view.focus_document()
    await pilot.pause()
    view.rows.highlighted = next(index for index, event in enumerate(rows) if matches(event))
    await pilot.press("enter")


def tile_of(app: LoupeApp, session_id: str) -> SessionTile | None:
    found = app.screen_stack[0].query(f"#tile-{session_id}")
    return found.first(SessionTile) if found else None


async def test_enter_on_a_session_row_focuses_its_tile_even_from_a_maximised_task_view(
    sessions: SessionsHarness,
) -> None:
    app, folder = make_app(sessions, {"ticket.md": TICKET})
    kind = sessions.script_kind("waits", WAITER)
    sessions.start(kind, task="stats", task_dir=folder, prompt="the first")
    second = sessions.start(kind, task="stats", task_dir=folder, prompt="the second")
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen_stack[0]
        await wait_until(pilot, lambda: len(screen.query(SessionTile)) == 2, "both tiles", timeout=30)
        view = await task_view(app, pilot, folder)
        await wait_until(pilot, lambda: view.built is not None and sum(
            e.kind == "session" for e in view.built.events) == 2, "both sessions in the timeline", timeout=30)
        # The task view fills the screen, and the grid is hidden as the stylesheet hides it.
        grid = screen.query_one(SessionsView)
        grid.add_class("-hidden")
        screen.maximize(view)
        await pilot.pause()
        assert not grid.display or grid.region.height == 0

        await press_enter_on(pilot, view, lambda e: e.session_id == second.id)
        await wait_until(pilot, lambda: app.focused is tile_of(app, second.id), "the second tile focused")
        assert screen.maximized is None and not grid.has_class("-hidden")
        tile = tile_of(app, second.id)
        assert tile is not None and tile.region.height > 0 and grid.region.contains_region(tile.region)


async def test_enter_on_a_session_removed_meanwhile_says_it_is_gone_and_what_is_known(
    sessions: SessionsHarness,
) -> None:
    app, folder = make_app(sessions, {"ticket.md": TICKET})
    kind = sessions.script_kind("waits", WAITER)
    session = sessions.start(kind, task="stats", task_dir=folder, prompt="count the \x1b[31mstates")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: tile_of(app, session.id) is not None, "its tile", timeout=30)
        view = await task_view(app, pilot, folder)
        sessions.manager.remove(session, confirm=True)

        def shown_removed() -> bool:
            return view.built is not None and [e.state for e in view.built.events if e.kind == "session"] == ["removed"]

        await wait_until(pilot, shown_removed, "the row to say the session was removed", timeout=30)
        await press_enter_on(pilot, view, lambda e: e.session_id == session.id)
        title = f"Session {session.number} is gone"
        await wait_until(pilot, lambda: any(n.title == title for n in app._notifications), "it is said to be gone")
        (said,) = [n for n in app._notifications if n.title == title]
        assert "waits on task stats: not in the session grid any more (removed just now)." in said.message
        assert f"Its branch {session.branch} is kept" in said.message
        # The prompt is the user's text: its escape is shown, not obeyed.
        assert "Prompt: count the ␛[31mstates" in said.message and not said.markup
        assert app.focused is not None and view in app.focused.ancestors_with_self


async def test_enter_on_an_artifact_or_a_thread_row_opens_it(sessions: SessionsHarness) -> None:
    from tui.views.threads import ThreadsView

    app, folder = make_app(sessions, {"ticket.md": TICKET, "01-research-questions.md": QUESTIONS})
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen_stack[0]
        await wait_until(pilot, lambda: screen.query_one(ThreadsView).loaded, "the thread store to open")
        store = app.services.threads.store
        assert store is not None
        thread = store.create_thread("where counts live", task=str(folder.resolve()))
        view = await task_view(app, pilot, folder)

        await press_enter_on(pilot, view, lambda e: e.kind == "thread")
        await wait_until(pilot, lambda: screen.query(ChatPane), "the thread open")
        assert screen.query_one(ChatPane).thread_id == thread.id

        await press_enter_on(pilot, view, lambda e: e.title == "01-research-questions.md")
        await wait_until(pilot, lambda: any(d.path == folder / "01-research-questions.md"
                                            for d in screen.query(ArtifactDocument)), "the artifact open")


async def test_a_session_started_by_hand_that_changed_an_artifact_is_its_writer(sessions: SessionsHarness) -> None:
    app, folder = make_app(sessions, {"ticket.md": TICKET, "01-research-questions.md": QUESTIONS,
                                      "02-research.md": "# Research\n\nA first draft.\n"})
    sessions.repo.git("add", ".")
    sessions.repo.git("commit", "-q", "-m", "the task so far")
    script = sessions.scripts / "reviser.sh"
    script.write_text(REVISER)
    app.workspace.config.agents["reviser"] = AgentKindConfig(command=f"sh {script} {{prompt}}")
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen_stack[0]
        task_list = screen.query_one(TaskList)
        await wait_until(pilot, lambda: app.services.sessions.manager is not None and task_list.select_path(folder),
                         "the task in the list, and sessions")
        task_list.rows.focus()
        await pilot.press("ctrl+e")
        await wait_until(pilot, lambda: shows(app, NewSessionScreen), "the new-session dialog")
        app.screen.query_one("#agent").value = "reviser"
        app.screen.query_one("#prompt").text = "revise the research"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: sessions.manager.sessions(), "the session", timeout=30)
        (session,) = sessions.manager.sessions()
        assert not session.in_place and session.phase == "" and session.output == ""
        sessions.wait_screen(session, "research revised", timeout=30)

        # The task's row says a session runs on it, though it is no phase: its agent names it.
        await wait_until(pilot, lambda: "1 live: reviser" in task_list._activity.get(folder, ""),
                         "the task row's live session", timeout=30)

        task_list.rows.focus()
        await pilot.press("ctrl+t")
        await wait_until(pilot, lambda: screen.query(TaskDocument), "the task view")
        view = screen.query_one(TaskDocument)

        def writers(name: str) -> list[tuple[str, str]] | None:
            built = view.built
            found = [e for e in built.events if e.title == name] if built is not None else []
            return [(w.session_id, w.reason) for w in found[0].writers] if found else None

        await wait_until(pilot, lambda: writers("02-research.md") == [(session.id, "its diff changed it")],
                         "the session listed as the research's writer", timeout=30)
        assert writers("ticket.md") == [] and writers("01-research-questions.md") == []
        # Its change is in its worktree; the checkout's file is as committed.
        assert "REVISED" not in (folder / "02-research.md").read_text()


async def test_a_writer_shows_up_while_the_session_still_works(sessions: SessionsHarness) -> None:
    """Its state does not change; its diff does, and the timeline is built again."""
    app, folder = make_app(sessions, {"ticket.md": TICKET, "02-research.md": "# Research\n"})
    sessions.repo.git("add", ".")
    sessions.repo.git("commit", "-q", "-m", "the task so far")
    session = sessions.start(sessions.script_kind("streamer", STREAMER), task="stats", task_dir=folder)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: tile_of(app, session.id) is not None, "its tile", timeout=30)
        view = await task_view(app, pilot, folder)
        await wait_until(pilot, lambda: view.built is not None and [
            e.state for e in view.built.events if e.kind == "session"] == ["working"], "it at work", timeout=30)
        assert [e.writers for e in view.built.events if e.title == "02-research.md"] == [()]

        (session.worktree / "go").touch()

        def written() -> bool:
            built = view.built
            return built is not None and [[w.session_id for w in e.writers] for e in built.events
                                          if e.title == "02-research.md"] == [[session.id]]

        await wait_until(pilot, written, "the writer while it works", timeout=30)
        assert [e.state for e in view.built.events if e.kind == "session"] == ["working"]

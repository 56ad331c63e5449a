"""The focus is never lost: closing a tab hands it to the tab shown next (or the task list),
ctrl+w works wherever the focus is, and removing what had the focus focuses its neighbour."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import TabbedContent

from tests.fixtures.sessions import SessionsHarness
from tests.helpers import shows, wait_until
from tui.dialogs.confirm import ConfirmScreen
from tui.app import LoupeApp
from tui.messages import OpenPath
from tui.views.artifact import ArtifactDocument
from tui.views.documents import DocumentsView
from tui.workspace import open_workspace
from widgets.artifact_view import ArtifactView
from widgets.task_list import TaskList

SIZE = (100, 30)


def tab_count(app: LoupeApp) -> int:
    return app.screen.query_one("#document-tabs", TabbedContent).tab_count


async def open_two(pilot, app: LoupeApp, folder: Path) -> tuple[Path, Path]:  # type: ignore[no-untyped-def]
    first, second = folder / "one.md", folder / "two.md"
    first.write_text("# One\n\nFirst.\n")
    second.write_text("# Two\n\nSecond.\n")
    for path in (first, second):
        app.screen.post_message(OpenPath(path))
        await wait_until(pilot, lambda: len(app.screen.query(ArtifactDocument)) >= (1 if path == first else 2), "opened")
    await wait_until(pilot, lambda: isinstance(app.focused, ArtifactView), "a document has the focus")
    return first, second


async def test_closing_a_tab_focuses_the_next_document_then_the_task_list(tasks_workspace: Path) -> None:
    app = LoupeApp(open_workspace(tasks_workspace), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(app.query_one(TaskList).tasks) == 3, "tasks listed")
        first, _ = await open_two(pilot, app, tasks_workspace)
        await pilot.press("ctrl+w")
        await wait_until(pilot, lambda: tab_count(app) == 1, "one tab left")
        remaining = app.screen.query_one(ArtifactDocument)
        assert remaining.path == first
        await wait_until(pilot, lambda: app.focused is remaining.pane.view, "the tab shown next has the focus")
        await pilot.press("ctrl+w")
        await wait_until(pilot, lambda: tab_count(app) == 0, "no tab left")
        await wait_until(pilot, lambda: app.focused is app.query_one(TaskList).rows, "the task list has the focus")


async def test_ctrl_w_closes_the_shown_tab_from_the_sidebar(tasks_workspace: Path) -> None:
    app = LoupeApp(open_workspace(tasks_workspace), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(app.query_one(TaskList).tasks) == 3, "tasks listed")
        await open_two(pilot, app, tasks_workspace)
        rows = app.query_one(TaskList).rows
        rows.focus()
        await wait_until(pilot, lambda: app.focused is rows, "the task list has the focus")
        await pilot.press("ctrl+w")
        await wait_until(pilot, lambda: tab_count(app) == 1, "the shown tab closed")
        assert app.focused is rows  # the focus stays where the user is
        assert app.query_one(DocumentsView).active_document() is not None


async def test_removing_a_session_focuses_its_neighbour_then_the_grid(sessions: SessionsHarness) -> None:
    from tests.test_sessions_ui import make_app, view_of

    app = make_app(sessions)
    kind = sessions.script_kind("idle", "read x\n")
    first = sessions.start(kind, task="first")
    second = sessions.start(kind, task="second")
    async with app.run_test(size=(150, 44)) as pilot:
        view = view_of(app)
        await wait_until(pilot, lambda: len(view.tiles()) == 2, "both tiles")
        for session, left in ((second, 1), (first, 0)):
            tile = next(t for t in view.tiles() if t.session_id == session.id)
            tile.focus()
            await wait_until(pilot, lambda: app.focused is tile, "the tile has the focus")
            await pilot.press("delete")
            await wait_until(pilot, lambda: shows(app, ConfirmScreen), "the remove confirmation")
            await pilot.press("y")
            await wait_until(pilot, lambda: len(view.tiles()) == left, "the tile is gone")
            if left:
                await wait_until(pilot, lambda: app.focused is view.tiles()[0], "the other tile has the focus")
            else:
                await wait_until(pilot, lambda: app.focused is view, "the grid keeps the focus (n starts one)")


async def test_a_session_removed_elsewhere_leaves_the_focus_where_the_user_is(sessions: SessionsHarness) -> None:
    """The last tile going (removed from the CLI, another loupe) takes no focus it did not have."""
    from tests.test_sessions_ui import make_app, view_of

    app = make_app(sessions)
    session = sessions.start(sessions.script_kind("idle", "read x\n"), task="lone")
    async with app.run_test(size=(150, 44)) as pilot:
        view = view_of(app)
        await wait_until(pilot, lambda: len(view.tiles()) == 1, "its tile")
        rows = app.screen.query_one(TaskList).rows
        rows.focus()
        await wait_until(pilot, lambda: app.focused is rows, "the task list has the focus")
        sessions.manager.remove(session, confirm=True)
        await wait_until(pilot, lambda: not view.snapshots and not view.tiles(), "the tile gone", timeout=30)
        await pilot.pause()
        assert app.focused is rows


async def test_a_document_opening_does_not_take_the_focus_back_from_where_the_reader_moved_it(
    tasks_workspace: Path,
) -> None:
    """On a busy machine a tab mounts a refresh or more after it is asked for; a reader who
    moved on meanwhile (to the threads, say) keeps the focus there."""
    from textual.widgets import Tree

    from widgets.focus import focus_now

    app = LoupeApp(open_workspace(tasks_workspace), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(app.query_one(TaskList).tasks) == 3, "tasks listed")
        rows = app.query_one(TaskList).rows
        rows.focus()
        await wait_until(pilot, lambda: app.focused is rows, "the task list has the focus")
        path = tasks_workspace / "one.md"
        path.write_text("# One\n\nFirst.\n")
        threads = app.screen.query_one("#thread-tree", Tree)
        # Asked for from the list, then the focus moves before the tab has even mounted.
        document = app.screen.query_one(DocumentsView).open_artifact(path)
        focus_now(threads)
        await wait_until(pilot, lambda: isinstance(document, ArtifactDocument) and document.text is not None
                         and app.screen.query_one(DocumentsView).active_document() is document, "the document shown")
        for _ in range(5):
            await pilot.pause()
        assert app.focused is threads


async def test_the_last_of_several_tabs_opened_at_once_is_shown_and_focused(tasks_workspace: Path) -> None:
    app = LoupeApp(open_workspace(tasks_workspace), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(app.query_one(TaskList).tasks) == 3, "tasks listed")
        paths = [tasks_workspace / f"{name}.md" for name in ("one", "two", "three")]
        for path in paths:
            path.write_text(f"# {path.stem}\n\nText.\n")
        documents = app.screen.query_one(DocumentsView)
        last = [documents.open_artifact(path) for path in paths][-1]
        await wait_until(pilot, lambda: documents.active_document() is last and isinstance(app.focused, ArtifactView)
                         and app.focused in last.query(ArtifactView), "the last one shown and focused")

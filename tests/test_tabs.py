"""Document tabs: named so two files of one name can be told apart, switched by key from
anywhere (alt+1..9, ctrl+pgup/pgdn)."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import TabbedContent
from textual.widgets.tabbed_content import ContentTab

from tests.helpers import shows, wait_until
from tui.app import LoupeApp
from tui.dialogs.help import HelpScreen
from tui.messages import OpenPath
from tui.views.artifact import ArtifactDocument
from tui.views.documents import DocumentsView
from tui.workspace import open_workspace
from widgets.task_list import TaskList

SIZE = (120, 30)


def labels(app: LoupeApp) -> list[str]:
    return [tab.label_text for tab in app.screen.query_one("#document-tabs", TabbedContent).query(ContentTab)]


def shown(app: LoupeApp) -> Path | None:
    document = app.screen.query_one(DocumentsView).active_document()
    return document.path if isinstance(document, ArtifactDocument) else None


async def open_tickets(pilot, app: LoupeApp, tasks: Path) -> list[Path]:  # type: ignore[no-untyped-def]
    paths = [tasks / "retry-backoff/ticket.md", tasks / "postgres-backend/ticket.md", tasks / "retry-backoff/02-research.md"]
    for count, path in enumerate(paths, 1):
        app.screen.post_message(OpenPath(path))
        await wait_until(pilot, lambda: len(labels(app)) == count, f"{count} tabs")
    return paths


async def test_two_tickets_say_their_task_and_tabs_switch_by_key(tasks_workspace: Path) -> None:
    app = LoupeApp(open_workspace(tasks_workspace), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(app.query_one(TaskList).tasks) == 3, "tasks listed")
        retry, postgres, research = await open_tickets(pilot, app, app.workspace.tasks_dir)
        assert labels(app) == ["ticket.md · retry-backoff", "ticket.md · postgres-backend", "02-research.md"]
        # From the task list too: the keys are the screen's.
        rows = app.query_one(TaskList).rows
        rows.focus()
        await wait_until(pilot, lambda: app.focused is rows, "the list has the focus")
        await pilot.press("alt+1")
        await wait_until(pilot, lambda: shown(app) == retry, "alt+1 shows the first tab")
        await wait_until(pilot, lambda: isinstance(app.focused, type(app.screen.query_one(ArtifactDocument).pane.view)),
                         "and focuses its document")
        await pilot.press("ctrl+pagedown")
        await wait_until(pilot, lambda: shown(app) == postgres, "ctrl+pgdn: the next tab")
        await pilot.press("ctrl+pageup", "ctrl+pageup")
        await wait_until(pilot, lambda: shown(app) == research, "ctrl+pgup from the first: the last")
        await pilot.press("alt+9")  # no ninth tab: nothing changes
        assert shown(app) == research
        await pilot.press("f1")
        await wait_until(pilot, lambda: shows(app, HelpScreen), "help")
        assert isinstance(app.screen, HelpScreen)
        everywhere = next(group for group in app.screen.groups if group.title == "Everywhere")
        assert ("^pgdn", "Next tab") in everywhere.keys and ("^w", "Close tab") in everywhere.keys
        await pilot.press("escape")
        # Closing one of the two tickets: the other is just "ticket.md" again.
        await pilot.press("alt+2", "ctrl+w")
        await wait_until(pilot, lambda: labels(app) == ["ticket.md", "02-research.md"], "one ticket left")

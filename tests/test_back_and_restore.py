"""Back after following a link; open tabs and their places come back after a restart."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import wait_until
from tui.app import LoupeApp
from tui.views.artifact import ArtifactDocument
from tui.views.documents import DocumentsView
from tui.workspace import open_workspace

SIZE = (100, 30)

PLAN = "# Plan\n\nRead [the notes](notes.md) or [jump to part 20](#part-20).\n\n" + "".join(
    f"## Part {n}\n\nParagraph {n} of the plan.\n\n" for n in range(1, 31)
)


def shown(app: LoupeApp) -> ArtifactDocument | None:
    document = app.screen.query_one(DocumentsView).active_document()
    return document if isinstance(document, ArtifactDocument) else None


async def opened(pilot, app: LoupeApp, name: str) -> ArtifactDocument:  # type: ignore[no-untyped-def]
    await wait_until(pilot, lambda: (doc := shown(app)) is not None and doc.path.name == name and doc.text is not None
                     and app.focused is doc.pane.view, f"{name} shown and focused")
    document = shown(app)
    assert document is not None
    return document


def top_heading(document: ArtifactDocument) -> str:
    view = document.pane.view
    assert view.doc is not None
    return view.doc.blocks[view.anchor[0]].source.splitlines()[0]


async def test_back_returns_from_a_link_to_another_file_and_from_a_heading(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("# Notes\n\nSee also.\n")
    plan = tmp_path / "plan.md"
    plan.write_text(PLAN)
    app = LoupeApp(open_workspace(plan), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        document = await opened(pilot, app, "plan.md")
        await pilot.press("tab", "enter")
        await opened(pilot, app, "notes.md")
        await pilot.press("backspace")
        assert await opened(pilot, app, "plan.md") is document
        assert top_heading(document) == "# Plan"
        # A heading in the same document: back scrolls to where the reader was.
        await pilot.press("tab", "tab", "enter")
        await wait_until(pilot, lambda: top_heading(document) == "## Part 20", "at part 20")
        await pilot.press("alt+left")
        await wait_until(pilot, lambda: top_heading(document) == "# Plan", "back at the top")
        # Nothing more to go back to: the key is not offered.
        assert "backspace" not in app.screen.active_bindings or \
            app.screen.active_bindings["backspace"].binding.action != "back"


async def test_open_tabs_and_places_come_back_after_a_restart(tasks_workspace: Path) -> None:
    from textual.widgets import TabbedContent
    from textual.widgets.tabbed_content import ContentTab

    from tui.messages import OpenPath
    from tui.views.code import CodeDocument
    from widgets.task_list import TaskList

    tasks = tasks_workspace / ".loupe" / "tasks" / "retry-backoff"
    plan = tasks / "04-plan.md"
    plan.write_text(PLAN)
    code = tasks_workspace / "worker.py"
    code.write_text("".join(f"step_{n} = {n}\n" for n in range(1, 200)))
    gone = tasks / "02-research.md"
    app = LoupeApp(open_workspace(tasks_workspace), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: len(app.query_one(TaskList).tasks) == 3, "tasks listed")
        for path in (gone, code, plan):
            app.screen.post_message(OpenPath(path))
        document = await opened(pilot, app, "04-plan.md")
        await pilot.press("tab", "tab", "enter")
        await wait_until(pilot, lambda: top_heading(document) == "## Part 20", "reading part 20")
        await pilot.press("ctrl+q")
    gone.unlink()

    again = LoupeApp(open_workspace(tasks_workspace), remember_theme=False)
    async with again.run_test(size=SIZE) as pilot:
        tabs = again.screen.query_one("#document-tabs", TabbedContent)
        await wait_until(pilot, lambda: tabs.tab_count == 2, "the two tabs whose files are left")
        assert [tab.label_text for tab in tabs.query(ContentTab)] == ["worker.py", "04-plan.md"]
        restored = next(d for d in again.screen.query(ArtifactDocument))
        await wait_until(pilot, lambda: restored.text is not None and top_heading(restored) == "## Part 20",
                         "the plan at the part the reader was at")
        await wait_until(pilot, lambda: shown(again) is restored, "the tab shown last is shown")
        assert again.screen.query(CodeDocument)
        await wait_until(pilot, lambda: any("02-research.md" in n.message for n in again._notifications),
                         "a notice names the file that is gone")
        # The task list keeps the focus it has at start.
        assert again.focused is again.query_one(TaskList).rows

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

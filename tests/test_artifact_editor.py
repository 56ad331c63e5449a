"""Editing and links that leave loupe: the editor opens at the line on screen (each editor told
its own way), web links open in a browser or, without one, are shown to copy. Real commands
(scripts named like the editors they stand for), no timed assertions."""

from __future__ import annotations

import stat
import webbrowser
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.helpers import wait_until
from tests.test_artifact_pane import SIZE, open_app, plan_app, sections
from tui.docs.editor import editor_command, open_at
from tui.messages import OpenPath
from tui.views.code import CodeDocument


def recording_command(folder: Path, name: str) -> Path:
    """A real command named `name` (an editor, a browser) that records its arguments, one a line."""
    folder.mkdir(exist_ok=True)
    script = folder / name
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{folder}/args.tmp" && mv "{folder}/args.tmp" "{folder}/args"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return script


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        ("vim", ["vim", "+12", "/w/plan.md"]),
        ("/usr/bin/nvim -p", ["/usr/bin/nvim", "-p", "+12", "/w/plan.md"]),
        ("nano", ["nano", "+12", "/w/plan.md"]),
        ("emacsclient -t", ["emacsclient", "-t", "+12", "/w/plan.md"]),
        ("hx", ["hx", "+12", "/w/plan.md"]),
        ("kak", ["kak", "+12", "/w/plan.md"]),
        ("micro", ["micro", "+12", "/w/plan.md"]),
        ("code --wait", ["code", "--wait", "--goto", "/w/plan.md:12"]),
        ("subl -w", ["subl", "-w", "/w/plan.md:12"]),
        ("my-editor", ["my-editor", "/w/plan.md"]),  # unknown: `+12` could be taken for a file
    ],
)
def test_each_editor_is_told_the_line_its_own_way(command: str, expected: list[str]) -> None:
    assert open_at(editor_command(command), Path("/w/plan.md"), 12) == expected
    assert open_at(editor_command(command), Path("/w/plan.md"), None)[-1] == "/w/plan.md"


@pytest.mark.parametrize(("name", "at_line"), [("vim", True), ("my-editor", False)])
async def test_editor_opens_at_the_block_on_screen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str, at_line: bool
) -> None:
    editor = recording_command(tmp_path / "bin", name)
    monkeypatch.setenv("EDITOR", str(editor))
    app = plan_app(tmp_path, sections(30))
    async with app.run_test(size=SIZE) as pilot:
        doc = await open_app(app, pilot)
        doc.pane.view.scroll_to_block(25)
        line = doc.pane.view.doc.blocks[25].start + 1
        assert doc.text.splitlines()[line - 1] == "## Part 13"
        await pilot.press("e")
        await wait_until(pilot, lambda: (tmp_path / "bin" / "args").exists(), "editor ran")
        expected = [f"+{line}", str(doc.path)] if at_line else [str(doc.path)]
        assert (tmp_path / "bin" / "args").read_text().splitlines() == expected


async def test_code_view_edits_at_the_line_a_link_led_to(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDITOR", str(recording_command(tmp_path / "bin", "vim")))
    source = tmp_path / "app.py"
    source.write_text("".join(f"value_{n} = {n}\n" for n in range(1, 81)))
    app = plan_app(tmp_path, sections(1))
    async with app.run_test(size=SIZE) as pilot:
        await open_app(app, pilot)
        app.screen.post_message(OpenPath(source, 60))
        await wait_until(pilot, lambda: app.screen.query(CodeDocument), "code view opened")
        code_doc = app.screen.query_one(CodeDocument)
        await wait_until(pilot, lambda: code_doc.text is not None, "code loaded")
        code_doc.focus_document()
        await pilot.press("e")
        await wait_until(pilot, lambda: (tmp_path / "bin" / "args").exists(), "editor ran")
        assert (tmp_path / "bin" / "args").read_text().splitlines() == ["+60", str(source)]


@pytest.fixture
def browsers(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Build the standard library's browser list from a given environment (it is built once
    per process, from the environment of the moment); rebuilt from the real one afterwards."""

    def register(**environ: str) -> None:
        with monkeypatch.context() as patch:
            for key in ("BROWSER", "DISPLAY", "WAYLAND_DISPLAY"):
                patch.delenv(key, raising=False)
            for key, value in environ.items():
                patch.setenv(key, value)
            webbrowser.register_standard_browsers()

    yield register
    webbrowser.register_standard_browsers()


URL = "https://example.com/a_b?q=1"


@pytest.mark.parametrize("has_browser", [False, True])
async def test_web_link_opens_in_a_browser_or_shows_its_address(
    tmp_path: Path, browsers: Callable[..., None], has_browser: bool
) -> None:
    if has_browser:
        browser = recording_command(tmp_path / "bin", "browser")
        browsers(BROWSER=str(browser))
    else:
        (tmp_path / "empty").mkdir()
        browsers(PATH=str(tmp_path / "empty"))  # no display, no browser command to be found
    app = plan_app(tmp_path, f"# Plan\n\nSee [the site]({URL}).\n")
    async with app.run_test(size=SIZE) as pilot:
        doc = await open_app(app, pilot)
        await pilot.press("tab")
        assert doc.pane.view.focused_link == URL
        await pilot.press("enter")
        if has_browser:
            await wait_until(pilot, lambda: (tmp_path / "bin" / "args").exists(), "browser ran")
            assert (tmp_path / "bin" / "args").read_text().splitlines() == [URL]
            assert not any("No web browser" in n.message for n in app._notifications)
        else:
            await wait_until(
                pilot, lambda: any("No web browser" in n.message for n in app._notifications), "told there is none"
            )
            (note,) = [n for n in app._notifications if "No web browser" in n.message]
            assert note.message.endswith("\n" + URL) and not note.markup

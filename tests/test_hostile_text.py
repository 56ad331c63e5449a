"""Text from outside reaches the screen as text (DESIGN decision 9), in the running app.

Real files with hostile names and contents in a tmp workspace, a real thread store, a real
config file: whatever looks like markup is shown as written and never crashes the app, and
no control sequence from the data reaches the terminal (`tests.terminal_output`): each
escape shows as visible text (`␛]52;…`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.fixtures.tasks import NOW, write_file
from tests.helpers import shows, wait_until
from tests.terminal_output import HOSTILE, SHOWN, assert_no_injection, drawn, screen_text
from textual.app import App, ComposeResult
from textual.widgets import TabbedContent
from tui.app import LoupeApp
from tui.diffs import FileDiff, diff_texts
from tui.guard.audit import AuditEntry
from tui.dialogs.confirm import ConfirmScreen, PromptScreen
from tui.messages import OpenPath
from tui.threads.store import ThreadStore
from tui.views.threads import ThreadsView
from tui.views.documents import DocumentsView
from tui.workspace import open_workspace
from widgets.artifact_pane import ArtifactPane
from widgets.diff_view import DiffView
from widgets.task_list import TaskList
from widgets.thread_tree import ThreadTree

SIZE = (140, 44)
# Looks like Textual markup: a closing tag with nothing open raises MarkupError when parsed.
MARKUP = "[link=https://evil]x[/link] [/api/login] [$name] [bold]"


def make_app(root: Path) -> LoupeApp:
    return LoupeApp(open_workspace(root), remember_theme=False, clock=lambda: NOW)


def task_rows(app: LoupeApp) -> str:
    """The task list's rows as text, a title wrapped over lines joined again."""
    prompts = (str(option.prompt) for option in app.query_one(TaskList).rows.options)
    return "\n".join(prompt.replace("\n    ", " ") for prompt in prompts)


def tab_labels(app: LoupeApp) -> list[str]:
    tabs = app.screen.query_one(DocumentsView).query_one(TabbedContent)
    return [str(tab.label) for tab in tabs.query("ContentTab")]


ARTIFACT = f"""\
---
status: in-progress {HOSTILE}
owner: {MARKUP}
---
# Design {HOSTILE} {MARKUP}

sentinel paragraph {HOSTILE} and {MARKUP}.

- a list item {HOSTILE}
- [link]({HOSTILE[:8]}) and https://example.invalid/{HOSTILE}

| column {HOSTILE} | other |
|---|---|
| cell {HOSTILE} | {MARKUP} |

```python
print("{HOSTILE}")
```

<div>{HOSTILE}</div>

> [!NOTE]
> quoted {HOSTILE}
"""


async def test_an_artifact_full_of_escapes_and_markup_shows_them_as_text(tmp_path: Path) -> None:
    root = tmp_path / "quarry"
    artifact = write_file(root / ".loupe" / "tasks" / "evil" / "03-design.md", ARTIFACT, 60)
    app = make_app(root)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.screen.post_message(OpenPath(artifact))
        await wait_until(pilot, lambda: "sentinel paragraph" in screen_text(app), "the artifact is shown")
        await wait_until(pilot, lambda: "print(" in screen_text(app), "the code fence is painted")
        assert_no_injection(drawn(app))
        shown = screen_text(app)
        assert shown.count(SHOWN) >= 5
        assert "[link=https://evil]x[/link] [/api/login] [$name] [bold]" in shown

        # The contents list names the headings.
        app.query_one(ArtifactPane).focus_document()
        await pilot.press("t")
        await wait_until(pilot, lambda: app.query_one(ArtifactPane).toc_shown, "the contents")
        await wait_until(pilot, lambda: "▕ Design" in screen_text(app), "the heading listed")

        assert_no_injection(drawn(app))


async def test_a_code_file_with_a_hostile_name_and_contents(tmp_path: Path) -> None:
    root = tmp_path / "quarry"
    name = f"tool{HOSTILE[:20]}[$b].py"
    code = write_file(root / name, f"# sentinel\nprint('{HOSTILE}')\nx = '{MARKUP}'\n", 60)
    app = make_app(root)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        app.screen.post_message(OpenPath(code, line=2))
        await wait_until(pilot, lambda: "sentinel" in screen_text(app), "the code is shown")
        assert_no_injection(drawn(app))
        shown = screen_text(app)
        assert f"print('{SHOWN}" in shown
        assert MARKUP in shown
        assert tab_labels(app) == [f"tool{SHOWN[:20]}[$b].py:2"]
        assert f"tool{SHOWN[:20]}[$b].py:2 · read-only" in shown


async def test_markup_and_escapes_in_task_folder_names_titles_and_problems(tmp_path: Path) -> None:
    """A file named like markup, a task heading with escapes, and a file whose content is not
    UTF-8 under such a name (a scan problem, notified at every start): listed, openable."""
    root = tmp_path / "quarry"
    task = root / ".loupe" / "tasks" / f"evil{HOSTILE[:8]}"
    write_file(task / "ticket.md", f"# Fix {MARKUP} {HOSTILE}\n", 30)
    linked = write_file(task / "[link=https:evil]x.md", "# sentinel\n", 20)
    (task / "[link=https:evil]latin1 [$x].md").write_bytes(b"# caf\xe9 \xff\n")
    app = make_app(root)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        task_list = app.query_one(TaskList)
        await wait_until(pilot, lambda: len(task_list.tasks) == 1, "the task is listed")
        await wait_until(pilot, lambda: "cannot be shown normally" in screen_text(app), "the scan problem is shown")
        rows = task_rows(app)
        assert f"Fix {MARKUP} ␛]52;c;" in rows and "␛]0;pwned␇" in rows
        assert "[link=https:evil]x" in rows and "[link=https:evil]latin1 [$x]" in rows
        assert any("[link=https:evil]latin1 [$x].md: not valid UTF-8" in n.message for n in app._notifications)
        assert_no_injection(drawn(app))

        app.screen.post_message(OpenPath(linked))
        await wait_until(pilot, lambda: "sentinel" in screen_text(app), "the artifact is shown")
        assert tab_labels(app) == ["[link=https:evil]x.md"]
        assert "[link=https:evil]x.md · live" in screen_text(app)
        assert_no_injection(drawn(app))


async def test_a_file_name_that_is_not_utf8(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 in a name (surrogateescape'd by Python) list and open, shown
    as visible escapes: the task list, the tab and the header."""
    root = tmp_path / "quarry"
    task = root / ".loupe" / "tasks" / "latin"
    write_file(task / "ticket.md", "# Latin\n", 30)
    raw = os.fsencode(task) + b"/[link=https:evil]caf\xe9 \x1b]0;t\x07.md"
    with open(raw, "wb") as handle:
        handle.write(b"# sentinel\n")
    path = Path(os.fsdecode(raw))
    os.utime(path, (NOW - 10, NOW - 10))
    app = make_app(root)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        task_list = app.query_one(TaskList)
        await wait_until(pilot, lambda: len(task_list.tasks) == 1, "the task is listed")
        assert "[link=https:evil]caf\\udce9 ␛]0;t␇" in task_rows(app)
        assert_no_injection(drawn(app))

        app.screen.post_message(OpenPath(path))
        await wait_until(pilot, lambda: "sentinel" in screen_text(app), "the artifact is shown")
        assert tab_labels(app) == ["[link=https:evil]caf\\udce9 ␛]0;t␇.md"]
        assert_no_injection(drawn(app))


async def test_config_keys_that_look_like_markup_or_hold_escapes(tmp_path: Path) -> None:
    root = tmp_path / "quarry"
    root.mkdir()
    (root / ".loupe").mkdir()
    (root / ".loupe" / "config.toml").write_text(
        '"[bold]x[/]" = 1\n"k\\u001b]52;c;' + HOSTILE[7:31] + '\\u0007" = 2\n', encoding="utf-8"
    )
    app = make_app(root)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_until(pilot, lambda: screen_text(app).count("Config problem") == 2, "both problems are shown")
        shown = screen_text(app)
        assert "[bold]x[/]" in shown
        assert f"k{SHOWN[:7]}" in shown
        assert_no_injection(drawn(app))


async def test_a_workspace_path_with_escapes_does_not_reach_the_header(tmp_path: Path) -> None:
    root = tmp_path / f"quarry{HOSTILE[:8]}[/]"
    write_file(root / ".loupe" / "tasks" / "t" / "ticket.md", "# sentinel\n", 30)
    app = make_app(root)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_until(pilot, lambda: "sentinel" in screen_text(app), "the task list")
        assert f"quarry{SHOWN[:8]}[/]" in screen_text(app)
        assert_no_injection(drawn(app))


async def test_a_thread_title_with_markup_and_escapes_in_the_threads_list(tmp_path: Path) -> None:
    root = tmp_path / "quarry"
    write_file(root / ".loupe" / "tasks" / "t" / "ticket.md", "# sentinel\n", 30)
    with ThreadStore() as store:
        store.create_thread(f"Plan {MARKUP} {HOSTILE}")
    app = make_app(root)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        tree = app.query_one(ThreadTree)
        await wait_until(pilot, lambda: len(tree.root.children) == 1, "the thread is listed")
        app.query_one(ThreadsView).focus()
        await wait_until(pilot, lambda: f"Plan {MARKUP[:20]}" in screen_text(app), "the title is drawn")
        assert f"Plan {MARKUP} {SHOWN[:12]}" in str(tree.root.children[0].label)
        assert_no_injection(drawn(app))

        # The rename prompt starts with the title in its field; and the delete confirmation.
        tree.select_thread(tree.root.children[0].data)
        tree.focus()
        await pilot.press("f2")
        await wait_until(pilot, lambda: shows(app, PromptScreen), "the rename prompt")
        await wait_until(pilot, lambda: f"Plan {MARKUP[:20]}" in screen_text(app), "the title in the field")
        assert_no_injection(drawn(app))
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, PromptScreen), "the prompt closes")
        await pilot.press("d")
        await wait_until(pilot, lambda: shows(app, ConfirmScreen), "the confirmation")
        assert "Delete “Plan [link=https://evil]x[/link]" in screen_text(app)
        assert_no_injection(drawn(app))


async def test_a_tasks_folder_named_like_markup_in_the_command_palette(tmp_path: Path) -> None:
    """The palette's help names the tasks folder; the palette parses help as markup."""
    root = tmp_path / "quarry"
    write_file(root / "notes" / "[/api]" / "t" / "ticket.md", "# sentinel\n", 30)
    (root / ".loupe").mkdir()
    (root / ".loupe" / "config.toml").write_text('[general]\ntasks_dir = "notes/[/api]"\n', encoding="utf-8")
    app = make_app(root)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_until(pilot, lambda: "sentinel" in screen_text(app), "the task list")
        await pilot.press("ctrl+p")
        await pilot.press(*"rescan")
        await wait_until(pilot, lambda: "Read notes/[/api] again" in screen_text(app), "the command's help")
        assert_no_injection(drawn(app))


class DiffApp(App[None]):
    def __init__(self, diffs: list[FileDiff]) -> None:
        super().__init__()
        self.diffs = diffs

    def compose(self) -> ComposeResult:
        yield DiffView(self.diffs)


async def test_a_diff_of_hostile_files_shows_names_and_lines_as_text() -> None:
    """File names that look like markup or hold escapes (the file list parsed them as markup),
    and changed lines full of escapes."""
    first = diff_texts("x\n", f"x\nprint('{HOSTILE}')\n", f"[/api]{HOSTILE[:8]}.py")
    second = diff_texts("a\n", "b\n", "[link=https:evil]x.md")
    app = DiffApp([first, second])
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: f"print('{SHOWN}" in screen_text(app), "the changed line")
        shown = screen_text(app)
        assert f"[/api]{SHOWN[:8]}.py" in shown and "[link=https:evil]x.md" in shown
        assert_no_injection(drawn(app))


async def test_a_guard_refusal_of_a_hostile_command_line(tmp_path: Path) -> None:
    """The guard's notification quotes the agent's git command line: plain text, visible controls."""
    root = tmp_path / "quarry"
    write_file(root / ".loupe" / "tasks" / "t" / "ticket.md", "# sentinel\n", 30)
    app = make_app(root)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await wait_until(pilot, app.services.guard.following.is_set, "the guard's log is followed")
        entry = AuditEntry(time="2026-12-04T10:00:00Z", session="3", directory=str(root),
                           command=["git", "push", "--force", "origin", f"[/main]{HOSTILE}"],
                           reason=f"force push [/x] {HOSTILE}", what=f"[link=https://evil]x {HOSTILE}")
        with open(app.services.guard.audit_log, "a", encoding="utf-8") as log:
            log.write(json.dumps(entry.to_json()) + "\n")
        await wait_until(pilot, lambda: "Git guard refused a push" in screen_text(app), "the notification")
        assert f"[/main]{SHOWN[:8]}" in screen_text(app)
        assert_no_injection(drawn(app))

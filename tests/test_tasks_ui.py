"""The task list in the running app: order, filter, opening artifacts, live updates, new tasks."""

from __future__ import annotations

import itertools

from pathlib import Path

import pytest
from textual.widgets import Input, TextArea

from tests.fixtures.git import git
from tests.fixtures.tasks import NOW, write_file
from tests.helpers import shows, wait_until
from tui.app import LoupeApp
from tui.dialogs.new_task import NewTaskScreen
from tui.docs.snapshots import ReadSnapshots
from tui.messages import OpenPath
from tui.screens.main import MainScreen
from tui.views import tasks as tasks_view
from tui.views.documents import DocumentsView
from tui.views.tasks import TasksView
from tui.tasks.discovery import TaskScanner
from tui.workspace import open_workspace
from widgets.task_list import TaskList

SIZE = (110, 36)


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[OpenPath]:
    """Every OpenPath that reaches MainScreen's router, in order."""
    seen: list[OpenPath] = []
    original = MainScreen.open_path

    def record(self: MainScreen, message: OpenPath) -> None:
        seen.append(message)
        original(self, message)

    monkeypatch.setattr(MainScreen, "open_path", record)
    return seen


def make_app(root: Path) -> LoupeApp:
    return LoupeApp(open_workspace(root), remember_theme=False, clock=lambda: NOW)


def row_texts(app: LoupeApp) -> list[str]:
    task_list = app.query_one(TaskList)
    return [str(option.prompt) for option in task_list.rows.options]


def task_titles(app: LoupeApp) -> list[str]:
    return [row.task.title for row in app.query_one(TaskList)._rows if row.artifact is None]


def current_artifact(app: LoupeApp) -> Path | None:
    row = app.query_one(TaskList)._current()
    return row.artifact.path if row is not None and row.artifact is not None else None


async def loaded(pilot, app: LoupeApp, count: int = 3) -> None:
    await wait_until(pilot, lambda: len(app.query_one(TaskList).tasks) == count, f"{count} tasks listed")


async def test_tasks_newest_first_with_phase_status_and_age(tasks_workspace: Path) -> None:
    app = make_app(tasks_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        assert task_titles(app) == ["Retries with backoff", "Postgres backend", "Stats command"]
        rows = row_texts(app)
        # The newest task is expanded on first load, its artifacts numbered and marked new.
        assert rows[0].startswith("▾ + Retries with backoff")
        assert "design · in-progress · 12m" in rows[0]
        assert rows[1:5] == [
            "  + ticket · 2d",
            "  + 01 research questions · 5h",
            "  + 02 research · 4h",
            "  + 03 design discussion · 12m",
        ]
        assert rows[5].startswith("▸ + Postgres backend") and "questions · 1d" in rows[5]
        assert "ticket · todo · 3d" in rows[6]
        assert str(app.query_one("#tasks-title").render()) == "Tasks 3  type to filter"
        # Typing filters at once: the list has the focus.
        assert app.focused is app.query_one(TaskList).rows


async def test_type_to_filter_then_enter_opens(tasks_workspace: Path, opened: list[OpenPath]) -> None:
    app = make_app(tasks_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press(*"postgres")
        task_list = app.query_one(TaskList)
        assert task_titles(app) == ["Postgres backend"]
        assert "filter: postgres" in str(app.query_one("#task-filter").render())
        assert task_list.has_class("-filtering")
        await pilot.press("backspace", "backspace")
        assert task_list.filter_text == "postgr"
        await pilot.press("escape")
        assert task_list.filter_text == ""
        assert len(task_titles(app)) == 3

        # An artifact name matches too: its task opens to show it, and enter opens the file.
        await pilot.press(*"design")
        assert [row.artifact.name for row in task_list._rows if row.artifact] == ["03-design-discussion.md"]
        await pilot.press("enter")
        await wait_until(pilot, lambda: opened, "OpenPath routed to MainScreen")
        design = tasks_workspace / ".loupe/tasks/retry-backoff/03-design-discussion.md"
        assert opened[-1].path == design
        # The documents feature shows it in a pane.
        documents = app.query_one(DocumentsView)
        await wait_until(
            pilot,
            lambda: (pane := documents.find_pane(f"artifact:{design}")) is not None
            and "## Open questions" in (getattr(pane, "text", None) or ""),
            "the artifact pane shows the design discussion",
        )


async def test_filter_without_match_says_so(tasks_workspace: Path) -> None:
    app = make_app(tasks_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press(*"zzz")
        assert task_titles(app) == []
        assert "Nothing matches 'zzz'" in str(app.query_one("#task-empty").render())


async def test_keyboard_expand_collapse_and_open(tasks_workspace: Path, opened: list[OpenPath]) -> None:
    app = make_app(tasks_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        task_list = app.query_one(TaskList)
        await pilot.press("left")  # collapse the open task
        assert len(task_list._rows) == 3
        await pilot.press("down", "right")  # expand Postgres backend
        assert [r.artifact.name if r.artifact else r.task.slug for r in task_list._rows][1:4] == [
            "postgres-backend",
            "ticket.md",
            "01-research-questions.md",
        ]
        await pilot.press("right", "down", "enter")  # into its artifacts, second one, open
        await wait_until(pilot, lambda: opened, "OpenPath routed to MainScreen")
        assert opened[-1].path.name == "01-research-questions.md"
        assert opened[-1].path.parent.name == "postgres-backend"
        # Opening moves the focus to the document; come back to the list.
        await wait_until(pilot, lambda: app.focused is not task_list.rows, "the document takes the focus")
        task_list.rows.focus()
        await pilot.press("left")  # back to the task row
        assert task_list._current().artifact is None


async def test_click_on_artifact_opens_it(tasks_workspace: Path, opened: list[OpenPath]) -> None:
    app = make_app(tasks_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        rows = app.query_one(TaskList).rows
        # Row 0 is the two-line task; lines 2.. are its artifacts: line 3 is "01 research questions".
        await pilot.click(rows, offset=(8, 3))
        await wait_until(pilot, lambda: opened, "OpenPath routed to MainScreen")
        assert opened[-1].path.name == "01-research-questions.md"


async def test_new_task_and_artifact_on_disk_appear_without_restart(tasks_workspace: Path) -> None:
    app = make_app(tasks_workspace)
    tasks = tasks_workspace / ".loupe" / "tasks"
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        write_file(tasks / "cli-colors" / "ticket.md", "# Colours in the CLI\n", age=60)
        await wait_until(pilot, lambda: "Colours in the CLI" in task_titles(app), "the new task is listed")
        assert task_titles(app)[0] == "Colours in the CLI"
        write_file(tasks / "retry-backoff" / "04-outline.md", "# Outline\n", age=0)
        await wait_until(
            pilot,
            lambda: any("04 outline" in text for text in row_texts(app)),
            "the new artifact is listed under its open task",
        )
        assert task_titles(app)[0] == "Retries with backoff"


async def test_a_write_rescans_only_its_task(tasks_workspace: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tasks_view, "POLL_SECONDS", 3600.0)  # only the watcher asks
    walked: list[str] = []
    original_task = TaskScanner._task

    def task(self: TaskScanner, folder: Path, *args: object) -> object:
        walked.append(folder.name)
        return original_task(self, folder, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(TaskScanner, "_task", task)
    app = make_app(tasks_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        walked.clear()
        outline = write_file(tasks_workspace / ".loupe/tasks/postgres-backend/02-outline.md", "# Outline\n", age=0)
        await wait_until(pilot, lambda: task_titles(app)[0] == "Postgres backend", "the write is listed")
        assert set(walked) == {"postgres-backend"}  # one task of three walked again
        walked.clear()
        ReadSnapshots(app.workspace.data_dir, app.workspace.root).mark_read(outline, outline.read_text())
        await wait_until(pilot, lambda: walked, "the read is noticed")
        assert set(walked) == {"postgres-backend"}


async def test_a_write_replaces_only_the_rows_that_changed(
    tasks_workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(tasks_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        rows = app.query_one(TaskList).rows
        rebuilt: list[int] = []
        original_set = type(rows).set_options

        def set_options(self: object, options: object) -> object:
            rebuilt.append(1)
            return original_set(self, options)  # type: ignore[arg-type]

        monkeypatch.setattr(type(rows), "set_options", set_options)
        kept = [option.prompt for option in rows.options]
        design = tasks_workspace / ".loupe/tasks/retry-backoff/03-design-discussion.md"
        write_file(design, design.read_text() + "\nAn agent added a line.\n", age=0)
        await wait_until(pilot, lambda: "  + 03 design discussion · now" in row_texts(app), "the write is listed")
        # The same rows: none built again but the task's and the file's.
        assert rebuilt == []
        assert [option.prompt is before for option, before in zip(rows.options, kept)] == [
            False, True, True, True, False, True, True,
        ]


async def test_tasks_folder_created_after_start_is_picked_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tasks_view, "POLL_SECONDS", 0.2)
    root = tmp_path / "empty-repo"
    root.mkdir()
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.query_one(TasksView).result is not None, "first scan")
        assert "No tasks yet" in str(app.query_one("#task-empty").render())
        assert ".loupe/tasks/" in str(app.query_one("#task-empty").render())
        write_file(root / ".loupe" / "tasks" / "first" / "ticket.md", "# First task\n", age=0)
        await wait_until(pilot, lambda: task_titles(app) == ["First task"], "the task appears")
        # From now on the watcher sees changes too.
        write_file(root / ".loupe" / "tasks" / "second" / "ticket.md", "# Second task\n", age=0)
        await wait_until(pilot, lambda: len(task_titles(app)) == 2, "the second task appears")


async def test_marks_clear_when_the_artifact_is_read(tasks_workspace: Path) -> None:
    app = make_app(tasks_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        view = app.query_one(TasksView)
        ticket = tasks_workspace / ".loupe/tasks/retry-backoff/ticket.md"
        # What the docs pane does when it shows a file; the list learns it from the watched folder.
        ReadSnapshots(view.workspace.data_dir, view.workspace.root).mark_read(ticket, ticket.read_text())
        await wait_until(pilot, lambda: "    ticket · 2d" in row_texts(app)[1], "ticket no longer marked")
        write_file(ticket, ticket.read_text() + "\nAn agent added a line.\n", age=0)
        await wait_until(pilot, lambda: row_texts(app)[1].startswith("  ● ticket"), "ticket marked changed")
        assert row_texts(app)[0].startswith("▾ ● Retries")


async def test_bad_files_are_reported_and_listed(tasks_workspace: Path) -> None:
    folder = tasks_workspace / ".loupe" / "tasks" / "stats-command"
    (folder / "02-dump.md").write_bytes(b"\x00\x01binary")
    app = make_app(tasks_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await wait_until(pilot, lambda: app._notifications, "a notification")
        message = " ".join(n.message for n in app._notifications)
        assert "stats-command/02-dump.md: binary file" in message
        stats = next(t for t in app.query_one(TaskList).tasks if t.slug == "stats-command")
        assert [a.name for a in stats.artifacts] == ["ticket.md", "02-dump.md"]


async def test_create_task_from_the_modal(tasks_workspace: Path, opened: list[OpenPath]) -> None:
    app = make_app(tasks_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: shows(app, NewTaskScreen), "the dialog opens")
        await pilot.press(*"Dark mode", "enter")
        assert isinstance(app.focused, TextArea)
        await pilot.press(*"Asked.")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: shows(app, MainScreen), "the dialog closes")
        ticket = tasks_workspace / ".loupe/tasks/dark-mode/ticket.md"
        assert ticket.read_text() == "# Dark mode\n\nAsked.\n"
        await wait_until(pilot, lambda: opened and opened[-1].path == ticket, "its ticket is opened")
        await wait_until(pilot, lambda: current_artifact(app) == ticket, "the new task's ticket is selected")


async def test_modal_keeps_input_on_errors(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    (root / ".loupe").mkdir(parents=True)
    (root / ".loupe" / "tasks").write_text("not a folder")
    app = make_app(root)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.query_one(TasksView).result is not None, "first scan")
        app.query_one(TasksView).new_task()
        await wait_until(pilot, lambda: shows(app, NewTaskScreen), "the dialog opens")
        await pilot.press("ctrl+s")
        error = app.screen.query_one("#error")
        assert "Give the task a title" in str(error.render())
        await pilot.press(*"Keep me")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "is a file" in str(error.render()), "the disk error is shown")
        assert isinstance(app.screen, NewTaskScreen)
        assert app.screen.query_one("#new-task-title", Input).value == "Keep me"
        await pilot.press("escape")
        assert isinstance(app.screen, MainScreen)


async def test_open_file_from_command_line(tasks_workspace: Path, opened: list[OpenPath]) -> None:
    git(tasks_workspace.parent, "init", "-q", str(tasks_workspace))
    artifact = tasks_workspace / ".loupe/tasks/postgres-backend/01-research-questions.md"
    app = LoupeApp(open_workspace(artifact), remember_theme=False, clock=lambda: NOW)
    assert app.workspace.root == tasks_workspace
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: opened, "the file is opened at start")
        assert opened[0].path == artifact
        await wait_until(pilot, lambda: current_artifact(app) == artifact, "the task list highlights it")


async def test_palette_offers_task_commands(tasks_workspace: Path) -> None:
    app = make_app(tasks_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        titles = [title for title, _, _ in app.query_one(TasksView).palette_commands()]
        assert "New task" in titles and "Rescan tasks" in titles


async def test_reading_an_artifact_in_the_pane_clears_its_mark(tasks_workspace: Path) -> None:
    # The app's clock moves a little each time it is read: time on screen passes.
    ticks = itertools.count(NOW, 0.05)
    app = LoupeApp(open_workspace(tasks_workspace), remember_theme=False, clock=lambda: next(ticks))
    # The docs pane counts a document as read after it has been on screen this long.
    app.workspace.config.docs.read_after_seconds = 0.1
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await pilot.press("down", "enter")  # the open task's ticket
        await wait_until(pilot, lambda: row_texts(app)[1] == "    ticket · 2d", "the ticket's new-mark is gone")
        # The other artifacts were not opened and stay new.
        assert row_texts(app)[2].startswith("  + 01 research questions")


async def test_theme_switch_restyles_the_marks(tasks_workspace: Path) -> None:
    app = make_app(tasks_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        rows = app.query_one(TaskList).rows

        def mark_colour() -> object:
            prompt = rows.options[1].prompt  # "  + ticket · 2d": the mark is the third cell
            return next(span.style.foreground for span in prompt.spans if span.start == 2)

        dark = mark_colour()
        app.theme = "loupe-light"
        await wait_until(pilot, lambda: mark_colour() != dark, "the new-mark takes the light theme's colour")
        assert mark_colour().hex.lower() == "#2d650b"  # $loupe-added in loupe-light


async def test_symlink_loop_in_tasks_folder_keeps_the_app_live(tasks_workspace: Path) -> None:
    tasks = tasks_workspace / ".loupe" / "tasks"
    (tasks / "retry-backoff" / "loop").symlink_to(tasks)
    (tasks / "self").symlink_to(".")
    app = make_app(tasks_workspace)
    async with app.run_test(size=SIZE) as pilot:
        await loaded(pilot, app)
        await wait_until(pilot, lambda: app._notifications, "the loop is reported")
        assert "symlink loop" in " ".join(n.message for n in app._notifications)
        # The watcher still works.
        write_file(tasks / "after-loop" / "ticket.md", "# After the loop\n", age=0)
        await wait_until(pilot, lambda: "After the loop" in task_titles(app), "a new task appears")


async def test_no_empty_message_before_the_first_scan_arrives() -> None:
    from textual.app import App, ComposeResult

    import themes

    class Bare(App[None]):
        def __init__(self) -> None:
            super().__init__()
            for theme in themes.THEMES:
                self.register_theme(theme)
            self.theme = themes.DEFAULT_THEME

        def compose(self) -> ComposeResult:
            yield TaskList(id="task-list")

    app = Bare()
    async with app.run_test(size=(40, 12)) as pilot:
        task_list = app.query_one(TaskList)
        await pilot.pause()
        # Not known yet is not the same as empty: no "No tasks yet" flash at every start.
        assert not task_list.has_class("-empty")
        assert not app.query_one("#task-empty").display
        task_list.set_tasks([])
        await pilot.pause()
        assert task_list.has_class("-empty")
        assert app.query_one("#task-empty").display

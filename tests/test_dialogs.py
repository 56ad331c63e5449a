"""Every dialog on the one base: its buttons fit an 80x24 terminal; escape, the error line and
the busy state behave the same everywhere; outside text is shown as plain text."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from textual.app import App
from textual.widgets import Button, Input, Static

import themes
from tests.helpers import wait_until
from tui.agent.fork import ForkPoint
from tui.dialogs.base import Dialog
from tui.dialogs.chat import BranchChoice, EditMessageScreen, MapScreen, ReduceScreen
from tui.dialogs.confirm import ConfirmScreen, PromptScreen
from tui.dialogs.fork_session import ForkSessionScreen
from tui.dialogs.guard_log import AuditScreen
from tui.dialogs.new_task import NewTaskScreen
from tui.dialogs.send_text import SendMessageScreen
from tui.dialogs.sessions import NewSessionScreen, QuitSessionsScreen
from tui.dialogs.submit_round import SubmitRoundScreen
from tui.dialogs.thread_search import ThreadSearchScreen
from tui.review.model import Round, RoundState, Target
from tui.services.review import SessionChoice, SubmitChoices, ThreadChoice
from tui.threads.model import Message, Role, Status

LONG = "A body long enough to wrap over several lines of a narrow dialog, as real ones do. " * 3


def fork_point(number: int) -> ForkPoint:
    label = f"reply {number}"
    message = Message(f"m{number}", None, f"m{number}", 0, Role.ASSISTANT, label, Status.COMPLETE, datetime.now())
    return ForkPoint(message, f"m{number}", "tree", number, label)


def never(*_: object) -> object:
    raise AssertionError("the dialog must not run its job in this test")


# The largest content each dialog is opened with in the app.
DIALOGS_WITH_BUTTONS: dict[str, Callable[[], Dialog]] = {
    "confirm": lambda: ConfirmScreen("Remove session 3?", LONG, confirm="Remove"),
    "prompt": lambda: PromptScreen("Export the thread as markdown to", "/tmp/thread.md", action="Export"),
    "new task": lambda: NewTaskScreen(never, where=".loupe/tasks"),
    "new session": lambda: NewSessionScreen(
        [("claude", "Claude Code"), ("codex", "Codex CLI"), ("loupe", "the built-in agent")],
        start=never, default_kind="claude", task="fix-login", task_dir=Path("/src/quarry/.loupe/tasks/fix-login"),
    ),
    "send": lambda: SendMessageScreen("Send to sessions 1, 2, 3: marked", when_idle=True),
    "quit": lambda: QuitSessionsScreen([f"{n} claude · task {n} (working)" for n in range(8)], "loupe"),
    "edit": lambda: EditMessageScreen(LONG, role="user"),
    "map": lambda: MapScreen("the excerpt of a long reply", questions=MapScreen.MAX_BRANCHES),
    "reduce": lambda: ReduceScreen([BranchChoice(f"t{n}", f"branch {n}", LONG[:60]) for n in range(8)]),
    "submit round": lambda: SubmitRoundScreen(
        SubmitChoices(
            Round(3, Path("/src/quarry"), Target.document(".loupe/tasks/retry/05-plan.md"), RoundState.DRAFT, 0.0),
            "12 comments · 3 answers (2 orphaned)",
            tuple(SessionChoice(f"s{n}", f"{n} claude · retry", n % 2 == 0, "it is in the session's worktree")
                  for n in range(8)),
            "s0", tuple(ThreadChoice(f"t{n}", LONG[:60]) for n in range(8)), True,
        ),
        submit=never,
    ),
    "fork session": lambda: ForkSessionScreen("2 loupe · fix-tests", [fork_point(n) for n in range(1, 30)]),
}


class Host(App[None]):
    CSS_PATH = themes.TCSS_PATHS

    def __init__(self, dialog: Dialog) -> None:
        super().__init__()
        self.dialog = dialog
        self.results: list[object] = []

    def on_mount(self) -> None:
        self.push_screen(self.dialog, self.results.append)


@pytest.mark.parametrize("name", list(DIALOGS_WITH_BUTTONS))
async def test_buttons_fit_an_80x24_terminal(name: str) -> None:
    app = Host(DIALOGS_WITH_BUTTONS[name]())
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.screen is app.dialog and app.dialog.query(Button), "the dialog")
        await pilot.pause()
        screen = app.screen.region
        buttons = list(app.screen.query(Button))
        assert buttons
        for button in buttons:
            assert screen.contains_region(button.region), f"{button.label} at {button.region} in {screen}"


async def test_escape_and_cancel_close_with_none() -> None:
    for close in ("escape", "cancel"):
        app = Host(PromptScreen("Rename thread", "old"))
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_until(pilot, lambda: app.screen is app.dialog, "the dialog")
            if close == "escape":
                await pilot.press("escape")
            else:
                await pilot.click("#cancel")
            await wait_until(pilot, lambda: app.results, "the dialog to close")
        assert app.results == [None], close


async def test_the_error_line_is_plain_text_and_hides_when_cleared() -> None:
    app = Host(SendMessageScreen("Send"))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.screen is app.dialog, "the dialog")
        error = app.dialog.query_one("#error", Static)
        assert not error.display
        app.dialog.show_error("[/] is not markup; [bold]neither[/bold] is this\x1b[2J")
        await pilot.pause()
        assert error.display
        assert str(error.render()) == "[/] is not markup; [bold]neither[/bold] is this␛[2J"
        app.dialog.show_error("")
        await pilot.pause()
        assert not error.display


async def test_headings_and_bodies_from_outside_are_plain_text() -> None:
    title = "Delete “[red]x[/] \x1b]0;pwned\x07”?"
    app = Host(ConfirmScreen(title, "forks of [b]x[/b] move up"))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.screen is app.dialog, "the dialog")
        heading = str(app.dialog.query_one(".dialog-title", Static).render())
        body = str(app.dialog.query_one(".dialog-body", Static).render())
    assert heading == "Delete “[red]x[/] ␛]0;pwned␇”?"
    assert body == "forks of [b]x[/b] move up"


async def test_busy_disables_the_primary_button_ignores_escape_and_reports_failure() -> None:
    release = threading.Event()

    def create(title: str, text: str) -> Path:
        release.wait(timeout=30)
        raise OSError("Read-only file system")

    app = Host(NewTaskScreen(create, where=".loupe/tasks"))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.screen is app.dialog, "the dialog")
        dialog = app.dialog
        button = dialog.query_one("#new-task-create", Button)
        await pilot.press(*"Dark mode", "ctrl+s")
        await wait_until(pilot, lambda: dialog.is_busy, "busy")
        assert button.disabled and str(button.label) == "Creating…"
        await pilot.press("escape")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is dialog, "escape waits for the job"
        release.set()
        await wait_until(pilot, lambda: not dialog.is_busy, "the job to fail")
        assert not button.disabled and str(button.label) == "Create"
        assert str(dialog.query_one("#error", Static).render()) == "Could not create the task: Read-only file system"
        assert dialog.query_one("#new-task-title", Input).value == "Dark mode"
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.results, "escape closes once idle")
    assert app.results == [None]


async def test_a_job_that_succeeds_dismisses_with_its_result(tmp_path: Path) -> None:
    calls: list[tuple[str, str]] = []

    def create(title: str, text: str) -> Path:
        calls.append((title, text))
        return tmp_path / "dark-mode"

    app = Host(NewTaskScreen(create, where=".loupe/tasks"))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: app.screen is app.dialog, "the dialog")
        await pilot.press(*"Dark mode", "enter", *"Asked.", "ctrl+s")
        await wait_until(pilot, lambda: app.results, "the dialog to close")
    assert app.results == [tmp_path / "dark-mode"]
    assert calls == [("Dark mode", "Asked.")]


async def test_dialogs_without_buttons_close_on_escape(tmp_path: Path) -> None:
    for dialog in (ThreadSearchScreen(lambda query: []), AuditScreen(tmp_path / "audit.jsonl")):
        app = Host(dialog)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_until(pilot, lambda: app.screen is app.dialog, "the dialog")
            await pilot.press("escape")
            await wait_until(pilot, lambda: app.results, "the dialog to close")
        assert app.results == [None], type(dialog).__name__

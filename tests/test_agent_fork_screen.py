"""The fork picker: choose the message, optionally a new instruction."""

from __future__ import annotations

from datetime import datetime

from textual.app import App
from textual.widgets import Input, OptionList

from tests.helpers import shows, wait_until
from tui.agent.fork import ForkPoint
from tui.dialogs.fork_session import ForkRequest, ForkSessionScreen
from tui.threads.model import Message, Role, Status


def point(number: int, label: str, snapshot: str | None) -> ForkPoint:
    message = Message(f"m{number}", None, f"m{number}", 0, Role.ASSISTANT, label, Status.COMPLETE, datetime.now())
    return ForkPoint(message, f"m{number}", snapshot, number, label)


class Host(App[None]):
    def __init__(self, points: list[ForkPoint]) -> None:
        super().__init__()
        self.points = points
        self.results: list[ForkRequest | None] = []

    def on_mount(self) -> None:
        self.push_screen(ForkSessionScreen("2 loupe · fix-tests", self.points), self.results.append)


async def test_pick_a_message_and_give_an_instruction() -> None:
    app = Host([point(1, "prompt: fix it", "t0"), point(2, "$ pytest", "t1"), point(3, "Done.", None)])
    async with app.run_test(size=(110, 30)) as pilot:
        await wait_until(pilot, lambda: shows(app, ForkSessionScreen), "the picker")
        options = app.screen.query_one(OptionList)
        assert options.highlighted == 2, "the latest message is preselected"
        assert "no code recorded" in str(options.get_option_at_index(2).prompt)
        await pilot.press("up", "enter")
        assert app.screen.query_one(Input).has_focus
        await pilot.press(*"use pathlib", "enter")
        await wait_until(pilot, lambda: app.results, "the picker to close")
    (request,) = app.results
    assert request is not None
    assert request.point.number == 2 and request.prompt == "use pathlib"


async def test_escape_cancels() -> None:
    app = Host([point(1, "prompt: x", "t0")])
    async with app.run_test(size=(110, 30)) as pilot:
        await wait_until(pilot, lambda: shows(app, ForkSessionScreen), "the picker")
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.results, "the picker to close")
    assert app.results == [None]

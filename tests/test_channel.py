"""The one channel: events emitted from any thread reach subscribed widgets on the UI loop."""

from __future__ import annotations

import threading
from pathlib import Path

from textual import on
from textual.app import App, ComposeResult
from textual.widget import Widget

from tests.helpers import wait_until
from tui.channel import Channel, Received, received, run_loop
from tui.events import Emit, Event, FileChanged, ReplyFinished, ReplyProgress
from widgets.chat.incremental_markdown import IncrementalMarkdown


class Reader(IncrementalMarkdown):
    """Shows a reply's saved content as it grows, as the chat pane does."""

    def __init__(self) -> None:
        super().__init__(streaming=True)
        self.seen: list[Event] = []
        self.threads: set[int] = set()

    @on(received(ReplyProgress))
    def _progress(self, message: Received[ReplyProgress]) -> None:
        self.threads.add(threading.get_ident())
        self.seen.append(message.event)
        self.append(message.event.content[len(self.text) :])

    @on(received(ReplyFinished))
    def _finished(self, message: Received[ReplyFinished]) -> None:
        self.seen.append(message.event)


class Host(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.channel = Channel(self)

    def compose(self) -> ComposeResult:
        yield Reader()


async def test_events_from_a_thread_arrive_in_order_on_the_ui_loop_and_render() -> None:
    app = Host()
    async with app.run_test(size=(60, 20)) as pilot:
        reader = app.query_one(Reader)
        app.channel.subscribe(reader, ReplyProgress)
        words = [f"word{n} " for n in range(300)]
        events = [ReplyProgress("t", "m", "".join(words[: n + 1])) for n in range(len(words))]
        sender = threading.Thread(target=lambda: [app.channel.emit(event) for event in events])
        sender.start()
        sender.join()
        # Rendering is driven by timers started from the handler: this fails if delivery
        # loses Textual's context (timers started outside it never fire).
        await wait_until(pilot, lambda: "word299" in reader.rendered_text(), "all words rendered")
        assert reader.seen == events
        assert reader.threads == {threading.get_ident()}  # the UI loop, not the sender
        # A type nobody subscribed to goes nowhere.
        app.channel.emit(ReplyFinished("t", None))
        await pilot.pause()
        assert reader.seen == events


async def test_a_removed_widget_gets_nothing_more_and_is_dropped() -> None:
    app = Host()
    async with app.run_test(size=(60, 20)) as pilot:
        reader = app.query_one(Reader)
        app.channel.subscribe(reader, ReplyProgress)
        app.channel.emit(ReplyProgress("t", "m", "before"))
        await wait_until(pilot, lambda: len(reader.seen) == 1, "the first event")
        await reader.remove()
        app.channel.emit(ReplyProgress("t", "m", "after"))
        await pilot.pause()
        assert reader.seen == [ReplyProgress("t", "m", "before")]
        assert app.channel.subscribers(ReplyProgress) == []


class Follower(Widget):
    def __init__(self, started: threading.Event, ended: threading.Event) -> None:
        super().__init__()
        self.started, self.ended = started, ended

    def on_mount(self) -> None:
        run_loop(self, self.loop, self.app.channel.emit, name="test-loop", group="test")  # type: ignore[attr-defined]

    def loop(self, stop: threading.Event, emit: Emit) -> None:
        self.started.set()
        emit(FileChanged(Path("x"), "poll"))
        stop.wait()
        self.ended.set()


async def test_a_loop_runs_until_its_widget_is_removed_or_the_app_exits() -> None:
    app = Host()
    async with app.run_test(size=(60, 20)) as pilot:
        started, ended = threading.Event(), threading.Event()
        follower = Follower(started, ended)
        app.channel.subscribe(app.query_one(Reader), FileChanged)
        await app.mount(follower)
        await wait_until(pilot, started.is_set, "the loop runs")
        await follower.remove()
        await wait_until(pilot, ended.is_set, "the loop ends with its widget")
        started, ended = threading.Event(), threading.Event()
        await app.mount(Follower(started, ended))
        await wait_until(pilot, started.is_set, "a second loop runs")
    ended.wait(5)
    assert ended.is_set(), "the loop ends with the app"

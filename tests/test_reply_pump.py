"""Text pushed from a worker thread reaches a streaming view, batched, and gets rendered."""

from __future__ import annotations

import threading

from textual.app import App, ComposeResult

from tests.helpers import wait_until
from tui.views.reply_pump import ReplyPump
from widgets.chat.incremental_markdown import IncrementalMarkdown


class Host(App[None]):
    def compose(self) -> ComposeResult:
        yield IncrementalMarkdown(streaming=True)


async def test_pushes_from_a_thread_are_batched_and_rendered() -> None:
    app = Host()
    async with app.run_test(size=(60, 20)) as pilot:
        view = app.query_one(IncrementalMarkdown)
        deliveries: list[str] = []

        def deliver(text: str) -> None:
            deliveries.append(text)
            view.append(text)

        pump = ReplyPump(deliver)
        words = [f"word{n} " for n in range(300)]
        thread = threading.Thread(target=lambda: [pump.push(w) for w in words])
        thread.start()
        thread.join()  # the loop is blocked meanwhile, so every push lands in one batch
        # Rendering is driven by timers started from the pump's callbacks: this fails if the
        # pump loses Textual's context (timers started outside it never fire).
        await wait_until(pilot, lambda: "word299" in view.rendered_text(), "all words rendered")
        assert deliveries == ["".join(words)]
        pump.close()
        pump.push("late")
        await pilot.pause()
        assert "late" not in view.text

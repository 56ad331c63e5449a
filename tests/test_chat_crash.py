"""The app killed with SIGKILL while a reply streams: on the next start the partial reply is
there, marked interrupted, and can be regenerated."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.model_server import Reply
from tests.helpers import wait_until
from tests.test_chat_pane import SIZE, settled
from tui.app import LoupeApp
from tui.model.scripted_server import ScriptedServer
from tui.views.chat import ChatPane
from tui.workspace import open_workspace
from widgets.thread_tree import ThreadTree

# Runs the real app headless in another process and sends a message; prints the thread id
# once the partial reply is both on screen and saved, then waits to be killed.
WRITER = """
import asyncio, sys
from pathlib import Path
from tests.helpers import wait_until
from tests.test_chat_pane import new_thread, send
from tui.app import LoupeApp
from tui.workspace import open_workspace

async def main():
    app = LoupeApp(open_workspace(Path(sys.argv[1])), remember_theme=False)
    async with app.run_test(size=(110, 36)) as pilot:
        pane = await new_thread(pilot, "crash")
        await send(pilot, pane, "Tell me a long story")
        store = app.services.threads.store
        def saved():
            history = store.history(pane.thread_id)
            return len(history) == 2 and history[-1].content.startswith("Once upon")
        await wait_until(pilot, saved, "the partial reply saved", timeout=30)
        await wait_until(pilot, lambda: "Once upon" in pane.log.views()[-1].text, "shown", timeout=30)
        print(pane.thread_id, flush=True)
        await asyncio.sleep(3600)

asyncio.run(main())
"""


@pytest.mark.slow
async def test_a_reply_cut_by_a_crash_is_interrupted_on_the_next_start(
    tmp_path: Path, model_server: ScriptedServer, model_config: Path
) -> None:
    model_server.script(
        Reply(text="Once upon a time there was a queue", hang_after=4),
        Reply(text="A whole story."),
    )
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert writer.stdout is not None
        thread_id = writer.stdout.readline().strip()
        assert thread_id, writer.stderr.read() if writer.poll() is not None else "no thread id"  # type: ignore[union-attr]
        writer.send_signal(signal.SIGKILL)
        writer.wait(timeout=30)
    finally:
        if writer.poll() is None:
            writer.kill()
            writer.wait()

    app = LoupeApp(open_workspace(tmp_path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        tree = app.screen.query_one(ThreadTree)
        await wait_until(pilot, lambda: thread_id in tree.threads, "the thread is listed")
        tree.focus()
        tree.select_thread(thread_id)
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(app.screen.query(ChatPane)), "the chat opens")
        pane = app.screen.query_one(ChatPane)
        await wait_until(pilot, lambda: len(pane.log.messages) == 2, "the history")
        cut = pane.log.messages[-1]
        assert cut.status == "interrupted" and cut.content.startswith("Once upon"), cut.error
        assert "Interrupted" in str(pane.log.views()[-1].query_one(".error-line").render())
        # Regenerate it: a sibling with the whole reply; the cut one stays switchable.
        pane.log.focus()
        await pilot.press("r")
        await wait_until(pilot, lambda: pane.log.messages[-1].content == "A whole story.", "the new reply")
        await settled(pilot, pane, 2)
        assert (pane.log.messages[-1].sibling_index, pane.log.messages[-1].sibling_count) == (1, 2)

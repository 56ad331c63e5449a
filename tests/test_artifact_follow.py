"""Following a file an agent keeps appending to: what the pane holds stays bounded.

The real app on a real file; a writer thread appends and waits for each version to be shown,
as an agent writing a progress log would. Assertions are on what is held (painted lines,
layouts, live Strip objects), never on time.
"""

from __future__ import annotations

import gc
import threading
import time
from pathlib import Path

from textual.strip import Strip

from tests.helpers import wait_for, wait_until
from tui.app import LoupeApp
from tui.views.artifact import ArtifactDocument
from tui.views.follow import MIN_RELOAD_SECONDS
from tui.workspace import open_workspace

SIZE = (110, 34)


def configure(root: Path) -> None:
    (root / ".loupe").mkdir(exist_ok=True)
    # Never read: the document stays "changed", as it is while an agent is still writing.
    (root / ".loupe" / "config.toml").write_text("[docs]\npoll_seconds = 0.2\nread_after_seconds = inf\n")


def progress(first: int, count: int) -> str:
    return "".join(f"- step {number}: ran the tests again, all green\n" for number in range(first, first + count))


def live_strips() -> int:
    gc.collect()
    return sum(1 for item in gc.get_objects() if isinstance(item, Strip))


async def test_appends_split_only_the_tail_and_show_it(tmp_path: Path) -> None:
    configure(tmp_path)
    path = tmp_path / "plan.md"
    path.write_text("".join(f"## Part {number}\n\nWhat part {number} does.\n\n" for number in range(300)))
    app = LoupeApp(open_workspace(path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.screen.query(ArtifactDocument), "artifact pane")
        document = app.screen.query_one(ArtifactDocument)
        await wait_until(pilot, lambda: document.text is not None and document.pane.view.fully_laid_out, "shown")
        first = document.doc
        assert first is not None
        await pilot.press("G")
        for number in range(5):
            with path.open("a") as handle:
                handle.write(f"Appended paragraph {number}.\n\n")
            await wait_until(pilot, lambda: f"paragraph {number}." in (document.text or ""), f"append {number} shown")
        doc = document.doc
        assert doc is not None and len(doc.blocks) == len(first.blocks) + 5
        # The blocks that were there are the very objects split the first time (but the last,
        # which an append may have continued).
        assert doc.blocks[: len(first.blocks)] == first.blocks
        assert all(doc.blocks[index] is block for index, block in enumerate(first.blocks[:-1]))
        view = document.pane.view

        def screen() -> str:
            return "\n".join(view.render_line(y).text for y in range(view.scrollable_content_region.height))

        await wait_until(pilot, lambda: "Appended paragraph 4." in screen(), "the last append on screen")


async def test_a_growing_block_keeps_only_what_is_on_screen_painted(tmp_path: Path) -> None:
    configure(tmp_path)
    path = tmp_path / "progress.md"
    path.write_text("# Progress\n\n" + progress(0, 10))
    app = LoupeApp(open_workspace(path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.screen.query(ArtifactDocument), "artifact pane")
        document = app.screen.query_one(ArtifactDocument)
        view = document.pane.view
        await wait_until(pilot, lambda: document.text is not None and view.fully_laid_out, "document shown")

        async def append(batches: range) -> None:
            done = threading.Event()

            def writer() -> None:
                # Every append makes the list's last block longer: each version is a new block.
                for batch in batches:
                    with path.open("a") as handle:
                        handle.write(progress(batch * 10, 10))
                    last = f"step {batch * 10 + 9}:"
                    wait_for(lambda: document.text is not None and last in document.text, f"batch {batch} shown", 30)
                done.set()

            thread = threading.Thread(target=writer, daemon=True)
            thread.start()
            await wait_until(pilot, done.is_set, "every append shown", timeout=120)
            thread.join()
            await pilot.pause()

        await append(range(1, 11))
        held = live_strips()
        await append(range(11, 31))
        assert view.doc is not None
        keys = {block.key for block in view.doc.blocks}
        painter = view._painter
        # Older versions of the list are forgotten, and only lines shown were painted.
        assert painter.blocks_held <= keys
        assert 0 < painter.cells_held <= SIZE[1] * view.layout_width
        assert {key for key, _ in view.layouts} <= keys
        # 20 more versions of the list, up to 310 lines long: painting each whole, and keeping
        # the 400 last blocks painted, held ~4,000 more Strips.
        assert live_strips() - held < 200



async def test_a_file_written_without_a_pause_is_reloaded_a_few_times_a_second(tmp_path: Path) -> None:
    configure(tmp_path)
    path = tmp_path / "log.md"
    path.write_text("# Log\n\n")
    app = LoupeApp(open_workspace(path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.screen.query(ArtifactDocument), "artifact pane")
        document = app.screen.query_one(ArtifactDocument)
        await wait_until(pilot, lambda: document.text is not None, "document shown")
        done = threading.Event()
        window: list[float] = []

        def writer() -> None:
            started = time.monotonic()
            for number in range(200):  # a line every 10 ms, as a test run's output
                with path.open("a") as handle:
                    handle.write(f"- line {number}\n")
                time.sleep(0.01)
            window.append(time.monotonic() - started)
            done.set()

        before = document.follower.loads
        threading.Thread(target=writer, daemon=True).start()
        await wait_until(pilot, done.is_set, "writer done", timeout=60)
        # The last state wins: everything written is shown, however the reloads were merged.
        await wait_until(pilot, lambda: document.text == path.read_text(), "last write shown")
        loads = document.follower.loads - before
        # At most one reload per interval while it wrote, and one after (a busy machine only
        # makes fewer); watchfiles alone reported the file about 12 times a second.
        assert 1 <= loads <= window[0] / MIN_RELOAD_SECONDS + 2

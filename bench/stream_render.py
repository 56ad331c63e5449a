"""Three chat views streaming long replies at once while keys are pressed.

Each view streams a reply of `--tokens` tokens (4,000 by default) at `--rate` tokens a second
(100) from the scripted OpenAI-compatible server, through the openai SDK in a worker thread,
exactly as the chat pane does. Meanwhile a thread presses a key every 50 ms, the way a
terminal's input thread does, and the time from the press to its handler is recorded.

Two runs in the same process, same replies, same pacing:
- loupe: the chat log (`ChatLog`/`MessageView`/`IncrementalMarkdown`), fed by `ReplyPump`;
- stock: Textual's `Markdown` widget fed through `Markdown.get_stream()` (the baseline).

Goals: every view finishes within 1.1x of the stream's own length; key presses are handled
within 30 ms at p95. Prints the figures and the ratios between the two runs.

    .venv/bin/python bench/stream_render.py [--tokens 4000] [--rate 100] [--views 3]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual import events  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402
from textual.containers import Horizontal, VerticalScroll  # noqa: E402
from textual.widgets import Markdown, TextArea  # noqa: E402

from tui.views.reply_pump import ReplyPump  # noqa: E402
from widgets.chat.chat_log import ChatLog  # noqa: E402
from widgets.chat.message import MessageInfo  # noqa: E402


def make_reply(tokens: int, seed: int) -> list[str]:
    """A reply that looks like a model's: headings, prose, lists, code fences, tables."""
    sections: list[str] = []
    index = 0
    while sum(len(s) for s in sections) < tokens * 4 + 400:
        n = seed * 100 + index
        sections.append(
            f"## Step {n}: what changes\n\n"
            f"The worker in `queue_{n}.py` retries **at most {n % 7 + 2} times**, waiting "
            f"with full jitter; see [the design](https://example.com/d/{n}) for the reasons. "
            "Failures past the limit go to the dead-letter table, where `quarry dead list` "
            "shows them with their last error.\n"
        )
        sections.append(
            "- the policy is per task, declared on the decorator\n"
            f"- `max_attempts={n % 5 + 3}` counts the first run\n"
            "  - a policy of 1 means never retry\n"
            "- backoff is capped, so a long outage does not push jobs out for hours\n"
        )
        sections.append(
            "```python\n"
            + "".join(
                f"def delay_{n}_{j}(attempt: int, base: float = 2.0) -> float:\n"
                f"    return min(600.0, base * 2 ** (attempt - 1)) * {j + 1}  # step {j}\n"
                for j in range(10)
            )
            + "```\n"
        )
        sections.append(
            "| attempt | ceiling | expected |\n|---|---|---|\n"
            + "".join(f"| {a} | {2 ** a}s | {2 ** a / 2:.1f}s |\n" for a in range(1, 6))
        )
        index += 1
    text = "\n".join(sections)
    # About four characters a token, as for English text and code.
    return [text[i : i + 4] for i in range(0, len(text), 4)][:tokens]


@dataclass
class Probe:
    latencies: list[float] = field(default_factory=list)
    sent: dict[int, float] = field(default_factory=dict)
    times: list[float] = field(default_factory=list)


class KeyProbe(TextArea):
    """The focused composer; records how long each synthetic key press waited."""

    def __init__(self, probe: Probe) -> None:
        super().__init__(placeholder="keys land here", soft_wrap=True)
        self.probe = probe

    async def _on_key(self, event: events.Key) -> None:
        await super()._on_key(event)
        sent = self.probe.sent.pop(id(event), None)
        if sent is not None:
            now = time.perf_counter()
            self.probe.latencies.append(now - sent)
            self.probe.times.append(now)


class BenchApp(App[None]):
    CSS = """
    Horizontal { height: 1fr; }
    .pane { width: 1fr; border-right: vkey $panel; }
    KeyProbe { dock: bottom; height: 5; }
    """

    def __init__(self, mode: str, views: int, probe: Probe) -> None:
        super().__init__()
        self.mode = mode
        self.views = views
        self.probe = probe

    def compose(self) -> ComposeResult:
        with Horizontal():
            for index in range(self.views):
                if self.mode == "loupe":
                    yield ChatLog(classes="pane", id=f"pane{index}")
                else:
                    yield VerticalScroll(Markdown(), classes="pane", id=f"pane{index}")
        yield KeyProbe(self.probe)


# A token source: yields chunks of text paced like a model; runs in a worker thread.
Source = Callable[[int], Iterator[str]]


def local_source(replies: list[list[str]], rate: float) -> Source:
    """Tokens paced in the worker thread itself (no server; for a quick look)."""

    def stream(index: int) -> Iterator[str]:
        start = time.perf_counter()
        for number, token in enumerate(replies[index]):
            delay = start + (number + 1) / rate - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            yield token

    return stream


async def run(mode: str, views: int, source: Source, ideal: float) -> dict[str, float]:
    probe = Probe()
    app = BenchApp(mode, views, probe)
    finished: list[float] = []
    async with app.run_test(size=(180, 50)) as pilot:
        app.query_one(KeyProbe).focus()
        await pilot.pause()
        feeders: list[Callable[[], None]] = []
        done_events: list[asyncio.Event] = []
        start = time.perf_counter()
        for index in range(views):
            done = asyncio.Event()
            done_events.append(done)
            if mode == "loupe":
                log = app.query_one(f"#pane{index}", ChatLog)
                await log.set_messages(
                    [
                        MessageInfo("q", "user", "Plan the retry work, with code."),
                        MessageInfo("a", "assistant", "", status="streaming", model="scripted"),
                    ]
                )

                def finish(log: ChatLog = log, done: asyncio.Event = done) -> None:
                    view = log.view_for("a")
                    assert view is not None
                    view.body.finish()

                    async def settled() -> None:
                        # Done means the last line is on screen, not just received.
                        while not view.body.is_settled:
                            await asyncio.sleep(0.005)
                        finished.append(time.perf_counter() - start)
                        done.set()

                    app.run_worker(settled(), group="settle")

                pump = ReplyPump(lambda text, log=log: log.append_text("a", text))
            else:
                markdown = app.query_one(f"#pane{index} Markdown", Markdown)
                app.query_one(f"#pane{index}", VerticalScroll).anchor()
                stream = Markdown.get_stream(markdown)
                queue: asyncio.Queue[str | None] = asyncio.Queue()

                async def write(stream=stream, queue=queue, done=done) -> None:  # type: ignore[no-untyped-def]
                    while (text := await queue.get()) is not None:
                        await stream.write(text)
                    await stream.stop()
                    finished.append(time.perf_counter() - start)
                    done.set()

                app.run_worker(write(), group="writers")
                pump = ReplyPump(queue.put_nowait)
                finish = lambda queue=queue: queue.put_nowait(None)  # noqa: E731
            loop = asyncio.get_running_loop()

            def feed(index: int = index, pump: ReplyPump = pump, finish=finish) -> None:  # type: ignore[no-untyped-def]
                for token in source(index):
                    pump.push(token)
                loop.call_soon_threadsafe(lambda: (pump.flush(), finish()))

            feeders.append(feed)
        threads = [threading.Thread(target=feed, daemon=True) for feed in feeders]
        stop = threading.Event()

        def press_keys() -> None:
            while not stop.wait(0.05):
                event = events.Key("x", "x")
                probe.sent[id(event)] = time.perf_counter()
                app.post_message(event)

        presser = threading.Thread(target=press_keys, daemon=True)
        presser.start()
        for thread in threads:
            thread.start()
        for done in done_events:
            await done.wait()
        stop.set()
        presser.join()
        await pilot.pause()
    slow = [(round(t - start, 1), round(lat * 1000)) for t, lat in zip(probe.times, probe.latencies) if lat > 0.1]
    if slow:
        print(f"  {mode}: presses over 100 ms at (s after start, ms): {slow[:12]}")
    latencies = sorted(probe.latencies)
    return {
        "wall": max(finished),
        "ratio": max(finished) / ideal,
        "keys": float(len(latencies)),
        "p50": statistics.median(latencies) * 1000,
        "p95": latencies[int(len(latencies) * 0.95)] * 1000,
        "max": latencies[-1] * 1000,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tokens", type=int, default=4000)
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--views", type=int, default=3)
    parser.add_argument("--only", choices=["loupe", "stock"], help="run one mode only")
    args = parser.parse_args()
    replies = [make_reply(args.tokens, seed) for seed in range(args.views)]
    ideal = args.tokens / args.rate
    source = local_source(replies, args.rate)
    results: dict[str, dict[str, float]] = {}
    for mode in ("loupe", "stock"):
        if args.only and mode != args.only:
            continue
        results[mode] = asyncio.run(run(mode, args.views, source, ideal))
        r = results[mode]
        print(
            f"{mode:>5}: {args.views} views x {args.tokens} tokens at {args.rate:g}/s "
            f"(stream {ideal:.1f} s): done in {r['wall']:.1f} s ({r['ratio']:.2f}x); "
            f"{r['keys']:.0f} key presses: p50 {r['p50']:.1f} ms, p95 {r['p95']:.1f} ms, "
            f"max {r['max']:.1f} ms",
            flush=True,
        )
    if len(results) == 2:
        loupe, stock = results["loupe"], results["stock"]
        print(
            f"ratio stock/loupe: key p95 {stock['p95'] / loupe['p95']:.1f}x, "
            f"key max {stock['max'] / loupe['max']:.1f}x, done time {stock['wall'] / loupe['wall']:.2f}x"
        )
    loupe = results.get("loupe")
    if loupe is not None:
        ok = loupe["ratio"] <= 1.1 and loupe["p95"] <= 30
        print(f"goals (<= 1.1x stream length, key p95 <= 30 ms): {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

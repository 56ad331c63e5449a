"""Three chat views streaming long replies at once while keys are pressed.

Each view streams a reply of `--tokens` tokens (4,000 by default) at `--rate` tokens a second
(100) from the scripted OpenAI-compatible server (its own process), through the same pipeline as the chat pane:
`ReplyManager` runs `tui.threads.reply` (openai SDK, store writes) in each reply's own thread
and emits what it saved; the channel delivers it to a widget on the UI loop. Meanwhile a thread presses a key every 50 ms, the way
a terminal's input thread does, and the time from each press to its handler is recorded.

Two runs in the same process, same replies, same pacing:
- loupe: the chat log (`ChatLog`/`MessageView`/`IncrementalMarkdown`), with what `LoupeApp`
  sets up for it: painted lines that do not cache themselves (`widgets.strip_cycles`) and
  full garbage collections held for a pause in input (`tui.quiet_gc`);
- stock: Textual's `Markdown` widget fed through `Markdown.get_stream()` (the baseline), with
  Textual and CPython as they come.

Goals: every view finishes within 1.1x of the stream's own length; key presses are handled
within 30 ms at p95. Prints the figures and the ratios between the two runs.

    .venv/bin/python bench/stream_render.py [--tokens 4000] [--rate 100] [--views 3]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from textual import events, on  # noqa: E402
from textual.app import App, ComposeResult  # noqa: E402
from textual.containers import Horizontal, VerticalScroll  # noqa: E402
from textual.widget import Widget  # noqa: E402
from textual.widgets import Markdown, TextArea  # noqa: E402

from tui.channel import Channel, Received, received  # noqa: E402
from tui.config import Config, EndpointConfig  # noqa: E402
from tui.events import ReplyFinished, ReplyProgress  # noqa: E402
from tui.quiet_gc import QuietGC  # noqa: E402
from tui.threads.replies import ReplyManager  # noqa: E402
from tui.threads.store import ThreadStore  # noqa: E402
from widgets.chat.chat_log import ChatLog  # noqa: E402
from widgets import strip_cycles  # noqa: E402
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
        self.channel = Channel(self)
        # As LoupeApp.started does (tests never install it, so the bench does it here).
        self.quiet_gc = QuietGC() if mode == "loupe" else None

    def on_mount(self) -> None:
        if self.quiet_gc is not None:
            self.quiet_gc.install()
            self.set_interval(0.25, self.quiet_gc.tick)

    def on_unmount(self) -> None:
        if self.quiet_gc is not None:
            self.quiet_gc.uninstall()

    async def on_event(self, event: events.Event) -> None:
        if self.quiet_gc is not None and isinstance(event, events.InputEvent):
            self.quiet_gc.input_seen()
        await super().on_event(event)

    def compose(self) -> ComposeResult:
        with Horizontal():
            for index in range(self.views):
                if self.mode == "loupe":
                    yield ChatLog(classes="pane", id=f"pane{index}")
                else:
                    yield VerticalScroll(Markdown(), classes="pane", id=f"pane{index}")
        yield KeyProbe(self.probe)


class Listener(Widget):
    """Receives a reply's events for one thread and hands the new text to a view (as the chat
    pane does: events carry the saved content, the view takes what it lacks)."""

    DEFAULT_CSS = "Listener { display: none; }"

    def __init__(self, thread_id: str, on_text: Callable[[str], None], on_end: Callable[[], None]) -> None:
        super().__init__()
        self.thread_id = thread_id
        self.on_text = on_text
        self.on_end = on_end
        self.shown = 0
        self.first_text: float | None = None
        self.last_text = 0.0
        self.ended = 0.0

    @on(received(ReplyProgress))
    def _progress(self, message: Received[ReplyProgress]) -> None:
        event = message.event
        if event.thread_id == self.thread_id and len(event.content) > self.shown:
            now = time.perf_counter()
            if self.first_text is None:
                self.first_text = now
            self.last_text = now
            self.on_text(event.content[self.shown :])
            self.shown = len(event.content)

    @on(received(ReplyFinished))
    def _finished(self, message: Received[ReplyFinished]) -> None:
        if message.event.thread_id == self.thread_id:
            self.ended = time.perf_counter()
            self.on_end()


@contextlib.contextmanager
def scripted_server(replies: list[list[str]], rate: float, data: Path) -> Iterator[str]:
    """The scripted server in its own process, as a real model server would be: in this one
    it would share the GIL with the UI, and its pacing would drift with the app's load."""
    script = data / "script.json"
    script.write_text(
        json.dumps({"models": ["scripted"], "replies": [{"chunks": r, "tokens_per_second": rate} for r in replies]})
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "tui.model.scripted_server", "--script", str(script)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        if not line.startswith("OPENAI_BASE_URL="):
            raise RuntimeError(f"the scripted server did not start: {line!r}")
        yield line.partition("=")[2]
    finally:
        process.terminate()
        process.wait(10)


class FullCollections:
    """How many full (oldest-generation) garbage collections ran, and the longest (ms)."""

    def __init__(self) -> None:
        self.durations: list[float] = []
        self._started = 0.0

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if info["generation"] != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.durations.append((time.perf_counter() - self._started) * 1000)


async def run(
    mode: str, views: int, replies: list[list[str]], rate: float, ideal: float, data: Path
) -> dict[str, float]:
    full = FullCollections()
    gc.callbacks.append(full)
    if mode == "loupe":
        strip_cycles.install()
    try:
        result = await measure(mode, views, replies, rate, ideal, data)
    finally:
        strip_cycles.uninstall()
        gc.callbacks.remove(full)
    result["full_gcs"] = float(len(full.durations))
    result["longest_gc"] = max(full.durations, default=0.0)
    return result


async def measure(
    mode: str, views: int, replies: list[list[str]], rate: float, ideal: float, data: Path
) -> dict[str, float]:
    probe = Probe()
    app = BenchApp(mode, views, probe)
    finished: dict[int, float] = {}
    with scripted_server(replies, rate, data) as base_url, ThreadStore(data / f"{mode}.sqlite") as store:
        config = Config()
        config.endpoints["bench"] = EndpointConfig(base_url=base_url, api_key_env="", model="scripted")
        config.models.max_retries = 0
        async with app.run_test(size=(180, 50)) as pilot:
            app.query_one(KeyProbe).focus()
            await pilot.pause()
            manager = ReplyManager(store, config, app.channel.emit)
            done_events: list[asyncio.Event] = []
            threads = []
            listeners: list[Listener] = []
            for index in range(views):
                thread = store.create_thread(f"bench {index}", endpoint="bench", model="scripted")
                store.append(thread.id, "user", "Plan the retry work, with code.")
                threads.append(thread.id)
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

                    def end(log: ChatLog = log, done: asyncio.Event = done, index: int = index) -> None:
                        view = log.view_for("a")
                        assert view is not None
                        view.body.finish()

                        async def settled() -> None:
                            # Done means the last line is on screen, not just received.
                            while not view.body.is_settled:
                                await asyncio.sleep(0.005)
                            finished[index] = time.perf_counter()
                            done.set()

                        app.run_worker(settled(), group="settle")

                    text = lambda chunk, log=log: log.append_text("a", chunk)  # noqa: E731
                else:
                    markdown = app.query_one(f"#pane{index} Markdown", Markdown)
                    app.query_one(f"#pane{index}", VerticalScroll).anchor()
                    stream = Markdown.get_stream(markdown)
                    queue: asyncio.Queue[str | None] = asyncio.Queue()

                    async def write(stream=stream, queue=queue, done=done, index=index) -> None:  # type: ignore[no-untyped-def]
                        while (chunk := await queue.get()) is not None:
                            await stream.write(chunk)
                        await stream.stop()
                        finished[index] = time.perf_counter()
                        done.set()

                    app.run_worker(write(), group="writers")
                    text = queue.put_nowait
                    end = lambda queue=queue: queue.put_nowait(None)  # noqa: E731
                listener = Listener(thread.id, text, end)
                listeners.append(listener)
                await app.mount(listener)
                app.channel.subscribe(listener, ReplyProgress, ReplyFinished)
            stop = threading.Event()

            def press_keys() -> None:
                while not stop.wait(0.05):
                    event = events.Key("x", "x")
                    probe.sent[id(event)] = time.perf_counter()
                    app.post_message(event)

            presser = threading.Thread(target=press_keys, daemon=True)
            start = time.perf_counter()
            for thread_id in threads:
                manager.start(thread_id, endpoint="bench")
            presser.start()
            for done in done_events:
                await done.wait()
            stop.set()
            await asyncio.to_thread(presser.join)
            await pilot.pause()
            await asyncio.to_thread(manager.shutdown)
    slow = [(round(t - start, 1), round(lat * 1000)) for t, lat in zip(probe.times, probe.latencies) if lat > 0.1]
    if slow:
        print(f"  {mode}: presses over 100 ms at (s after start, ms): {slow[:12]}")
    latencies = sorted(probe.latencies)
    # From each view's first token to its last line on screen: the stream's own length is
    # tokens / rate; connecting (and importing the SDK) is reported apart, as first-token time.
    spans = [finished[index] - (listener.first_text or start) for index, listener in enumerate(listeners)]
    firsts = [(listener.first_text or start) - start for listener in listeners]
    if "--verbose" in sys.argv:
        for index, listener in enumerate(listeners):
            first = listener.first_text or start
            print(
                f"  view {index}: last text {listener.last_text - first:.2f} s, ended "
                f"{listener.ended - first:.2f} s, shown {finished[index] - first:.2f} s after the first token"
            )
    return {
        "wall": max(spans),
        "first": max(firsts),
        "ratio": max(spans) / ideal,
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
    parser.add_argument("--verbose", action="store_true", help="per-view timings")
    args = parser.parse_args()
    replies = [make_reply(args.tokens, seed) for seed in range(args.views)]
    ideal = args.tokens / args.rate
    # The app imports the SDK on first use (~0.75 s); do it up front so both runs start equal.
    import openai  # noqa: F401

    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="loupe-bench-") as data:
        for mode in ("loupe", "stock"):
            if args.only and mode != args.only:
                continue
            results[mode] = asyncio.run(run(mode, args.views, replies, args.rate, ideal, Path(data)))
            r = results[mode]
            print(
                f"{mode:>5}: {args.views} views x {args.tokens} tokens at {args.rate:g}/s "
                f"(stream {ideal:.1f} s): first token after {r['first']:.2f} s, last line shown "
                f"{r['wall']:.1f} s after the first ({r['ratio']:.2f}x); "
                f"{r['keys']:.0f} key presses: p50 {r['p50']:.1f} ms, p95 {r['p95']:.1f} ms, "
                f"max {r['max']:.1f} ms; {r['full_gcs']:.0f} full GCs (longest {r['longest_gc']:.0f} ms)",
                flush=True,
            )
    if len(results) == 2:
        loupe, stock = results["loupe"], results["stock"]
        print(
            f"ratio stock/loupe: key p95 {stock['p95'] / loupe['p95']:.1f}x, "
            f"key max {stock['max'] / loupe['max']:.1f}x, time to show all {stock['wall'] / loupe['wall']:.2f}x"
        )
    loupe = results.get("loupe")
    if loupe is not None:
        ok = loupe["ratio"] <= 1.1 and loupe["p95"] <= 30
        print(f"goals (<= 1.1x stream length, key p95 <= 30 ms): {'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Following a growing file: an agent appends to a 3,000-line design doc open in the pane.

A separate writer process appends one line at a time (open, append, close, as agents and
`tee -a` do) at 10, 30 and 100 lines/s for `--seconds` (60 by default); the reader sits at the
end of the document, so every append scrolls into view. What is appended (`--shape`): a
progress log, one list item a line, so one block grows without end (the default: it is what
made memory grow by hundreds of MB), or the lines of another design doc (`doc`: new blocks
one after another). Measured in the app's process, each rate in a fresh interpreter:

- RSS after the document is open and laid out, at the end (after a last reload and a
  collection) and its peak; growth is compared with the bytes appended (the document's own
  growth, which the pane must hold);
- CPU of the whole process (UI loop and worker threads) while the writer runs, in % of one
  core;
- append-to-screen latency: from a write returning to the first paint of a version that
  holds it.

Baseline, in the same run: the same pane open on the same file for the same time with no
writer (rate 0). Goals (issue 12 #14): RSS growth <= 20 MB beyond the bytes appended; CPU <=
25% of a core at 30 lines/s; latency p95 <= 250 ms.

`--tracemalloc` traces Python allocations in the pane's process and prints where the
memory that stayed was allocated (slow: figures are then only good for finding leaks).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
import threading
import time
from pathlib import Path

from _harness import SIZE, host_app, median, percentile, report_goals, run_child, scratch_folder

from docgen import WORDS, design_doc

HERE = Path(__file__).resolve()
START_LINES = 3000
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as handle:
        return int(handle.read().split()[1]) * PAGE


def appended_lines(shape: str, count: int) -> list[str]:
    """What the agent appends: a progress log (every line extends one list, the block that
    grows without end) or the lines of a second design doc (new blocks one after another)."""
    if shape == "doc":
        return design_doc(count + 10, seed=8).splitlines()[:count]
    return [
        f"- [x] step {number}: {' '.join(WORDS[(number * 7 + k) % len(WORDS)] for k in range(9))}"
        for number in range(count)
    ]


def base_doc() -> str:
    """The document open in the pane. ASCII only, so characters shown and bytes written
    compare directly. Cut at a line count, it may end inside a fence: closed, so that what
    is appended is not all code."""
    text = design_doc(START_LINES)
    if text.count("```") % 2:
        text += "```\n"
    return text


def writer(path: Path, rate: float, seconds: float, shape: str, out: Path) -> None:
    """Append `shape` lines to `path`; record (time, size) after each."""
    lines = appended_lines(shape, int(rate * seconds))
    if shape == "log":
        lines.insert(0, "\n## Progress log\n")
    writes: list[tuple[float, int]] = []
    started = time.monotonic()
    for number, line in enumerate(lines):
        due = started + number / rate
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        with open(path, "a", encoding="ascii") as handle:
            handle.write(line + "\n")
        writes.append((time.monotonic(), path.stat().st_size))
    out.write_text(json.dumps(writes))


def child(rate: float, seconds: float, shape: str, trace: bool) -> dict:
    folder = scratch_folder()
    os.environ["LOUPE_DATA_DIR"] = str(folder / "data")
    os.environ["LOUPE_CONFIG_DIR"] = str(folder / "config")
    path = folder / "plan.md"
    path.write_text(base_doc(), encoding="ascii")
    if trace:
        import tracemalloc

        tracemalloc.start(8)

    from tui.docs.warmup import warm_up
    from tui.views.artifact import ArtifactDocument
    from widgets.artifact_view import ArtifactView

    shown_size = {"chars": 0}
    paints: list[tuple[float, int]] = []
    original_show = ArtifactView.show_document
    original_render = ArtifactView.render_line

    def show_document(self, doc, diff=None):  # type: ignore[no-untyped-def]
        shown_size["chars"] = len(doc.text)
        original_show(self, doc, diff)

    def render_line(self, y):  # type: ignore[no-untyped-def]
        if not paints or paints[-1][1] != shown_size["chars"]:
            paints.append((time.monotonic(), shown_size["chars"]))
        return original_render(self, y)

    ArtifactView.show_document = show_document  # type: ignore[method-assign]
    ArtifactView.render_line = render_line  # type: ignore[method-assign]
    warm_up()

    peak = {"rss": 0}
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak["rss"] = max(peak["rss"], rss_bytes())
            time.sleep(0.2)

    async def measure() -> dict:
        app = host_app(folder)
        async with app.run_test(size=SIZE) as pilot:
            document = ArtifactDocument(path)
            await app.query_one("#host").mount(document)
            view = document.pane.view
            while not view.fully_laid_out:
                await asyncio.sleep(0.02)
            view.scroll_end(animate=False, immediate=True)
            await pilot.pause(0.5)
            gc.collect()
            before = trace and __import__("tracemalloc").take_snapshot()
            rss_start = rss_bytes()
            size_start = path.stat().st_size
            threading.Thread(target=sample, daemon=True).start()
            cpu_start = os.times()
            wall_start = time.monotonic()
            writes_file = folder / "writes.json"
            if rate > 0:
                process = await asyncio.create_subprocess_exec(
                    sys.executable, str(HERE), "--writer", str(path), str(rate), str(seconds), shape, str(writes_file)
                )
                await process.wait()
            else:
                await asyncio.sleep(seconds)
            cpu_end = os.times()
            wall = time.monotonic() - wall_start
            size_end = path.stat().st_size
            # The last append still has to show: wait for it (bounded), then let caches settle.
            deadline = time.monotonic() + 30
            while shown_size["chars"] < size_end and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            await pilot.pause(1.0)
            gc.collect()
            rss_end = rss_bytes()
            stop.set()
            top: list[str] = []
            if trace:
                after = __import__("tracemalloc").take_snapshot()
                for stat in after.compare_to(before, "traceback")[:12]:
                    frames = [f"{f.filename.split('site-packages/')[-1]}:{f.lineno}" for f in stat.traceback[-4:]]
                    where = " <- ".join(reversed(frames))
                    top.append(f"{stat.size_diff / 1e6:+8.1f} MB {stat.count_diff:+7d}  {where}")
        writes = json.loads(writes_file.read_text()) if rate > 0 else []
        latencies = []
        for written, size in writes:
            shown = next((when for when, chars in paints if chars >= size and when >= written), None)
            latencies.append(None if shown is None else shown - written)
        user = (cpu_end.user - cpu_start.user) + (cpu_end.system - cpu_start.system)
        return {
            "rss_start": rss_start,
            "rss_end": rss_end,
            "rss_peak": max(peak["rss"], rss_end),
            "appended": size_end - size_start,
            "cpu": user / wall,
            "wall": wall,
            "latencies": [value for value in latencies if value is not None],
            "never_shown": sum(1 for value in latencies if value is None),
            "writes": len(writes),
            "loads": document.follower.loads,
            "tracemalloc": top,
        }

    return asyncio.run(measure())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    parser.add_argument("--writer", nargs=5, help=argparse.SUPPRESS)
    parser.add_argument("--rates", type=float, nargs="+", default=[10, 30, 100], help="lines appended per second")
    parser.add_argument("--seconds", type=float, default=60, help="how long each rate appends")
    parser.add_argument(
        "--shape", choices=("log", "doc"), default="log",
        help="log: every line extends one list (a progress log); doc: lines of a design doc",
    )
    parser.add_argument("--tracemalloc", action="store_true", help="print where retained memory was allocated")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.writer:
        target, rate, seconds, shape, out = args.writer
        writer(Path(target), float(rate), float(seconds), shape, Path(out))
        return 0
    if args.child:
        rate, seconds, shape, trace = args.child
        print(json.dumps(child(float(rate), float(seconds), shape, trace == "1")))
        return 0
    trace = "1" if args.tracemalloc else "0"
    timeout = args.seconds * 4 + 120
    base = run_child(HERE, ["0", str(args.seconds), args.shape, trace], timeout)
    assert base is not None
    base_growth = base["rss_end"] - base["rss_start"]
    print(
        f"== baseline: pane open on a {START_LINES:,}-line doc, nothing appended, {args.seconds:.0f} s: "
        f"RSS {base['rss_start'] / 1e6:.0f} -> {base['rss_end'] / 1e6:.0f} MB (peak {base['rss_peak'] / 1e6:.0f}), "
        f"CPU {base['cpu'] * 100:.1f}% of a core"
    )
    failures = []
    results = {"baseline": base}
    for rate in args.rates:
        result = run_child(HERE, [str(rate), str(args.seconds), args.shape, trace], timeout)
        assert result is not None
        results[str(rate)] = result
        growth = result["rss_end"] - result["rss_start"]
        beyond = growth - result["appended"]
        peak_beyond = result["rss_peak"] - result["rss_start"] - result["appended"]
        latencies = result["latencies"]
        p95 = percentile(latencies, 0.95)
        print(
            f"== {rate:g} lines/s for {args.seconds:.0f} s ({result['writes']} appends, {result['appended'] / 1e3:.0f} KB, "
            f"{result['loads']} reloads): RSS {result['rss_start'] / 1e6:.0f} -> {result['rss_end'] / 1e6:.0f} MB, "
            f"peak {result['rss_peak'] / 1e6:.0f} MB; growth beyond the bytes appended {beyond / 1e6:+.1f} MB "
            f"(peak {peak_beyond / 1e6:+.1f}; baseline {base_growth / 1e6:+.1f})"
        )
        print(
            f"   CPU {result['cpu'] * 100:.0f}% of a core ({result['cpu'] / max(base['cpu'], 1e-3):.1f}x idle); "
            f"append -> screen: median {median(latencies) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
            f"max {max(latencies, default=float('nan')) * 1000:.0f} ms; never shown {result['never_shown']}"
        )
        for line in result["tracemalloc"]:
            print("   ", line)
        if beyond > 20e6:
            failures.append(f"{rate:g}/s: RSS grew {beyond / 1e6:.0f} MB beyond the file (goal <= 20 MB)")
        if rate == 30 and result["cpu"] > 0.25:
            failures.append(f"30/s: CPU {result['cpu'] * 100:.0f}% (goal <= 25%)")
        if p95 > 0.250 or result["never_shown"]:
            failures.append(f"{rate:g}/s: latency p95 {p95 * 1000:.0f} ms, {result['never_shown']} never shown (goal <= 250 ms)")
    return report_goals(failures, results, args.json)


if __name__ == "__main__":
    sys.exit(main())

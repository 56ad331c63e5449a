"""Opening and scrolling a 10,000-line session diff in the diff view (issue 13, bad input).

A generated patch whose hunks hold 10,000 diff lines (a quarter of them changed, across 40
files) is parsed as `git diff` output, shown in `DiffView` in a headless app of 120x40, and
then scrolled: line by line (j), page by page (space), to the end and back (G, g), and with
a keyboard selection growing over 200 lines. Also timed: placing 200 review comments on it
(`show_notes`) and "since you last looked" over it (`since_last_look`, every hunk seen but one).
Each key is timed as the CPU time this process spends from the key press to the frame
painted after it (Pilot's pause, whose own idle wait costs no CPU): wall time on a headless
Pilot is mostly that wait, and other processes on a busy machine do not count.

Goal: opening under 250 ms and a key under 50 ms (p95) on a busy 2-core machine.
Usage: python bench/diff_big.py [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from time import process_time

from _harness import median, percentile

from tui.diffs import parse_unified_diff
from tui.review.viewed import keys_of, since_last_look

LINES = 10_000
FILES = 40
OPEN_GOAL_MS = 250.0
KEY_GOAL_MS = 50.0


def patch() -> str:
    """A `git diff` of FILES files whose hunks hold LINES lines in all."""
    out = []
    per_file = LINES // FILES
    for f in range(FILES):
        out += [f"diff --git a/src/m{f}.py b/src/m{f}.py", f"--- a/src/m{f}.py", f"+++ b/src/m{f}.py"]
        start = 1
        written = 0
        while written < per_file:
            body = []
            for n in range(8):
                body.append(f" context {f}.{start + n} = compute(value_{n}, other)  # unchanged")
            body += [f"-    old {f}.{start} return legacy(value)", f"+    new {f}.{start} return modern(value, flag=True)"]
            out.append(f"@@ -{start},9 +{start},9 @@ def function_{start}():")
            out += body
            written += len(body)
            start += 40
    return "\n".join(out) + "\n"


async def measure(runs: int) -> dict[str, float]:
    from textual.app import App, ComposeResult

    from widgets.diff_rows import DiffNote
    from widgets.diff_view import DiffLines, DiffView

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield DiffView()

    text = patch()
    results: dict[str, list[float]] = {"parse": [], "open": [], "j": [], "space": [], "G/g": [], "select": [],
                                       "notes": [], "since": []}
    for _ in range(runs):
        started = time.perf_counter()
        files = parse_unified_diff(text)
        results["parse"].append(time.perf_counter() - started)
        app = Host()
        async with app.run_test(size=(120, 40)) as pilot:
            view = app.query_one(DiffView)
            lines = app.query_one(DiffLines)
            lines.focus()
            await pilot.pause()
            started = process_time()
            view.show(files)
            await pilot.pause()
            results["open"].append(process_time() - started)
            for key, name, count in (("j", "j", 100), ("space", "space", 50), ("G", "G/g", 10), ("g", "G/g", 10)):
                for _ in range(count):
                    started = process_time()
                    await pilot.press(key)
                    await pilot.pause()
                    results[name].append(process_time() - started)
            await pilot.press("v")
            for _ in range(200):
                started = process_time()
                await pilot.press("j")
                await pilot.pause()
                results["select"].append(process_time() - started)
            notes = [DiffNote(f"src/m{n % FILES}.py", "new", 1 + 40 * (n // FILES), 2 + 40 * (n // FILES), "draft",
                              f"[{n}] a comment") for n in range(200)]
            started = process_time()
            lines.show_notes(notes)
            await pilot.pause()
            results["notes"].append(process_time() - started)
        keys = set(keys_of(files)[1:])
        started = time.perf_counter()
        since_last_look(files, keys)
        results["since"].append(time.perf_counter() - started)
    print(f"diff of {sum(len(h.lines) for f in files for h in f.hunks)} lines in {len(files)} files, "
          f"{len(text) // 1024} KB of patch; {runs} run(s)")
    summary = {}
    for name, values in results.items():
        ms = [v * 1000 for v in values]
        summary[name] = percentile(ms, 0.95)
        print(f"  {name:<7} median {median(ms):7.1f} ms   p95 {percentile(ms, 0.95):7.1f} ms   (n={len(ms)})")
    return summary


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    summary = asyncio.run(measure(args.runs))
    failures = []
    if summary["open"] > OPEN_GOAL_MS:
        failures.append(f"opening p95 {summary['open']:.0f} ms > {OPEN_GOAL_MS:.0f} ms")
    worst = max(summary[k] for k in ("j", "space", "G/g", "select"))
    if worst > KEY_GOAL_MS:
        failures.append(f"a key's p95 {worst:.0f} ms > {KEY_GOAL_MS:.0f} ms")
    for failure in failures:
        print("GOAL MISSED:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    raise SystemExit(main())

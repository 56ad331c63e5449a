"""The task list while an agent writes: a repo with a task of 5,000 markdown files (and a
node_modules tree of 2,000 packages, each with a README.md), and another task whose progress
file is appended to 10 times a second for `--seconds` (20 by default).

Measured in loupe's process (the whole app, headless): CPU of the whole process while the
writer runs, in % of one core; how many scans ran and how many artifacts the big task lists;
from an append to the task list showing the file's new time ("how long ago"), p95. Twice, in
fresh interpreters: with the big task folded (as it starts) and unfolded (its artifacts are
rows). Baseline in the same run: the same repo without the big task and node_modules.

Goal (issue 12 #14): CPU <= 25% of a core with the big task; scans read only what changed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import threading
import time
from pathlib import Path

from _harness import SIZE, percentile, report_goals, run_child, scratch_folder

HERE = Path(__file__).resolve()


def make_repo(root: Path, big: bool) -> Path:
    tasks = root / ".loupe" / "tasks"
    live = tasks / "live-task"
    live.mkdir(parents=True)
    (live / "ticket.md").write_text("# Live task\n\nAn agent works on it.\n")
    (live / "04-progress.md").write_text("# Progress\n\n")
    for number in range(20):
        other = tasks / f"task-{number:02d}"
        other.mkdir()
        (other / "ticket.md").write_text(f"# Task {number}\n")
        (other / "01-questions.md").write_text("# Questions\n")
    if big:
        huge = tasks / "generated-notes"
        huge.mkdir()
        # Older than the live task, as a task finished earlier would be: it starts folded.
        hour_ago = (time.time() - 3600, time.time() - 3600)
        (huge / "ticket.md").write_text("# Generated notes\n")
        os.utime(huge / "ticket.md", hour_ago)
        for number in range(5000):
            note = huge / f"note-{number:04d}.md"
            note.write_text(f"# Note {number}\n\nSome text.\n")
            os.utime(note, hour_ago)
        for number in range(2000):
            package = huge / "node_modules" / f"pkg-{number}"
            package.mkdir(parents=True)
            (package / "README.md").write_text(f"# pkg-{number}\n")
            os.utime(package / "README.md", hour_ago)
            (package / "index.js").write_text("module.exports = 1\n")
    return live / "04-progress.md"


def child(big: bool, unfold: bool, seconds: float) -> dict:
    folder = scratch_folder()
    os.environ["LOUPE_DATA_DIR"] = str(folder / "data")
    os.environ["LOUPE_CONFIG_DIR"] = str(folder / "config")
    progress = make_repo(folder, big)

    from tui.app import LoupeApp
    from tui.tasks.discovery import TaskScanner
    from tui.views.tasks import TasksView
    from tui.workspace import open_workspace

    scans: list[float] = []
    original_scan = TaskScanner.scan

    def scan(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        result = original_scan(self, *args, **kwargs)
        scans.append(time.perf_counter() - started)
        return result

    TaskScanner.scan = scan  # type: ignore[method-assign]
    workspace = open_workspace(folder)

    async def measure() -> dict:
        app = LoupeApp(workspace, remember_theme=False)
        async with app.run_test(size=SIZE) as pilot:
            while not app.screen.query(TasksView):
                await asyncio.sleep(0.05)
            view = app.screen.query_one(TasksView)
            while view.result is None or not view._watching_tasks_dir:
                await asyncio.sleep(0.05)
            listing = view.task_list
            if unfold:
                big_task = next(task for task in view.result.tasks if task.slug == "generated-notes")
                listing._expanded.add(big_task.path)
                listing.rebuild()
            await pilot.pause(1.0)
            scans.clear()
            shown: list[tuple[float, float]] = []
            stop = threading.Event()
            writes: list[tuple[float, float]] = []

            def writer() -> None:
                number = 0
                while not stop.is_set():
                    with progress.open("a") as handle:
                        handle.write(f"- step {number}\n")
                    writes.append((time.monotonic(), progress.stat().st_mtime))
                    number += 1
                    time.sleep(0.1)

            def watch_results() -> None:
                result = view.result
                while not stop.is_set():
                    if view.result is not result:
                        result = view.result
                        live = next((task for task in result.tasks if task.slug == "live-task"), None)
                        if live is not None:
                            shown.append((time.monotonic(), live.updated))
                    time.sleep(0.005)

            threading.Thread(target=watch_results, daemon=True).start()
            cpu_start = os.times()
            wall_start = time.monotonic()
            thread = threading.Thread(target=writer, daemon=True)
            thread.start()
            await asyncio.sleep(seconds)
            stop.set()
            thread.join()
            cpu_end = os.times()
            wall = time.monotonic() - wall_start
            artifacts = max((len(task.artifacts) for task in view.result.tasks), default=0)
        latencies = []
        for written, mtime in writes:
            when = next((at for at, updated in shown if updated >= mtime and at >= written), None)
            if when is not None:
                latencies.append(when - written)
        cpu = (cpu_end.user - cpu_start.user) + (cpu_end.system - cpu_start.system)
        return {
            "cpu": cpu / wall,
            "scans": len(scans),
            "scan_median": sorted(scans)[len(scans) // 2] if scans else float("nan"),
            "artifacts": artifacts,
            "latencies": latencies,
            "writes": len(writes),
        }

    return asyncio.run(measure())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.child:
        big, unfold, seconds = args.child
        print(json.dumps(child(big == "1", unfold == "1", float(seconds))))
        return 0
    results = {}
    failures = []
    runs = (("baseline (no big task)", "0", "0"), ("big task folded", "1", "0"), ("big task unfolded", "1", "1"))
    for name, big, unfold in runs:
        result = run_child(HERE, [big, unfold, str(args.seconds)], args.seconds * 4 + 300)
        assert result is not None
        results[name] = result
        latencies = result["latencies"]
        print(
            f"== {name}: CPU {result['cpu'] * 100:.0f}% of a core; {result['scans']} scans for {result['writes']} appends, "
            f"median scan {result['scan_median'] * 1000:.0f} ms; largest task lists {result['artifacts']} artifacts; "
            f"append -> task list p95 {percentile(latencies, 0.95) * 1000:.0f} ms ({len(latencies)} seen)"
        )
        if big == "1" and result["cpu"] > 0.25:
            failures.append(f"{name}: CPU {result['cpu'] * 100:.0f}% (goal <= 25%)")
    return report_goals(failures, results, args.json)


if __name__ == "__main__":
    sys.exit(main())

"""Thread store speed: fork and history load for threads of 10, 1,000 and 10,000 messages.

Goals (issue 3): fork time flat (10,000 within 2x of 10); history of 1,000 under 20 ms.
Baseline measured in the same run: a plain SELECT of the same rows by root id (no recursion,
no objects), to show what the recursive query and the dataclasses cost on this machine.

Runs on a real SQLite file in a temporary folder. Usage: python bench/thread_store.py
"""

from __future__ import annotations

import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tui.threads.store import ThreadStore  # noqa: E402

SIZES = (10, 1_000, 10_000)
TEXT = (
    "The worker computes the next delay with full jitter and calls schedule_retry; the backend "
    "stores run_at and the attempt count, and old workers never see a dead job. "
)


def timed(fn, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> int:
    with tempfile.TemporaryDirectory() as folder:
        store = ThreadStore(Path(folder) / "threads.sqlite")
        threads: dict[int, str] = {}
        append_ms: list[float] = []
        for size in SIZES:
            thread = store.create_thread(f"{size} messages")
            threads[size] = thread.id
            for n in range(size):
                role = "user" if n % 2 == 0 else "assistant"
                start = time.perf_counter()
                rare = " kestrel" if n % 100 == 7 else ""
                store.append(thread.id, role, f"{n}: {TEXT}{rare}")
                append_ms.append((time.perf_counter() - start) * 1000)
        print(f"append: {len(append_ms)} messages, median {statistics.median(append_ms):.3f} ms, "
              f"p95 {p95(append_ms):.3f} ms")

        fork_ms, history_ms, baseline_ms = {}, {}, {}
        conn = sqlite3.connect(store.path)
        for size in SIZES:
            thread_id = threads[size]
            head = store.thread(thread_id).head_id
            root = store.history(thread_id)[0].root_id
            fork_ms[size] = timed(lambda: store.fork(thread_id, head), 200)
            repeat = 20 if size == 10_000 else 100
            history_ms[size] = timed(lambda: store.history(thread_id), repeat)
            baseline_ms[size] = timed(
                lambda: conn.execute("SELECT * FROM messages WHERE root_id = ? ORDER BY depth", (root,)).fetchall(),
                repeat,
            )
        conn.close()

        print(f"\n{'messages':>9} {'fork median':>12} {'fork p95':>9} {'history median':>15} "
              f"{'history p95':>12} {'plain SELECT':>13} {'history/SELECT':>15}")
        for size in SIZES:
            fork, hist, base = fork_ms[size], history_ms[size], baseline_ms[size]
            print(f"{size:>9,} {statistics.median(fork):>9.3f} ms {p95(fork):>6.3f} ms "
                  f"{statistics.median(hist):>12.3f} ms {p95(hist):>9.3f} ms "
                  f"{statistics.median(base):>10.3f} ms {statistics.median(hist) / statistics.median(base):>14.1f}x")

        big = store.history(threads[1_000])
        positions = timed(lambda: store.sibling_positions(m.id for m in big), 50)
        # As the chat pane asks: only the thread's own alternatives (its lineage) count.
        scoped = timed(lambda: store.sibling_positions((m.id for m in big), thread_id=threads[1_000]), 50)
        search_all = timed(lambda: store.search("jitter schedule_retry", limit=20), 20)
        search_rare = timed(lambda: store.search("kestrel", limit=20), 20)
        print(f"\nsibling positions for a 1,000-message history: median {statistics.median(positions):.3f} ms; "
              f"seen from the thread: median {statistics.median(scoped):.3f} ms")
        print(f"search over {sum(SIZES):,} messages, a word in 1% of them: "
              f"median {statistics.median(search_rare):.3f} ms; a phrase in all of them (ranks all, "
              f"keeps 20): median {statistics.median(search_all):.3f} ms")
        store.close()

    fork_ratio = statistics.median(fork_ms[10_000]) / statistics.median(fork_ms[10])
    history_1k = statistics.median(history_ms[1_000])
    print(f"\nfork 10,000 / fork 10: {fork_ratio:.2f}x (goal <= 2x) "
          f"{'PASS' if fork_ratio <= 2 else 'FAIL'}")
    print(f"history of 1,000: {history_1k:.2f} ms (goal < 20 ms) {'PASS' if history_1k < 20 else 'FAIL'}")
    return 0 if fork_ratio <= 2 and history_1k < 20 else 1


if __name__ == "__main__":
    sys.exit(main())

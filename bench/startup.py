"""Startup: `loupe --demo` and `loupe DOC.md` to their first screens, against a minimal
Textual app (and `rich DOC --pager` where rich-cli is installed), in the same run.

Both run exactly as a user runs them: a new Python process in a pseudo-terminal (120x40),
timed from spawn until a marker appears in what the process writes to the terminal. Nothing
in loupe is changed for the measurement. Three figures per app:

- first frame: loupe's sidebar title, the minimal app's label;
- tasks shown (loupe only): the demo's first task title, after the off-loop scan;
- the minimal app's frame is the baseline; goal: loupe's first frame <= 1.5x of it;
- `loupe DOC.md` (a 20-line, a 3,000-line and a 10,000-line document): until the
  document's first line is on screen; goal <= 2x the minimal app. `rich DOC.md --pager` (rich-cli; found on PATH or
  given with --rich) shows the 3,000-line document as a yardstick.

The demo workspace is created before timing (in a temporary data folder), as on a second run.

Figures (wall, 7 runs each, 2-core shared machine): before the review model, services, other
views and watchers waited for the document (main at 533d7e6), `loupe DOC.md` 2.17x (20 lines)
and 2.21x-2.43x (3,000 lines), demo first frame 1.54x-1.65x; after, in four runs, 1.59x-1.89x
and 1.67x-1.92x, demo first frame 1.32x-1.53x. The ratios move with the minimal app's own
time (181-224 ms in those runs) as much as with loupe's. With the plan-like document (blank
lines, checklists) and rich-cli 1.8 as a yardstick, two runs on the merged code: minimal app
239-247 ms; `loupe DOC.md` 1.60x-1.68x (20 lines), 1.75x-1.88x (3,000), 1.65x-1.81x (10,000);
demo first frame 1.30x-1.32x; `rich DOC.md --pager` 3.28x-3.51x (3,000 lines).

    python bench/startup.py [--runs 7] [--rich PATH]
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import textwrap
import time
from pathlib import Path

COLUMNS, LINES = 120, 40
TIMEOUT = 60.0
GOAL = 1.5
DOC_GOAL = 2.0
DOC_MARKER = b"FIRSTSCREEN"

MINIMAL_APP = textwrap.dedent(
    """
    from textual.app import App
    from textual.widgets import Footer, Header, Static

    class Minimal(App):
        def compose(self):
            yield Header()
            yield Static("minimal-ready")
            yield Footer()

    Minimal().run()
    """
)


def cpu_seconds(pid: int) -> float:
    """On-CPU time of every thread of `pid` so far (Linux schedstat, nanoseconds)."""
    total = 0
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{task}/schedstat") as handle:
                total += int(handle.read().split()[0])
    except (OSError, ValueError, IndexError):
        return float("nan")
    return total / 1e9


def time_to_markers(argv: list[str], markers: list[bytes], env: dict[str, str]) -> list[tuple[float, float]]:
    """(wall seconds, CPU seconds) from spawn until each marker has appeared in the output.

    Wall time is what the user waits; CPU time barely moves with the load other processes put
    on the machine, so it is the steadier figure for comparing the two apps.
    """
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
    start = time.perf_counter()
    process = subprocess.Popen(
        argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True, close_fds=True
    )
    os.close(slave)
    found: dict[bytes, tuple[float, float]] = {}
    output = b""
    try:
        while len(found) < len(markers):
            if time.perf_counter() - start > TIMEOUT:
                tail = output[-400:].decode(errors="replace")
                raise RuntimeError(f"{argv[-1]}: no {[m for m in markers if m not in found]} after {TIMEOUT}s; last output: {tail!r}")
            ready, _, _ = select.select([master], [], [], 0.05)
            if not ready:
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # the process ended
                break
            output += chunk
            now = time.perf_counter()
            for marker in markers:
                if marker not in found and marker in output:
                    found[marker] = (now - start, cpu_seconds(process.pid))
    finally:
        # ctrl+q quits both apps cleanly (and restores the terminal); kill if it does not.
        try:
            os.write(master, b"\x11")
            process.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        os.close(master)
    missing = [m for m in markers if m not in found]
    if missing:
        raise RuntimeError(f"{argv}: exited before showing {missing}")
    return [found[m] for m in markers]


def write_doc(path: Path, lines: int) -> Path:
    """A plan-like document of `lines` lines whose first line carries the marker."""
    body = []
    # Headings, paragraphs and checklists split by blank lines, as agents write plans: the
    # blank lines are where loupe may cut a long document to show its head first.
    for number in range(lines - 2):
        if number % 40 == 0:
            body.append(f"## Section {number // 40}")
        elif number % 5 == 0:
            body.append("")
        elif number % 40 > 30:
            body.append(f"- [ ] `step {number}` of the plan, with **bold** and a [link](#section-1)")
        else:
            body.append(f"Line {number} of the plan, with `code`, **bold** and a [link](#section-1).")
    path.write_text(f"# Plan {DOC_MARKER.decode()}\n\n" + "\n".join(body) + "\n")
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--rich", default=shutil.which("rich"), help="rich-cli's rich command (yardstick)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="loupe-bench-startup-") as scratch:
        env = {
            **os.environ,
            "TERM": "xterm-256color",
            "COLORTERM": "truecolor",
            "LOUPE_DATA_DIR": str(Path(scratch) / "data"),
            "LOUPE_CONFIG_DIR": str(Path(scratch) / "config"),
        }
        env.pop("TEXTUAL", None)
        # A user's Python writes bytecode caches on the first run and reads them afterwards;
        # with this set (some CI and sandbox shells set it) every run would compile loupe's
        # own modules again while the minimal app's (installed) ones stay cached.
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        minimal = Path(scratch) / "minimal.py"
        minimal.write_text(MINIMAL_APP)
        # Build the demo outside the timed runs, so both apps start from a warm disk.
        subprocess.run(
            [sys.executable, "-c", "from tui.demo import ensure_demo_workspace; ensure_demo_workspace()"],
            env=env,
            check=True,
        )
        loupe_argv = [sys.executable, "-m", "tui", "--demo"]
        minimal_argv = [sys.executable, str(minimal)]
        short_doc = write_doc(Path(scratch) / "short.md", 20)
        long_doc = write_doc(Path(scratch) / "long.md", 3000)
        huge_doc = write_doc(Path(scratch) / "huge.md", 10000)
        doc_cases = {
            "loupe DOC.md, 20 lines": [sys.executable, "-m", "tui", str(short_doc)],
            "loupe DOC.md, 3000 lines": [sys.executable, "-m", "tui", str(long_doc)],
            "loupe DOC.md, 10000 lines": [sys.executable, "-m", "tui", str(huge_doc)],
        }
        if args.rich:
            doc_cases["rich DOC.md --pager, 3000"] = [args.rich, str(long_doc), "--pager"]
        # One untimed run of each fills the OS page cache and Python's bytecode caches.
        time_to_markers(minimal_argv, [b"minimal-ready"], env)
        time_to_markers(loupe_argv, [b"Tasks", b"Retries with"], env)
        for argv in doc_cases.values():
            time_to_markers(argv, [DOC_MARKER], env)

        baseline: list[tuple[float, float]] = []
        first_frame: list[tuple[float, float]] = []
        tasks_shown: list[tuple[float, float]] = []
        docs: dict[str, list[tuple[float, float]]] = {name: [] for name in doc_cases}
        for _ in range(args.runs):
            # Interleaved, so load from the other engineers on the machine hits all alike.
            baseline.extend(time_to_markers(minimal_argv, [b"minimal-ready"], env))
            frame, shown = time_to_markers(loupe_argv, [b"Tasks", b"Retries with"], env)
            first_frame.append(frame)
            tasks_shown.append(shown)
            for name, argv in doc_cases.items():
                docs[name].extend(time_to_markers(argv, [DOC_MARKER], env))

    def median(values: list[tuple[float, float]], which: int) -> float:
        return statistics.median(value[which] for value in values)

    def show(name: str, values: list[tuple[float, float]]) -> str:
        walls = [wall for wall, _ in values]
        return (
            f"{name:<29} wall median {median(values, 0) * 1000:5.0f} ms (min {min(walls) * 1000:4.0f},"
            f" max {max(walls) * 1000:4.0f})   cpu median {median(values, 1) * 1000:5.0f} ms"
        )

    print(f"startup, {args.runs} interleaved runs, {COLUMNS}x{LINES} pty, python {sys.version.split()[0]}")
    print(show("minimal Textual app", baseline))
    print(show("loupe --demo, first frame", first_frame))
    print(show("loupe --demo, tasks shown", tasks_shown))
    wall_ratio = median(first_frame, 0) / median(baseline, 0)
    cpu_ratio = median(first_frame, 1) / median(baseline, 1)
    verdict = "meets" if wall_ratio <= GOAL else "MISSES"
    print(f"first frame / minimal: {wall_ratio:.2f}x wall ({verdict} the {GOAL}x goal), {cpu_ratio:.2f}x cpu")
    print(
        f"tasks shown / minimal: {median(tasks_shown, 0) / median(baseline, 0):.2f}x wall,"
        f" {median(tasks_shown, 1) / median(baseline, 1):.2f}x cpu"
    )
    for name, values in docs.items():
        print(show(name, values))
    for name, values in docs.items():
        ratio = median(values, 0) / median(baseline, 0)
        goal = f" ({'meets' if ratio <= DOC_GOAL else 'MISSES'} the {DOC_GOAL}x goal)" if name.startswith("loupe") else ""
        print(f"{name} / minimal: {ratio:.2f}x wall{goal}, {median(values, 1) / median(baseline, 1):.2f}x cpu")
    if not args.rich:
        print("rich-cli not found: `pip install rich-cli` (or --rich PATH) adds `rich DOC --pager` as a yardstick")
    return 0


if __name__ == "__main__":
    sys.exit(main())

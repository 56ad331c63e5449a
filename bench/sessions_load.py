"""Sessions under load: loupe's responsiveness, CPU and memory while three agents flood output.

Two phases, in the same run, each with loupe running as a user runs it (its own process in
a 150x45 pseudo-terminal, real tmux on a private socket, real git repository), and three
sessions whose tiles are all visible:

- idle: the agents printed a screenful and wait quietly;
- load: each agent prints 10,000 lines/s.

In both, with the first tile focused, space (which marks the tile for broadcast, and so
repaints its title) is pressed every 100 ms. Key-to-screen latency runs from the moment the
key's bytes are written to the terminal until loupe writes the first frame that repaints
the tile after handling the key (`time.monotonic` is shared by both processes). Each key
is stamped as loupe's input thread reads it and that stamp follows it to the handler, and
each handled key gets its own frame time: keys handled before one frame (after a stall)
share that frame, so no key is ever paired with a later key's frame. CPU is loupe's own time plus that of the tmux clients it runs,
over the phase; memory is its peak resident set. The tmux server's CPU is shown for context:
it is the price of the agents' output, paid with or without loupe.

Goals: p95 latency <= 50 ms, CPU <= 25% of one core, RSS <= 150 MB.

    python bench/sessions_load.py [--seconds 30] [--rate 10000]
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import select
import signal
import socket as socket_module
import struct
import subprocess
import sys
import tempfile
import termios
import textwrap
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _harness import median, percentile  # noqa: E402

COLUMNS, LINES = 150, 45
KEY = b" "  # space: mark the focused tile
KEY_INTERVAL = 0.1
GOALS = {"p95_ms": 50.0, "cpu_pct": 25.0, "rss_mb": 150.0}

FLOOD = textwrap.dedent(
    """
    import sys, time
    rate, seconds = int(sys.argv[1]), float(sys.argv[2])
    start = time.monotonic()
    written = 0
    while True:
        elapsed = time.monotonic() - start
        if elapsed >= seconds:
            break
        due = int(elapsed * rate)
        if due > written:
            sys.stdout.write("".join(
                f"line {n:>8} \\x1b[3{n % 7 + 1}mcompiling crate {n % 97:>3}\\x1b[0m ...ok\\n"
                for n in range(written, due)))
            sys.stdout.flush()
            written = due
        time.sleep(0.005)
    print(f"flood done: {written} lines")
    input()
    """
)

QUIET = textwrap.dedent(
    """
    import sys
    for n in range(60):
        print(f"line {n:>8} \x1b[3{n % 7 + 1}mcompiling crate {n % 97:>3}\x1b[0m ...ok")
    print("waiting for you")
    input()
    """
)


# -- child: loupe itself, instrumented --------------------------------------------------------


def child(repo: str, out: str, seconds: float, sessions: int) -> None:
    from textual.drivers.linux_driver import LinuxDriver

    from tui.app import LoupeApp
    from tui.views.sessions import SessionsView
    from tui.workspace import open_workspace
    from widgets.session_tile import SessionTile

    # Per handled key: its arrival stamp, and when the first frame repainting its tile was
    # written. Keys handled before one frame all get that frame's time.
    handled: list[float] = []
    framed: list[float | None] = []
    unframed: list[int] = []
    repainted = [False]

    from textual import events
    from textual.driver import Driver
    from textual.message_pump import MessagePump

    arrived: list[float] = []
    original_process = Driver.process_message

    def process(self: Driver, message: object) -> None:
        # The input thread: stamp each key as it arrives from the terminal.
        if isinstance(message, events.Key) and message.key == "space":
            message._bench_arrived = time.monotonic()  # type: ignore[attr-defined]
            arrived.append(message._bench_arrived)  # type: ignore[attr-defined]
        original_process(self, message)

    Driver.process_message = process  # type: ignore[method-assign]
    # The arrival time of the key most recently dispatched on the UI loop: the one a binding
    # action runs for (keys come 100 ms apart), so a lost key cannot shift the pairs.
    latest_key = [float("nan")]
    original_dispatch = MessagePump._dispatch_message

    async def dispatch(self: MessagePump, message: object) -> None:
        stamp = getattr(message, "_bench_arrived", None)
        if stamp is not None:
            latest_key[0] = stamp
        await original_dispatch(self, message)

    MessagePump._dispatch_message = dispatch  # type: ignore[method-assign]
    original_toggle = SessionTile.action_toggle_mark

    def toggle(self: SessionTile) -> None:
        handled.append(latest_key[0])
        framed.append(None)
        unframed.append(len(handled) - 1)
        repainted[0] = False
        original_toggle(self)

    original_render_lines = SessionTile.render_lines

    def render_lines(self: SessionTile, crop: object) -> object:
        # Compositing the frame repaints the marked tile (title and border included).
        if unframed and self.has_focus:
            repainted[0] = True
        return original_render_lines(self, crop)  # type: ignore[arg-type]

    original_write = LinuxDriver.write

    def write(self: LinuxDriver, data: str) -> None:
        # All on the UI loop (the driver's own thread does the actual write later).
        if unframed and repainted[0]:
            now = time.monotonic()
            for index in unframed:
                framed[index] = now
            unframed.clear()
        original_write(self, data)

    SessionTile.action_toggle_mark = toggle  # type: ignore[method-assign]
    SessionTile.render_lines = render_lines  # type: ignore[method-assign,assignment]
    LinuxDriver.write = write  # type: ignore[method-assign]

    ready_at: list[float] = []

    class BenchApp(LoupeApp):
        def on_ready(self) -> None:
            self.set_interval(0.1, check_ready)

    app = BenchApp(open_workspace(Path(repo)), remember_theme=False)
    # As `loupe` starts the app (tui.cli._run_app): no collection until the first frame.
    import gc

    gc.disable()

    def check_ready() -> None:
        if ready_at:
            return
        view = app.screen_stack[0].query_one(SessionsView)
        if len(view.tiles()) == sessions and all(t.data.screen.strip() for t in view.tiles()):
            first = view.tiles()[0]
            if app.focused is not first:
                first.focus()  # takes effect before the next check: only then are keys sent
                return
            ready_at.append(time.monotonic())
            Path(out + ".ready").write_text(str(ready_at[0]))
            app.set_timer(seconds + 1.0, app.exit)

    app.run()
    Path(out).write_text(json.dumps({"handled": handled, "framed": framed, "ready": ready_at,
                                     "arrived": arrived}))


# -- parent ---------------------------------------------------------------------------------


def socket_dir() -> Path:
    return Path(os.environ.get("TMUX_TMPDIR", "/tmp")) / f"tmux-{os.getuid()}"


def server_answers(path: Path) -> bool:
    probe = socket_module.socket(socket_module.AF_UNIX, socket_module.SOCK_STREAM)
    try:
        probe.connect(str(path))
    except OSError:
        return False
    finally:
        probe.close()
    return True


def end_tmux_server(socket: str) -> None:
    """Kill the bench's tmux server and unlink its socket file (tmux leaves it behind)."""
    subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)
    path = socket_dir() / socket
    deadline = time.monotonic() + 5
    while server_answers(path) and time.monotonic() < deadline:
        time.sleep(0.05)
    if server_answers(path):
        raise SystemExit(f"the bench's tmux server on {path} would not end")
    path.unlink(missing_ok=True)


def sweep_dead_bench_sockets() -> list[str]:
    """Socket files of earlier bench runs whose server is gone (no server answers on them)."""
    removed = []
    for path in socket_dir().glob("loupe-bench-*"):
        if path.is_socket() and not server_answers(path):
            path.unlink(missing_ok=True)
            removed.append(path.name)
    return removed


def end_child(process: subprocess.Popen) -> None:
    """The loupe under test, and anything it started in its process group."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    process.wait()


def proc_cpu(pid: int) -> float:
    """utime + stime + cutime + cstime of `pid`, in seconds (children: the tmux clients)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = sum(int(v) for v in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def proc_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def tmux_server_cpu(socket: str) -> float:
    done = subprocess.run(["tmux", "-L", socket, "display-message", "-p", "#{pid}"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        return 0.0
    try:
        return proc_cpu(int(done.stdout.strip()))
    except (OSError, ValueError):
        return 0.0


def run_phase(name: str, repo: Path, env: dict[str, str], seconds: float, sessions: int,
              socket: str, scratch: Path) -> dict:
    out = scratch / f"{name}.json"
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
    process = subprocess.Popen(
        [sys.executable, __file__, "--child", str(repo), str(out), str(seconds), str(sessions)],
        stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True, close_fds=True,
    )
    os.close(slave)
    try:
        return _measure(process, master, name, out, seconds, sessions, socket)
    finally:
        end_child(process)
        os.close(master)


def _measure(process: subprocess.Popen, master: int, name: str, out: Path, seconds: float,
             sessions: int, socket: str) -> dict:
    stop = threading.Event()
    received = [0]
    tail = [b""]

    def drain() -> None:
        while not stop.is_set():
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 1 << 16)
                except OSError:
                    return
                received[0] += len(chunk)
                tail[0] = (tail[0] + chunk)[-4000:]

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    ready_file = Path(str(out) + ".ready")
    deadline = time.monotonic() + 60
    while not ready_file.exists():
        if time.monotonic() > deadline or process.poll() is not None:
            stop.set()
            time.sleep(0.2)
            shown = tail[0].decode(errors="replace")
            raise SystemExit(f"{name}: loupe did not show {sessions} live tiles within 60 s; "
                             f"its last output:\n{shown}")
        time.sleep(0.05)
    cpu_start, server_start, wall_start = proc_cpu(process.pid), tmux_server_cpu(socket), time.monotonic()
    sent: list[float] = []
    peak_rss = 0.0
    next_key = wall_start
    while time.monotonic() - wall_start < seconds:
        now = time.monotonic()
        if now >= next_key:
            sent.append(time.monotonic())
            os.write(master, KEY)
            next_key += KEY_INTERVAL
            peak_rss = max(peak_rss, proc_rss_mb(process.pid))
        time.sleep(0.005)
    cpu = proc_cpu(process.pid) - cpu_start
    server = tmux_server_cpu(socket) - server_start
    wall = time.monotonic() - wall_start
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        end_child(process)
    stop.set()
    reader.join(timeout=2)
    result = json.loads(out.read_text())
    # Each handled key carries the time it arrived; the terminal loses no bytes, so the n-th
    # arrival is the n-th key sent, and the latency runs from the moment it was sent.
    index_of = {arrived: n for n, arrived in enumerate(result["arrived"])}
    latencies = []
    for arrived, framed in zip(result["handled"], result["framed"]):
        n = index_of.get(arrived)
        if n is not None and n < len(sent) and framed is not None:
            latencies.append((framed - sent[n]) * 1000)
    return {
        "keys": len(sent), "arrived": len(result["arrived"]), "handled": len(result["handled"]),
        "latencies": latencies,
        "cpu_pct": 100 * cpu / wall, "server_pct": 100 * server / wall, "rss_mb": peak_rss,
        "output_mb": received[0] / 1e6,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--rate", type=int, default=10_000, help="lines per second per session")
    parser.add_argument("--sessions", type=int, default=3)
    args = parser.parse_args()

    socket = f"loupe-bench-{os.getpid()}"
    swept = sweep_dead_bench_sockets()
    if swept:
        print(f"removed {len(swept)} dead socket file(s) of earlier runs from {socket_dir()}")
    # A polite kill (SIGTERM, SIGHUP) unwinds like Ctrl-C, so the cleanup below always runs.
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, lambda *_: sys.exit(1))
    with tempfile.TemporaryDirectory(prefix="loupe-bench-sessions-") as tmp:
        scratch = Path(tmp)
        repo = scratch / "repo"
        env = {
            **os.environ, "TERM": "xterm-256color", "COLORTERM": "truecolor",
            "LOUPE_DATA_DIR": str(scratch / "data"), "LOUPE_CONFIG_DIR": str(scratch / "config"),
            "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@loupe.invalid",
            "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@loupe.invalid",
        }
        env.pop("TEXTUAL", None)
        os.environ.update({k: env[k] for k in ("LOUPE_DATA_DIR", "LOUPE_CONFIG_DIR")})
        subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True)
        (repo / "README.md").write_text("# bench\n")
        subprocess.run(["git", "add", "."], cwd=repo, check=True, env=env)
        subprocess.run(["git", "commit", "-q", "-m", "init"], cwd=repo, check=True, env=env)
        flood = scratch / "flood.py"
        flood.write_text(FLOOD)
        quiet = scratch / "quiet.py"
        quiet.write_text(QUIET)
        config = scratch / "config" / "config.toml"
        config.parent.mkdir(parents=True)
        # Long enough to outlast the load phase, whatever the startup took.
        flood_seconds = args.seconds + 30
        config.write_text(
            f'[sessions]\ntmux_socket = "{socket}"\n\n[agents.flood]\n'
            f'command = "{sys.executable} {flood} {args.rate} {flood_seconds}"\n\n'
            f'[agents.quiet]\ncommand = "{sys.executable} {quiet}"\n'
        )
        try:
            from tui.sessions.manager import SessionManager

            manager = SessionManager(repo)
            results = {}
            for phase in ("quiet", "flood"):
                started = [manager.start(task=f"{phase} {n}", agent=phase).session
                           for n in range(args.sessions)]
                results[phase] = run_phase(phase, repo, env, args.seconds, args.sessions, socket, scratch)
                for session in started:
                    manager.remove(session, confirm=True)
            idle, load = results["quiet"], results["flood"]
        finally:
            end_tmux_server(socket)

    print(f"sessions under load: {args.sessions} sessions x {args.rate} lines/s, {args.seconds:.0f} s per "
          f"phase, key every {KEY_INTERVAL * 1000:.0f} ms, {COLUMNS}x{LINES} pty, python {sys.version.split()[0]}")
    for name, phase in (("idle agents", idle), ("under load", load)):
        lat = phase["latencies"]
        print(f"{name:<12} key->screen median {median(lat):5.1f} ms  p95 {percentile(lat, 0.95):5.1f} ms  "
              f"max {max(lat) if lat else float('nan'):6.1f} ms  ({len(lat)}/{phase['keys']} keys)   "
              f"cpu {phase['cpu_pct']:5.1f}%   rss {phase['rss_mb']:5.1f} MB   "
              f"tmux server {phase['server_pct']:5.1f}%   to terminal {phase['output_mb']:.1f} MB")
    for name, phase in (("idle", idle), ("load", load)):
        if phase["handled"] != phase["keys"]:
            print(f"note: {name}: {phase['keys']} keys sent, {phase['arrived']} arrived, "
                  f"{phase['handled']} handled")
    p95_idle, p95_load = percentile(idle["latencies"], 0.95), percentile(load["latencies"], 0.95)
    print(f"load / idle: p95 {p95_load / p95_idle:.2f}x, median "
          f"{median(load['latencies']) / median(idle['latencies']):.2f}x, cpu "
          f"{load['cpu_pct'] / max(idle['cpu_pct'], 0.01):.2f}x, rss {load['rss_mb'] / idle['rss_mb']:.2f}x")
    checks = [
        ("p95 latency", p95_load, GOALS["p95_ms"], "ms"),
        ("cpu", load["cpu_pct"], GOALS["cpu_pct"], "% of a core"),
        ("rss", load["rss_mb"], GOALS["rss_mb"], "MB"),
    ]
    for label, value, goal, unit in checks:
        verdict = "meets" if value <= goal else "MISSES"
        print(f"{label} under load: {value:.1f} {unit}, {verdict} the goal of {goal:g} {unit}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5]))
    else:
        sys.exit(main())

"""Polling sessions on a host over SSH: round trips per tick, and the latency ssh adds.

One tick is what an SSH session host will ask each poll for N sessions (default 8): the
panes, the screen of each session and each status file, in one batch (`SshConnection.batch`)
sent to the connection's standing shell there (no ssh process per tick; sshd counts the
channels it opens, so a tick that starts none shows 0). Two shapes of that batch:

- separate: `tmux list-panes`, a `tmux capture-pane` per session, a `cat` per file (2N+1
  commands, each its own process);
- chained: one tmux process lists the panes and captures every screen (commands joined
  with ';', as loupe's local poll does), then a `cat` per file (N+1 commands).

The baseline of each is the same batch script run by `sh` here, so the difference is what
ssh adds. For context: loupe's local poll today (one tmux process, files read in-process).
The measurements of a tick run in turn, their order rotating, so noise on the 2 shared cores
falls on all alike.

The host is a throwaway sshd on 127.0.0.1 (as in the tests), unless `--host NAME` names a
configured `[hosts.NAME]`; either way N scratch tmux sessions and status files are made
there on a private tmux socket and removed afterwards.

Then the same at the level of sessions (`bench/_remote_fleet.py`): N real sessions started
here and N on the loopback host through `loupe session start --host`'s code, each drawing a
screenful and waiting. A poll of each fleet by its SessionManager, every screen captured
(round trips per tick, counted by the connection and by sshd; p95 added over the local
poll); then the app's monitor work on each fleet in a child process of its own, for a few
seconds at 4 ticks a second with every tile visible: its CPU, alone, with the processes it
starts (tmux clients, ssh, the standing shell's ssh client), and with its ssh master.

Goals (issue 15): 1 round trip per tick; p95 added over local <= 100 ms on loopback; the
app's CPU with 8 remote sessions within 1.5x of 8 local ones.

Measured on the 2 shared cores (load ~1), 200 ticks, 20 s of monitor per fleet, three runs:
1.00 round trip per tick and no channel opened at sshd; the batch over ssh adds +0.5 to
+2.0 ms at p95 to the same script run here; SessionManager.poll of 8 sessions, median
4.0-4.5 ms local and 5.7-6.2 ms remote, p95 added +2.0 to +2.2 ms; monitor CPU
0.027-0.033 s/s local against 0.016-0.017 s/s remote with the standing shell's client and
the master (0.51x to 0.64x; the process alone 0.56x to 0.79x). With an ssh client per poll,
before the standing shell, three runs gave +17 to +30 ms at p95 and 1.52x to 1.64x.

    .venv/bin/python bench/remote_poll.py [--ticks 200] [--sessions 8] [--host NAME]
                                          [--cpu-seconds 20] [--no-sessions]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _harness import median, percentile, scratch_folder  # noqa: E402

from tui.remote import batch  # noqa: E402
from tui.remote.shell import Command, join  # noqa: E402
from tui.remote.ssh import SshConnection  # noqa: E402
from tui.sessions.tmux import Tmux  # noqa: E402

ADDED_P95_GOAL_MS = 100.0
ROUND_TRIPS_GOAL = 1.0
CPU_RATIO_GOAL = 1.5
# A screenful of coloured build output, like an agent's.
SCREEN = "for i in $(seq 1 40); do printf '\\033[32mok\\033[0m compiling crate %s ... done\\n' $i; done; exec cat"
PANES = ["list-panes", "-a", "-F", "#{session_name}\t#{pane_pid}\t#{pane_dead}\t#{pane_dead_status}"]


def separate_poll(socket: str, names: list[str], folder: str) -> list[Command]:
    commands: list[Command] = [["tmux", "-L", socket, *PANES]]
    commands += [["tmux", "-L", socket, "capture-pane", "-pJe", "-t", f"={name}:"] for name in names]
    return commands + [["cat", f"{folder}/{name}.json"] for name in names]


def chained_poll(socket: str, names: list[str], folder: str) -> list[Command]:
    chain = ["tmux", "-L", socket, *PANES]
    for name in names:
        chain += [";", "display-message", "-p", "\x1fscreen\x1f", ";", "capture-pane", "-pJe", "-t", f"={name}:"]
    return [chain] + [["cat", f"{folder}/{name}.json"] for name in names]


def setup_script(socket: str, names: list[str], folder: str) -> str:
    """Scratch sessions and status files, made with the same commands here or there."""
    lines = [f"mkdir -p {join([folder])}"]
    for name in names:
        lines.append(join(["tmux", "-L", socket, "new-session", "-d", "-s", name, "-x", "150", "-y", "45", SCREEN]))
        lines.append(f"printf '%s' '{{\"state\": \"working\", \"session\": \"{name}\"}}' > {join([folder + '/' + name + '.json'])}")
    return "\n".join(lines)


def teardown_script(socket: str, folder: str) -> str:
    # A killed server can leave its socket file behind.
    socket_file = '"${TMUX_TMPDIR:-/tmp}/tmux-$(id -u)/"' + join([socket])
    return f"{join(['tmux', '-L', socket, 'kill-server'])} 2>/dev/null; rm -rf {join([folder])} {socket_file}"


def timed(work: Callable[[], object]) -> float:
    start = time.perf_counter()
    work()
    return (time.perf_counter() - start) * 1000


def row(label: str, values: list[float]) -> str:
    return (f"  {label:<34} median {median(values):7.2f} ms   p95 {percentile(values, 0.95):7.2f} ms   "
            f"(n={len(values)})")


def _local_tick(script: str) -> Callable[[], None]:
    def tick() -> None:
        subprocess.run(["sh", "-c", script], capture_output=True, check=True)
    return tick


def _remote_tick(host: SshConnection, commands: list[Command]) -> Callable[[], None]:
    def tick() -> None:
        failed = [result for result in host.batch(commands) if not result.ok]
        if failed:
            raise SystemExit(f"bench: a poll command failed there: {failed[0]}")
    return tick


def loopback_host(scratch: Path) -> tuple[SshConnection, Callable[[], int], Callable[[], None]]:
    """A throwaway sshd and a connection to it; a counter of sshd's sessions; a stopper."""
    from tests.sshd_server import ALIAS, ThrowawaySshd, find_sshd

    if find_sshd() is None:
        raise SystemExit("bench: sshd is not installed (apt-get install openssh-server), or use --host NAME")
    remote_home = scratch / "remote-home"
    remote_home.mkdir()
    server = ThrowawaySshd(scratch, remote_env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                                                "HOME": str(remote_home), "LANG": "C.UTF-8"})
    server.start()
    return SshConnection(ALIAS, config_file=server.client_config), server.sessions_started, server.stop


def configured_host(name: str) -> SshConnection:
    from tui import config

    host = config.load(None).config.hosts.get(name)
    if host is None:
        raise SystemExit(f"bench: no [hosts.{name}] in your config; add one with `loupe host add`")
    return SshConnection.for_host(name, host)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ticks", type=int, default=200, help="timed ticks (default 200, at least 20)")
    parser.add_argument("--sessions", type=int, default=8, help="sessions polled per tick (default 8)")
    parser.add_argument("--host", help="a configured [hosts.NAME] instead of a loopback sshd")
    parser.add_argument("--cpu-seconds", type=float, default=20.0, help="monitor time per fleet (default 20)")
    parser.add_argument("--no-sessions", action="store_true", help="only the transport figures")
    args = parser.parse_args()
    ticks, warmup = max(args.ticks, 20), 10
    if shutil.which("tmux") is None:
        raise SystemExit("bench: tmux is not installed")

    scratch = scratch_folder()
    # A short runtime folder of this run's own: control sockets must fit ~100 bytes.
    runtime = Path(tempfile.mkdtemp(prefix="lrb", dir="/tmp"))
    os.environ["LOUPE_RUNTIME_DIR"] = str(runtime)
    names = [f"bench{number}" for number in range(args.sessions)]
    socket = f"loupe-bench-{os.getpid()}"
    local_folder, remote_folder = str(scratch / "local-status"), f"/tmp/loupe-bench-{os.getpid()}"
    stop_server: Callable[[], None] = lambda: None
    counted: Callable[[], int] | None = None
    if args.host:
        host = configured_host(args.host)
        where = f"host {args.host} ({host.target})"
    else:
        host, counted, stop_server = loopback_host(scratch)
        where = "a loopback sshd (127.0.0.1)"
    local_socket = socket + "-here"
    try:
        subprocess.run(["sh", "-c", setup_script(local_socket, names, local_folder)], check=True)
        host.run(setup_script(socket, names, remote_folder), timeout=60).check()
        today = Tmux(local_socket)

        def loupe_today() -> None:
            today.snapshot(names)
            for name in names:
                Path(local_folder, f"{name}.json").read_bytes()

        works: dict[str, Callable[[], None]] = {"today": loupe_today}
        for shape, make in (("separate", separate_poll), ("chained", chained_poll)):
            works[f"{shape} local"] = _local_tick(batch.script(make(local_socket, names, local_folder)))
            works[f"{shape} remote"] = _remote_tick(host, make(socket, names, remote_folder))
        samples: dict[str, list[float]] = {name: [] for name in works}
        works["chained remote"]()  # the login, not timed
        sessions_before, trips_before = (counted() if counted else 0), host.round_trips
        order = list(works)
        for tick in range(warmup + ticks):
            for name in order[tick % len(order):] + order[:tick % len(order)]:
                value = timed(works[name])
                if tick >= warmup:
                    samples[name].append(value)
        remote_ticks = 2 * (warmup + ticks)
        trips = (host.round_trips - trips_before) / remote_ticks
        seen = ((counted() - sessions_before) / remote_ticks) if counted else None
    finally:
        subprocess.run(["sh", "-c", teardown_script(local_socket, local_folder)], check=False)
        try:
            host.run(teardown_script(socket, remote_folder), timeout=30)
        finally:
            host.close()
            stop_server()
            shutil.rmtree(runtime, ignore_errors=True)

    print(f"remote poll: {args.sessions} sessions, {ticks} ticks after {warmup} warm-ups, over {where}")
    added: dict[str, float] = {}
    for shape, commands in (("separate", 2 * args.sessions + 1), ("chained", args.sessions + 1)):
        local, remote = samples[f"{shape} local"], samples[f"{shape} remote"]
        print(f"{shape}: {commands} commands per tick")
        print(row("local (the batch script, sh here)", local))
        print(row("remote (one ssh round trip)", remote))
        added[shape] = percentile(remote, 0.95) - percentile(local, 0.95)
        print(f"  added by ssh: median {median(remote) - median(local):+.1f} ms, p95 {added[shape]:+.1f} ms "
              f"(remote / local: median {median(remote) / median(local):.2f}x)")
    print(row("loupe's local poll today", samples["today"]))
    print("goals:")
    sshd_said = f"; sshd opened {seen:.2f} channels per tick" if seen is not None else ""
    print(f"  round trips per tick: {trips:.2f}{sshd_said} (goal {ROUND_TRIPS_GOAL:g}): "
          f"{'met' if trips <= ROUND_TRIPS_GOAL and (seen is None or seen <= ROUND_TRIPS_GOAL) else 'MISSED'}")
    for shape, value in added.items():
        print(f"  p95 added over local, {shape}: {value:+.1f} ms (goal <= {ADDED_P95_GOAL_MS:g} ms on "
              f"loopback): {'met' if value <= ADDED_P95_GOAL_MS else 'MISSED'}")
    if not args.no_sessions:
        sessions_level(max(args.ticks // 2, 20), args.sessions, args.cpu_seconds)
    return 0


def sessions_level(ticks: int, count: int, cpu_seconds: float) -> None:
    """Polls and monitor CPU of real sessions: `count` here against `count` on a loopback host."""
    from _remote_fleet import HOST, Fleet, monitor_cpu

    fleet = Fleet(scratch_folder())
    try:
        here, there = fleet.start(count)
        fleets = {"local": (here, {s.id for s in here.sessions()}), "remote": (there, {s.id for s in there.sessions()})}
        for manager, ids in fleets.values():
            # The login, the standing shell (the second poll starts it) and the first captures,
            # not timed.
            manager.poll(ids)
            manager.poll(ids)
        connection = there.host(HOST).connection
        trips_before, seen_before = connection.round_trips, fleet.server.sessions_started()
        samples: dict[str, list[float]] = {name: [] for name in fleets}
        order = list(fleets)
        for tick in range(ticks):
            for name in order[tick % 2:] + order[:tick % 2]:
                manager, ids = fleets[name]
                samples[name].append(timed(lambda: manager.poll(ids)))
        trips = (connection.round_trips - trips_before) / ticks
        seen = (fleet.server.sessions_started() - seen_before) / ticks
        cpu = {name: monitor_cpu(repo, cpu_seconds) for name, repo in
               (("local", fleet.local_repo), ("remote", fleet.remote_repo))}
    finally:
        fleet.close()
    print(f"sessions: {count} here and {count} on a loopback host, {ticks} polls of each (every screen captured)")
    print(row(f"SessionManager.poll, {count} local", samples["local"]))
    print(row(f"SessionManager.poll, {count} remote", samples["remote"]))
    added = percentile(samples["remote"], 0.95) - percentile(samples["local"], 0.95)
    print(f"monitor work for {cpu_seconds:g} s at 4 ticks/s (CPU seconds per second):")
    for name, figures in cpu.items():
        print(f"  {name:<6} own {figures['own']:.3f}   with the processes it starts {figures['with_children']:.3f}"
              f"   with its ssh master {figures['with_ssh_master']:.3f}   ({figures['ticks_per_second']:.1f} ticks/s)")
    ratio = cpu["remote"]["with_ssh_master"] / cpu["local"]["with_children"]
    own_ratio = cpu["remote"]["own"] / cpu["local"]["own"]
    print("goals:")
    print(f"  round trips per poll of {count} remote sessions: {trips:.2f}; sshd opened {seen:.2f} channels "
          f"(goal {ROUND_TRIPS_GOAL:g}): {'met' if max(trips, seen) <= ROUND_TRIPS_GOAL else 'MISSED'}")
    print(f"  p95 added over local: {added:+.1f} ms (goal <= {ADDED_P95_GOAL_MS:g} ms on loopback): "
          f"{'met' if added <= ADDED_P95_GOAL_MS else 'MISSED'}")
    print(f"  app CPU, {count} remote / {count} local: {ratio:.2f}x with what each starts (own process only: "
          f"{own_ratio:.2f}x) (goal <= {CPU_RATIO_GOAL:g}x): {'met' if ratio <= CPU_RATIO_GOAL else 'MISSED'}")


if __name__ == "__main__":
    raise SystemExit(main())

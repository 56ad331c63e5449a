"""Real sessions for bench/remote_poll.py: N on this machine and N on a loopback SSH host.

Everything lives in a scratch folder and on private sockets: the config and data folders of
both sides (LOUPE_* set for this process and its children), a throwaway sshd on 127.0.0.1
whose logins run this venv's loupe, two repositories (one per fleet, so each has its own
session list), the host's clone of the second, and an agent that draws a screenful of
coloured build output, then waits. `close()` removes every session, kills both tmux
servers, stops sshd and closes the connection.

`monitor_cpu` runs the app's monitor work in a child process (the poll of every session with
every screen captured, queued delivery and idle checks, diff sizes every 3 s), so its CPU,
and that of the processes it starts (tmux clients, ssh, the standing shell's ssh client),
is measured alone.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "loop"
AGENT = """\
i=1
while [ $i -le 40 ]; do printf '\\033[32mok\\033[0m compiling crate %s ... done\\n' $i; i=$((i + 1)); done
exec cat
"""
# What the app's monitor does, as tui/sessions/monitor.py does it.
FPS = 4.0
DIFF_STAT_EVERY = 3.0


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def _repo(path: Path) -> None:
    path.mkdir(parents=True)
    _git(path, "init", "-q", "-b", "main")
    (path / "README.md").write_text("# bench\n")
    _git(path, "add", "README.md")
    _git(path, "commit", "-q", "-m", "initial commit")


class Fleet:
    def __init__(self, scratch: Path) -> None:
        from tests.sshd_server import ALIAS, ThrowawaySshd, find_sshd

        if find_sshd() is None:
            raise SystemExit("bench: sshd is not installed (apt-get install openssh-server)")
        self.scratch = scratch
        here = {name: scratch / f"here-{name}" for name in ("config", "data", "home")}
        there = {name: scratch / f"there-{name}" for name in ("config", "data", "home")}
        for folder in (*here.values(), *there.values()):
            folder.mkdir()
        identity = {"GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "bench@loupe.invalid",
                    "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "bench@loupe.invalid",
                    "GIT_CONFIG_NOSYSTEM": "1"}
        # Control sockets need a short folder (~100 bytes for a socket path).
        self.runtime = Path(tempfile.mkdtemp(prefix="lrf", dir="/tmp"))
        os.environ.update(LOUPE_CONFIG_DIR=str(here["config"]), LOUPE_DATA_DIR=str(here["data"]),
                          HOME=str(here["home"]), LOUPE_RUNTIME_DIR=str(self.runtime), **identity)
        self.server = ThrowawaySshd(scratch, remote_env={
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
            "HOME": str(there["home"]), "LOUPE_CONFIG_DIR": str(there["config"]),
            "LOUPE_DATA_DIR": str(there["data"]), "LANG": "C.UTF-8", **identity})
        self.server.start()
        self.local_repo, self.remote_repo = scratch / "local-repo", scratch / "remote-repo"
        _repo(self.local_repo)
        _repo(self.remote_repo)
        clone = scratch / "there-clone"
        _git(scratch, "clone", "-q", str(self.remote_repo), str(clone))
        agent = scratch / "agent.sh"
        agent.write_text(AGENT)
        self.sockets = {"here": f"loupe-bench-{os.getpid()}-here", "there": f"loupe-bench-{os.getpid()}-there"}
        (here["config"] / "config.toml").write_text(
            f'[sessions]\ntmux_socket = "{self.sockets["here"]}"\n\n'
            f'[agents.bench]\ncommand = "sh {agent}"\n\n'
            f'[hosts.{HOST}]\nssh = "{ALIAS}"\nssh_config = "{self.server.client_config}"\n'
            f'repo = "{clone}"\ntmux_socket = "{self.sockets["there"]}"\n')
        self.managers: list = []

    def manager(self, repo: Path):  # noqa: ANN201 - a SessionManager, imported late
        from tui.sessions.manager import SessionManager

        made = SessionManager(repo)
        self.managers.append(made)
        return made

    def start(self, count: int) -> tuple:
        """`count` sessions here and `count` on the host; a manager for each fleet."""
        here, there = self.manager(self.local_repo), self.manager(self.remote_repo)
        for number in range(count):
            here.start(task=f"bench {number}", agent="bench")
            there.start(task=f"bench {number}", agent="bench", host=HOST)
        return here, there

    def close(self) -> None:
        try:
            for manager in self.managers:
                for session in manager.sessions():
                    manager.remove(session, confirm=True)
        finally:
            for manager in self.managers:
                manager.close()
            for socket in self.sockets.values():
                subprocess.run(["tmux", "-L", socket, "kill-server"], capture_output=True)
                # A killed server leaves its socket file.
                (Path(os.environ.get("TMUX_TMPDIR", "/tmp")) / f"tmux-{os.getuid()}" / socket).unlink(missing_ok=True)
            self.server.stop()
            shutil.rmtree(self.runtime, ignore_errors=True)


def monitor_cpu(repo: Path, seconds: float) -> dict[str, float]:
    """Run the monitor's work on `repo`'s sessions for `seconds` in a child process; its CPU
    seconds per second, its own and with the processes it started."""
    done = subprocess.run([sys.executable, __file__, "--child", str(repo), str(seconds)], capture_output=True,
                          text=True, timeout=seconds + 120, env=os.environ)
    if done.returncode != 0:
        raise SystemExit(f"bench: the monitor child failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _child(repo: Path, seconds: float) -> None:
    sys.path.insert(0, str(ROOT))
    from tui.sessions.manager import SessionManager

    manager = SessionManager(repo)
    ids = {s.id for s in manager.sessions()}
    # The login and the standing shell (remote, started by the second poll), imports and the
    # first captures, not measured.
    manager.poll(ids)
    manager.poll(ids)
    masters, clients = _ssh_processes(manager)
    stats_at: dict[str, float] = {}
    ticks = 0
    start_masters = sum(_cpu_seconds(pid) for pid in masters)
    start_clients = sum(_cpu_seconds(pid) for pid in clients)
    start_self, start_children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        tick = time.monotonic()
        snapshots = manager.poll(ids)
        manager.deliver_queued(snapshots)
        manager.stop_idle(snapshots)
        for snapshot in snapshots:
            if tick - stats_at.get(snapshot.session.id, -1e9) >= DIFF_STAT_EVERY:
                stats_at[snapshot.session.id] = tick
                manager.diff_stat(snapshot.session)
        ticks += 1
        time.sleep(max(0.0, 1 / FPS - (time.monotonic() - tick)))
    elapsed = time.monotonic() - started
    end_self, end_children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    master = sum(_cpu_seconds(pid) for pid in masters) - start_masters
    # Children, but running: RUSAGE_CHILDREN counts them only once they are reaped.
    standing = sum(_cpu_seconds(pid) for pid in clients) - start_clients
    manager.close()

    def used(start: resource.struct_rusage, end: resource.struct_rusage) -> float:
        return (end.ru_utime - start.ru_utime) + (end.ru_stime - start.ru_stime)

    own = used(start_self, end_self)
    children = own + used(start_children, end_children) + standing
    print(json.dumps({"own": own / elapsed, "with_children": children / elapsed,
                      "with_ssh_master": (children + master) / elapsed, "ticks_per_second": ticks / elapsed}))


def _ssh_processes(manager) -> tuple[list[int], list[int]]:  # noqa: ANN001 - a SessionManager
    """The ssh masters of the manager's SSH hosts (detached, so no child whose CPU
    RUSAGE_CHILDREN counts, but loupe's own processes all the same), and the ssh clients of
    their standing shells."""
    from tui.sessions.ssh_host import SshHost

    connections = [host.connection for host in manager.hosts.values()
                   if isinstance(host, SshHost) and host._connection is not None]
    masters = [connection.master_pid() for connection in connections]
    clients = [connection.channel_pid for connection in connections]
    return [pid for pid in masters if pid is not None], [pid for pid in clients if pid is not None]


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # utime and stime, fields 14 and 15 of stat(5), in clock ticks.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


if __name__ == "__main__" and sys.argv[1:2] == ["--child"]:
    _child(Path(sys.argv[2]), float(sys.argv[3]))

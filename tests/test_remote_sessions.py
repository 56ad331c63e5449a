"""Sessions on a host over SSH, end to end: a real sshd on 127.0.0.1, the host's own clone
(reached by loupe only through ssh), real tmux there, the guard there."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.git import git
from tests.fixtures.remote_sessions import HOST, RemoteHarness
from tests.helpers import wait_for
from tui import locations
from tui.locations import loupe_command
from tui.sessions.errors import SessionError
from tui.sessions.run_everywhere import run_everywhere, worst
from tui.sessions.status_file import State

pytestmark = pytest.mark.slow


def loupe(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*loupe_command(), "session", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env=os.environ)


def write_user_config(harness: RemoteHarness) -> None:
    """The same hosts and sockets for `loupe session` run as a command."""
    host = harness.host.config
    config = locations.user_config_file()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(
        f'[sessions]\ntmux_socket = "{harness.manager.socket}"\n\n'
        f'[hosts.{HOST}]\nssh = "{host.ssh}"\nrepo = "{host.repo}"\ntmux_socket = "{host.tmux_socket}"\n')


def test_a_shell_session_on_the_host_from_start_to_removal(remote_sessions: RemoteHarness) -> None:
    harness = remote_sessions
    manager = harness.manager
    first = harness.start("shell", "remote work")
    assert first.host == HOST
    assert str(first.worktree).startswith(str(harness.remote_data))
    assert git(harness.clone, "worktree", "list").stdout.count("\n") == 2

    # Its status and preview, in one round trip for the host however many sessions it runs.
    second = harness.start("shell", "more work")
    harness.wait_state(first, State.IDLE)
    trips, seen = harness.host.connection.round_trips, harness.sshd.server.sessions_started()
    snapshots = {s.session.id: s for s in manager.poll()}
    assert harness.host.connection.round_trips - trips == 1
    assert harness.sshd.server.sessions_started() == seen  # to the shell that earlier polls left there
    assert {s.session.host for s in snapshots.values()} == {HOST}
    assert snapshots[first.id].screen is not None

    # Typed in (not on a command line there), and seen on the screen.
    manager.send([first], "echo hello-from-$((6*7)) \"it's\" '$HOME'")
    screen = harness.wait_screen(first, "hello-from-42")
    assert "hello-from-42 it's $HOME" in screen

    # One command in both worktrees, {n} replaced by each one's number.
    results = run_everywhere(manager, [first, second],
                             ["sh", "-c", "echo made by {n} > out-{n}.txt && echo {n} in $(basename \"$PWD\") "
                                          "&& test {n} = 0"])
    assert [r.stdout for r in results] == ["0 in remote-work-1\n", "1 in more-work-1\n"]
    assert [r.exit_code for r in results] == [0, 1] and worst(results) == 1
    assert [f.path for f in manager.diff(first).files] == ["out-0.txt"]
    trips = harness.host.connection.round_trips
    assert (manager.diff_stat(second).added, manager.diff_stat(first).added) == (1, 1)
    assert harness.host.connection.round_trips - trips == 1  # the sizes of every tile in one

    # The same from the command line, as JSON.
    write_user_config(harness)
    done = loupe(harness.repo.path, "exec", "all", "--json", "--", "git", "add", "out-{n}.txt")
    assert done.returncode == 0, done.stderr
    assert [(r["number"], r["host"], r["exit_code"]) for r in json.loads(done.stdout)] == [(0, HOST, 0), (1, HOST, 0)]
    listed = json.loads(loupe(harness.repo.path, "list", "--json").stdout)
    assert [(s["number"], s["host"], s["state"] in ("idle", "working")) for s in listed] == [(0, HOST, True), (1, HOST, True)]
    # Each command closed its own connection when done; only this manager's is left.
    connection = harness.host.connection
    assert set(harness.sshd.ssh_processes()) == {connection.master_pid(), connection.channel_pid}
    attach = listed[0]["tmux"]
    assert attach.split()[0].endswith("/ssh") and " -t -- loupe-test-host " in attach
    assert attach.endswith(f"'tmux -L {harness.socket} attach-session -t ={first.tmux_session}'")

    # Land runs on the host: the session's commit goes onto main in the host's clone.
    committed = manager.run(first, ["git", "commit", "-q", "-m", "out from session 0"], timeout=60)
    assert committed.returncode == 0, committed.stderr
    plan = manager.plan_land(first)
    assert [summary for _, summary in plan.commits] == ["out from session 0"]
    landed = manager.land(first)
    assert landed.plan.onto == "main"
    assert git(harness.clone, "log", "-1", "--format=%s", "main").stdout.strip() == f"Merge {first.branch} into main"
    assert git(harness.clone, "rev-parse", "main").stdout.strip() == landed.new_tip
    assert git(harness.clone, "show", "main:out-0.txt").stdout == "made by 0\n"

    # The guard refuses a force push made on the host, typed into the agent's shell.
    before = harness.repo.remote_refs()
    manager.send([second], "git push --force origin HEAD~1:main")
    harness.wait_screen(second, "loupe guard: refused")
    refused = manager.run(second, ["git", "push", "--force", "origin", "HEAD~1:main"], timeout=60)
    assert refused.returncode != 0 and "loupe guard" in refused.stderr
    assert harness.repo.remote_refs() == before

    # Stop, then remove: nothing of the second session's work is lost.
    assert manager.stop(first) is not None
    assert harness.snapshot(first).stopped
    assert manager.remove(first).saved_ref is None
    removed = manager.remove(second, confirm=True)
    assert removed.saved_ref == f"refs/loupe/removed/{second.id}"
    assert git(harness.clone, "show", f"{removed.saved_ref}:out-1.txt").stdout == "made by 1\n"
    assert manager.sessions() == []

    # Started from the command line too.
    done = loupe(harness.repo.path, "start", "--host", HOST, "--agent", "shell", "--task", "from cli", "--json")
    assert done.returncode == 0, done.stderr
    started = json.loads(done.stdout)
    assert started["host"] == HOST and started["worktree"].startswith(str(harness.remote_data))
    done = loupe(harness.repo.path, "start", "--host", "nowhere", "--agent", "shell")
    assert done.returncode == 1 and "host 'nowhere' is not configured" in done.stderr


def test_the_agent_there_gets_your_keys_through_stdin_only(remote_sessions: RemoteHarness,
                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    harness, secret = remote_sessions, "sk-remote-0123456789"
    monkeypatch.setenv("LOUPE_TEST_API_KEY", secret)
    kind = harness.script_kind("keyed", 'printf %s "$LOUPE_TEST_API_KEY" > key.txt\necho "key: $LOUPE_TEST_API_KEY"\n'
                                        "read line\n")
    session = harness.start(kind, "keys")
    screen = harness.wait_screen(session, "key: ")
    assert "key: [redacted:LOUPE_TEST_API_KEY]" in screen and secret not in screen
    assert (session.worktree / "key.txt").read_text() == secret

    # The guard is first on the agent's PATH there, from the host's own loupe.
    found = harness.manager.run(session, ["sh", "-c", "command -v git"], timeout=60)
    assert found.stdout.startswith(str(harness.remote_data / "guard")), found.stdout

    files = harness.remote_data / "sessions" / session.id
    wait_for(lambda: "key: " in (files / "output.log").read_text(errors="replace"), "the output log there")
    assert secret not in (files / "output.log").read_text(errors="replace")
    assert not (files / "env.sh").exists()
    server = subprocess.run(["tmux", "-L", harness.socket, "show-environment", "-g"], capture_output=True, text=True)
    assert server.returncode == 0 and secret not in server.stdout


def test_a_host_that_cannot_run_sessions_says_what_to_fix(remote_sessions: RemoteHarness) -> None:
    harness = remote_sessions
    harness.host.config.loupe = "/nowhere/loupe"
    with pytest.raises(SessionError, match=r"loupe does not run on box .* set \[hosts.box\] loupe to its full path"):
        harness.manager.start(task="t", agent="shell", host=HOST)
    harness.host.config.loupe, harness.host.config.repo = "loupe", ""
    with pytest.raises(SessionError, match=r"add repo = \"~/src/app\" \(its clone there\) to \[hosts.box\]"):
        harness.manager.start(task="t", agent="shell", host=HOST)
    assert harness.manager.sessions() == []

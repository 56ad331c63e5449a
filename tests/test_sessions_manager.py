"""Sessions end to end: real tmux, real git, scripted shell agents."""

from __future__ import annotations

import os
import pty
import textwrap
import time
from pathlib import Path

import pytest

from tests.fixtures.sessions import SessionsHarness, make_manager
from tests.helpers import wait_for
from tui import locations
from tui.sessions.errors import AgentNotInstalled, LandRefused, SessionError, TmuxMissing
from tui.sessions.procs import session_members
from tui.sessions.status_file import State
from tui.sessions.worktrees import worktrees_dir

pytestmark = pytest.mark.slow

# Prints for a while, asks a question, commits its work, waits quietly, exits with 3.
WORKER = """\
    echo "working on $LOUPE_TASK"
    i=0
    while [ $i -lt 8 ]; do echo "tick $i"; i=$((i+1)); sleep 0.15; done
    touch .asked
    printf 'Proceed with the change? [y/n] '
    read answer
    echo "answer: $answer"
    echo "made by $LOUPE_SESSION" > result.txt
    git add result.txt && git commit -q -m "agent: add result.txt"
    echo "all done, waiting"
    touch .idle
    read next
    echo "bye $next"
    exit 3
"""


def _marker_then_state(harness: SessionsHarness, session, marker: str, state: State) -> None:
    """Wait for the script to reach a point, then give loupe 2 s to report the state."""
    wait_for(lambda: (session.worktree / marker).exists(), f"script to reach {marker}")
    harness.wait_state(session, state, timeout=2.0)


def test_three_sessions_each_transition_broadcast_diff_land(sessions: SessionsHarness) -> None:
    kind = sessions.script_kind("worker", WORKER)
    started = [sessions.start(kind, task=f"job {n}") for n in range(3)]
    assert [s.number for s in started] == [0, 1, 2]
    assert len({s.port_base for s in started}) == 3
    for session in started:
        sessions.wait_state(session, State.WORKING, timeout=2.0)
    for session in started:
        _marker_then_state(sessions, session, ".asked", State.NEEDS_INPUT)

    # Broadcast to 0 and 2 only; 1 keeps waiting.
    outcomes = sessions.manager.send(sessions.manager.select("0,2"), "yes")
    assert [o.delivered for o in outcomes] == [True, True]
    for session in (started[0], started[2]):
        _marker_then_state(sessions, session, ".idle", State.IDLE)
    assert sessions.snapshot(started[1]).state is State.NEEDS_INPUT
    sessions.manager.send([started[1]], "no")
    _marker_then_state(sessions, started[1], ".idle", State.IDLE)

    diff = sessions.manager.diff(started[0])
    paths = {f.path: f for f in diff.files}
    assert "result.txt" in paths and paths["result.txt"].added == 1
    assert f"made by {started[0].id}" in diff.patch
    assert diff.commits == 1
    assert sessions.manager.diff_stat(started[0]).added == diff.stat.added

    result = sessions.manager.land(started[0])
    assert result.plan.onto == "main"
    assert sessions.repo.git("show", "main:result.txt").stdout.strip() == f"made by {started[0].id}"
    # main is checked out in the repo: its files moved too, and nothing is left half-done.
    assert (sessions.repo.path / "result.txt").exists()
    assert sessions.repo.git("status", "--porcelain").stdout == ""

    sessions.manager.send(sessions.manager.select("all"), "now")
    for session in started:
        snapshot = sessions.wait_state(session, State.EXITED, timeout=2.0)
        assert snapshot.exit_code == 3
    assert "bye now" in sessions.manager.last_screen(started[0])


def test_queued_send_waits_until_idle(sessions: SessionsHarness) -> None:
    kind = sessions.script_kind("busy", """\
        i=0
        while [ $i -lt 20 ]; do echo "busy $i"; i=$((i+1)); sleep 0.15; done
        touch .idle
        read line
        echo "received: $line"
        touch .got
        read wait_forever
    """)
    session = sessions.start(kind)
    sessions.wait_state(session, State.WORKING)
    outcomes = sessions.manager.send([session], "queued hello", when_idle=True)
    assert outcomes[0].queued and not outcomes[0].delivered
    assert sessions.manager.store.pending(session.id)
    deliveries: list = []

    def deliver() -> bool:
        snapshots = sessions.manager.poll()
        if not (session.worktree / ".idle").exists():
            assert all(s.state is not State.IDLE for s in snapshots)
        deliveries.extend(sessions.manager.deliver_queued(snapshots))
        return bool(deliveries)

    wait_for(deliver, "the queued text to be delivered", timeout=15)
    # It went in only once the script was waiting, never while it was busy printing.
    assert (session.worktree / ".idle").exists()
    sessions.wait_screen(session, "received: queued hello")
    assert not sessions.manager.store.pending(session.id)
    assert len(deliveries) == 1


def test_stop_ends_every_process_of_the_agent(sessions: SessionsHarness) -> None:
    kind = sessions.script_kind("spawner", """\
        sleep 300 &
        set -m
        sleep 301 &
        set +m
        echo "children started"
        touch .ready
        sleep 302
    """)
    session = sessions.start(kind)
    wait_for(lambda: (session.worktree / ".ready").exists(), "children to start")
    pane = sessions.manager.tmux(session.tmux_socket).list_panes()[session.tmux_session]
    members = session_members(pane.pid)
    assert len(members) >= 4, members  # wrapper, agent shell, three sleeps
    code = sessions.manager.stop(session)
    assert session_members(pane.pid) == []
    assert code == 143  # the agent's shell ended by SIGTERM; the wrapper recorded it
    assert sessions.snapshot(session).state is State.EXITED


def test_sessions_come_back_after_restart(sessions: SessionsHarness) -> None:
    kind = sessions.script_kind("waiter", """\
        echo "ready for you"
        printf 'Continue? [y/n] '
        read answer
        echo "exiting with 5"
        exit 5
    """)
    first = sessions.start(kind, task="first")
    second = sessions.start(kind, task="second")
    sessions.wait_state(first, State.NEEDS_INPUT)
    sessions.wait_state(second, State.NEEDS_INPUT)
    sessions.manager.send([second], "y")
    sessions.wait_state(second, State.EXITED)

    # A new loupe: new manager, same store and socket.
    restarted = make_manager(sessions.repo.path, sessions.socket, store=sessions.manager.store)
    snapshots = {s.session.id: s for s in restarted.poll()}
    assert set(snapshots) == {first.id, second.id}
    assert snapshots[second.id].state is State.EXITED and snapshots[second.id].exit_code == 5
    wait_for(lambda: {s.session.id: s for s in restarted.poll()}[first.id].state is State.NEEDS_INPUT,
             "the live session to be seen waiting again")
    # The dead session's last screen is still there, even once tmux forgets it.
    restarted.tmux(second.tmux_socket).kill_session(second.tmux_session)
    again = make_manager(sessions.repo.path, sessions.socket, store=sessions.manager.store)
    snapshot = {s.session.id: s for s in again.poll()}[second.id]
    assert snapshot.state is State.EXITED and snapshot.exit_code == 5
    assert "exiting with 5" in again.last_screen(second)
    # The live one can still be driven from the new manager.
    again.send([first], "n")
    wait_for(lambda: {s.session.id: s for s in again.poll()}[first.id].state is State.EXITED,
             "the first session to exit")


def test_attach_and_detach_through_tmux(sessions: SessionsHarness) -> None:
    kind = sessions.script_kind("longrun", "echo attached-screen\nread x\n")
    session = sessions.start(kind)
    sessions.wait_screen(session, "attached-screen")
    argv = sessions.manager.attach_argv(session)
    pid, fd = pty.fork()
    if pid == 0:  # the child is a terminal running `tmux attach`
        env = sessions.manager.tmux(session.tmux_socket).client_env()
        env["TERM"] = "xterm-256color"
        os.execve(argv[0], argv, env)
    tmux = sessions.manager.tmux(session.tmux_socket)
    try:
        wait_for(lambda: tmux.list_panes()[session.tmux_session].attached == 1, "a client to attach")
        tmux.run("detach-client", "-s", f"={session.tmux_session}")
        _, status = os.waitpid(pid, 0)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    finally:
        os.close(fd)
    # Detaching leaves the agent running as it was.
    assert tmux.list_panes()[session.tmux_session].attached == 0
    assert sessions.snapshot(session).live


def test_session_environment_ports_and_included_files(sessions: SessionsHarness) -> None:
    (sessions.repo.path / ".gitignore").write_text(".env\n")
    sessions.repo.git("add", ".gitignore")
    sessions.repo.git("commit", "-q", "-m", "ignore .env")
    (sessions.repo.path / ".env").write_text("SECRET=1\n")
    (sessions.repo.path / ".worktreeinclude").write_text(".env\n")
    kind = sessions.script_kind("envdump", """\
        env | grep -E '^(PORT|LOUPE_[A-Z_]+)=' | sort > ../env-$LOUPE_SESSION.txt
        echo "GIT_FOUND=$(command -v git)" >> ../env-$LOUPE_SESSION.txt
        echo dumped
        read x
    """)
    one = sessions.start(kind, task="one")
    two = sessions.start(kind, task="two")
    for session in (one, two):
        sessions.wait_screen(session, "dumped")
    envs = {}
    for session in (one, two):
        text = (session.worktree.parent / f"env-{session.id}.txt").read_text()
        envs[session.id] = dict(line.split("=", 1) for line in text.splitlines())
        (session.worktree.parent / f"env-{session.id}.txt").unlink()
        assert (session.worktree / ".env").read_text() == "SECRET=1\n"
    assert envs[one.id]["LOUPE_SESSION"] == one.id
    assert envs[one.id]["LOUPE_STATUS_FILE"] == str(sessions.files(one).status_file)
    assert envs[one.id]["PORT"] == envs[one.id]["LOUPE_PORT_BASE"]
    # The git guard comes first on PATH, so the agent's `git` is the guard's shim.
    assert envs[one.id]["GIT_FOUND"].startswith(str(locations.data_dir() / "guard"))
    ports = [set(range(int(e["PORT"]), int(e["PORT"]) + 10)) for e in envs.values()]
    assert not ports[0] & ports[1]
    assert one.branch == "loupe/one/1" and one.worktree.parent == worktrees_dir(sessions.repo.path)


def test_missing_agent_creates_nothing(sessions: SessionsHarness) -> None:
    sessions.manager.kinds["ghost"] = sessions.manager.kinds["shell"].__class__(
        "ghost", "no-such-agent-binary-xyz {prompt}")
    with pytest.raises(AgentNotInstalled, match="no-such-agent-binary-xyz"):
        sessions.manager.start(task="t", agent="ghost", prompt="hi")
    assert sessions.manager.sessions() == []
    assert "loupe/" not in sessions.repo.git("branch", "--list").stdout
    assert not worktrees_dir(sessions.repo.path).exists() or not any(worktrees_dir(sessions.repo.path).iterdir())


def test_missing_tmux_is_a_clear_error(sessions: SessionsHarness, monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as patched:
        patched.setenv("PATH", "/nonexistent")
        fresh = make_manager(sessions.repo.path, sessions.socket)
        with pytest.raises(TmuxMissing, match="tmux is not installed"):
            fresh.start(task="t", agent="shell")
        assert fresh.sessions() == []


def _committing_agent(sessions: SessionsHarness, commits: str):
    """A session whose script runs `commits`, then marks itself done and waits."""
    kind = sessions.script_kind("committer", textwrap.dedent(commits) + "touch .done\nread x\n")
    session = sessions.start(kind)
    wait_for(lambda: (session.worktree / ".done").exists(), "the agent's commits")
    return session


def test_land_conflict_changes_nothing(sessions: SessionsHarness) -> None:
    session = _committing_agent(sessions, """\
        echo "agent version" > README.md
        git commit -q -am "agent edits README"
        echo second > second.txt && git add second.txt && git commit -q -m "second"
    """)
    sessions.repo.commit_file("README.md", "main version\n", "main edits README")
    before = sessions.repo.git("rev-parse", "main").stdout
    for mode in ("merge", "cherry-pick"):
        plan = sessions.manager.plan_land(session, mode)
        assert plan.conflicts == ("README.md",)
        with pytest.raises(LandRefused, match="conflicts with main in README.md"):
            sessions.manager.land(session, mode)
        assert sessions.repo.git("rev-parse", "main").stdout == before
        assert sessions.repo.git("status", "--porcelain").stdout == ""
        assert (sessions.repo.path / "README.md").read_text() == "main version\n"


def test_cherry_pick_land_is_linear_and_removal_sees_it_landed(sessions: SessionsHarness) -> None:
    session = _committing_agent(sessions, """\
        echo one > one.txt && git add one.txt && git commit -q -m "one"
        echo two > two.txt && git add two.txt && git commit -q -m "two"
    """)
    sessions.repo.commit_file("other.txt", "moved on\n", "main moves on")
    result = sessions.manager.land(session, "cherry-pick")
    log = sessions.repo.git("log", "--format=%s", "-3", "main").stdout.split("\n")
    assert log[:3] == ["two", "one", "main moves on"]
    assert sessions.repo.git("rev-list", "--merges", "main").stdout == ""
    assert result.new_tip == sessions.repo.git("rev-parse", "main").stdout.strip()
    # The copies are on main, so the session's own commits are no longer "unmerged" work.
    sessions.manager.stop(session)
    risks = sessions.manager.removal_risks(session)
    assert [r.kind for r in risks] == ["untracked"]  # only the script's marker file
    assert ".done" in risks[0].message


def test_sending_to_an_exited_session_is_refused(sessions: SessionsHarness) -> None:
    kind = sessions.script_kind("quick", "echo bye\n")
    session = sessions.start(kind)
    sessions.wait_state(session, State.EXITED)
    with pytest.raises(SessionError, match="has exited"):
        sessions.manager.send([session], "hello")


def test_prompt_is_typed_in_when_the_template_has_no_prompt(sessions: SessionsHarness) -> None:
    kind = sessions.script_kind("repl", """\
        printf 'ready> '
        read line
        echo "prompt was: $line"
        read x
    """)
    session = sessions.start(kind, prompt="build the thing")
    assert [q.text for q in sessions.manager.store.pending(session.id)] == ["build the thing"]
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and sessions.manager.store.pending(session.id):
        sessions.manager.deliver_queued(sessions.manager.poll())
        time.sleep(0.1)
    sessions.wait_screen(session, "prompt was: build the thing")


def test_setup_script_runs_before_the_agent(sessions: SessionsHarness) -> None:
    sessions.repo.commit_file("setup.sh", "echo setup-ran > .setup-done\n", "setup script")
    sessions.manager.config.sessions.setup_script = "setup.sh"
    kind = sessions.script_kind("aftersetup", "cat .setup-done\nread x\n")
    session = sessions.start(kind)
    sessions.wait_screen(session, "setup-ran")

    sessions.repo.commit_file("setup.sh", "exit 7\n", "failing setup")
    failing = sessions.start(kind, task="failing")
    snapshot = sessions.wait_state(failing, State.EXITED)
    assert snapshot.exit_code == 7
    assert "setup script failed" in sessions.manager.capture(failing, ansi=False)


def test_agent_force_push_is_blocked_by_the_guard(sessions: SessionsHarness) -> None:
    before = sessions.repo.remote_refs()
    kind = sessions.script_kind("pusher", """\
        git checkout -q --orphan rewritten
        git commit -q --allow-empty -m "history rewritten"
        git push -q --force origin HEAD:main
        echo "push exit $?"
        read x
    """)
    session = sessions.start(kind)
    sessions.wait_screen(session, "push exit")
    assert "push exit 0" not in sessions.manager.capture(session, ansi=False)
    assert sessions.repo.remote_refs() == before


FAKE_CLAUDE = """\
import json, os, subprocess, sys, time

# Plays Claude Code's part: runs the hooks its settings file names, with JSON on stdin.
settings = json.load(open(".claude/settings.local.json"))

def fire(event, payload):
    for entry in settings["hooks"].get(event, []):
        for hook in entry["hooks"]:
            subprocess.run(hook["command"], shell=True, input=json.dumps(payload), text=True, check=True)

fire("SessionStart", {})
fire("UserPromptSubmit", {"prompt": sys.argv[1]})
print("Thinking about: " + sys.argv[1], flush=True)
while not os.path.exists(os.environ["LOUPE_STATUS_FILE"] + ".go"):
    time.sleep(0.05)  # a quiet screen, yet working: only the hooks can tell
fire("Notification", {"notification_type": "permission_prompt",
                      "message": "Claude needs your permission to use Bash"})
input("Allow Bash? ")
fire("PostToolUse", {"tool_name": "Bash"})
fire("Stop", {})
input()
"""


def test_claude_hooks_drive_the_state(sessions: SessionsHarness, tmp_path, monkeypatch) -> None:
    import sys

    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    claude = bin_dir / "claude"
    claude.write_text(f"#!{sys.executable}\n" + FAKE_CLAUDE)
    claude.chmod(0o755)
    with monkeypatch.context() as patched:
        patched.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
        session = sessions.start("claude", task="hooked", prompt="fix the bug")
    settings = (session.worktree / ".claude" / "settings.local.json").read_text()
    assert f"hook {session.id} Notification" in settings
    sessions.wait_screen(session, "Thinking about: fix the bug")
    # A screen quiet for longer than the debounce would read as idle; the hook says working.
    sessions.wait_state(session, State.WORKING)
    sessions.manager.observer._memory[session.id].tracker.changed_at -= 60
    snapshot = sessions.snapshot(session)
    assert (snapshot.state, snapshot.source) == (State.WORKING, "hook")
    Path(str(sessions.files(session).status_file) + ".go").touch()
    snapshot = sessions.wait_state(session, State.NEEDS_INPUT)
    assert "permission" in snapshot.detail
    sessions.manager.send([session], "yes")
    assert sessions.wait_state(session, State.IDLE).source == "hook"
    # Nothing loupe wrote shows up as the agent's work.
    assert sessions.manager.diff(session).files == ()
    assert [r.kind for r in sessions.manager.removal_risks(session)] == ["live"]
    # Removing it anyway saves the agent's leftovers, without loupe's settings file.
    (session.worktree / "notes.md").write_text("half done\n")
    saved = sessions.manager.remove(session, confirm=True).saved_ref
    files = sessions.repo.git("ls-tree", "-r", "--name-only", saved).stdout.split()
    assert "notes.md" in files and ".claude/settings.local.json" not in files

"""Session details end to end: what the diff covers, dead sessions nobody saw die, Codex's
notify hook, fetching first, port blocks under concurrent starts, the status-file watcher."""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

import pytest

from tests.fixtures.git import git
from tests.fixtures.sessions import SessionsHarness, make_manager
from tests.helpers import wait_for
from tui.sessions import monitor as monitor_module
from tui.events import Event, SessionsFailed, SessionsUpdated
from tui.sessions.monitor import SessionMonitor
from tui.sessions.status_file import State, Status, read_status, write_status
from tui.sessions.store import SessionStore

pytestmark = pytest.mark.slow


def test_diff_covers_committed_staged_modified_and_untracked(sessions: SessionsHarness) -> None:
    kind = sessions.script_kind("mixed", """\
        echo committed > committed.txt && git add committed.txt && git commit -q -m committed
        echo staged > staged.txt && git add staged.txt
        echo "changed by the agent" >> README.md
        echo untracked > untracked.txt
        touch .done
        read x
    """)
    session = sessions.start(kind)
    wait_for(lambda: (session.worktree / ".done").exists(), "the agent's changes")
    (session.worktree / ".done").unlink()
    diff = sessions.manager.diff(session)
    files = {f.path: f for f in diff.files}
    assert set(files) == {"committed.txt", "staged.txt", "README.md", "untracked.txt"}
    assert files["README.md"].status == "modified" and files["README.md"].added == 1
    assert all(files[p].status == "added" for p in ("committed.txt", "staged.txt", "untracked.txt"))
    assert "+changed by the agent" in diff.patch and "+untracked" in diff.patch
    assert diff.commits == 1
    stat = sessions.manager.diff_stat(session)
    assert (stat.files, stat.added, stat.removed) == (4, 4, 0)


def test_a_session_that_died_unseen_shows_exited_with_its_logged_screen(sessions: SessionsHarness) -> None:
    kind = sessions.script_kind("lastwords", "echo 'the last words'\nexit 4\n")
    session = sessions.start(kind)
    wait_for(lambda: (read_status(sessions.files(session).status_file) or Status(State.WORKING)).state is State.EXITED,
             "the wrapper to record the exit")
    # Gone before any loupe looked (tmux server restarted, machine rebooted).
    sessions.manager.tmux(session.tmux_socket).kill_session(session.tmux_session)
    assert not sessions.files(session).last_screen_file.exists()
    fresh = make_manager(sessions.repo.path, sessions.socket, store=sessions.manager.store)
    (snapshot,) = fresh.poll()
    assert (snapshot.state, snapshot.exit_code) == (State.EXITED, 4)
    assert "the last words" in fresh.last_screen(session)  # from the pipe-pane log
    assert fresh.store.get(session.id).exit_code == 4


FAKE_CODEX = """\
import json, subprocess, sys

# Plays Codex's part: `-c notify=[...]` names a program that gets the event JSON last.
args = sys.argv[1:]
notify = next(json.loads(a[len("notify="):]) for a in args if a.startswith("notify="))
print("codex got: " + args[-1], flush=True)
subprocess.run([*notify, json.dumps({"type": "agent-turn-complete", "last-assistant-message": "Done."})],
               check=True)
print("turn over", flush=True)
input()
"""


def test_codex_notify_reports_the_end_of_a_turn(sessions: SessionsHarness, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    codex = bin_dir / "codex"
    codex.write_text(f"#!{sys.executable}\n" + FAKE_CODEX)
    codex.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    session = sessions.start("codex", task="codexed", prompt="refactor it")
    sessions.wait_screen(session, "turn over")
    assert "codex got: refactor it" in sessions.manager.capture(session, ansi=False)
    reported = read_status(sessions.files(session).status_file)
    assert reported is not None and reported.state is State.IDLE and reported.source == "codex-notify"
    snapshot = sessions.wait_state(session, State.IDLE)
    assert snapshot.source == "hook"


def test_fetch_first_starts_from_the_remote_tip(sessions: SessionsHarness, tmp_path: Path) -> None:
    other = tmp_path / "other-clone"
    git(tmp_path, "clone", "-q", str(sessions.repo.remote), str(other))
    (other / "upstream.txt").write_text("pushed by a colleague\n")
    git(other, "add", "upstream.txt")
    git(other, "commit", "-q", "-m", "upstream work")
    git(other, "push", "-q", "origin", "main")
    kind = sessions.script_kind("reader", "cat upstream.txt\nread x\n")
    session = sessions.start(kind, base="origin/main", fetch=True)
    sessions.wait_screen(session, "pushed by a colleague")
    assert session.base_branch == "main"  # lands onto the local branch of that name


def test_port_blocks_stay_unique_when_loupes_start_sessions_at_once(tmp_path: Path) -> None:
    from tests.test_sessions_units import _session

    path = tmp_path / "shared.sqlite"
    bases: list[int] = []
    errors: list[BaseException] = []

    def start(n: int) -> None:
        try:  # each thread plays a separate loupe: its own store object on the same file
            added = SessionStore(path).add(_session(tmp_path, f"s{n}"), port_start=40000,
                                           port_free=lambda base: True)
            bases.append(added.port_base)
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=start, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(bases) == list(range(40000, 40000 + 12 * 10, 10))


def test_a_status_file_change_wakes_the_monitor(sessions: SessionsHarness,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(monitor_module, "WATCH_AFTER", 0.0)
    kind = sessions.script_kind("reporter", "echo up\nread x\n", status="loupe")
    session = sessions.start(kind)
    updates: list[SessionsUpdated] = []
    errors: list[str] = []

    def emit(event: Event) -> None:
        if isinstance(event, SessionsUpdated):
            updates.append(event)
        elif isinstance(event, SessionsFailed):
            errors.append(event.error)

    monitor = SessionMonitor(sessions.manager)
    # No polling tick for an hour: only the file watcher can bring the next update.
    monitor.interval = 3600.0
    stop = threading.Event()
    loops = [threading.Thread(target=monitor.run, args=(stop, emit), name="loupe-sessions-monitor"),
             threading.Thread(target=monitor.watch_status, args=(stop,), name="loupe-sessions-watch")]
    for loop in loops:
        loop.start()
    try:
        wait_for(lambda: updates, "the first tick")
        # Written again on every check: a write before the watcher is ready is not seen.
        def reported() -> bool:
            write_status(sessions.files(session).status_file, Status(State.NEEDS_INPUT, event="ask", source="loupe"))
            return any(s.state is State.NEEDS_INPUT for u in updates[1:] for s in u.snapshots)

        wait_for(reported, "an update caused by the status file alone")
    finally:
        stop.set()
        monitor.wake()
        for loop in loops:
            loop.join(timeout=5)
    assert errors == []
    assert not any(t.name.startswith("loupe-sessions") and t.is_alive() for t in threading.enumerate())


def test_stop_many_ends_agents_that_ignore_sigterm(sessions: SessionsHarness) -> None:
    from tui.sessions.procs import session_members

    kind = sessions.script_kind("stubborn", """\
        trap '' TERM
        sleep 300 &
        echo stubborn
        touch .ready
        wait
    """)
    started = [sessions.start(kind, task=f"stubborn {n}") for n in range(3)]
    for session in started:
        wait_for(lambda: (session.worktree / ".ready").exists(), "the agent to start")
    panes = sessions.manager.tmux(sessions.socket).list_panes()
    pids = [panes[s.tmux_session].pid for s in started]
    outcomes = sessions.manager.stop_many(started, grace=0.5)
    assert set(outcomes) == {s.id for s in started}
    assert all(isinstance(code, int) and code >= 128 for code in outcomes.values()), outcomes
    assert [session_members(pid) for pid in pids] == [[], [], []]
    assert all(sessions.snapshot(s).state is State.EXITED for s in started)

"""`idle_stop_minutes`: sessions idle that long are stopped, never removed, never one that
needs you. The clock is moved, not waited for."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.fixtures.sessions import SessionsHarness
from tests.helpers import ManualClock
from tests.test_sessions_units import _session
from tui.config import AgentKindConfig, Config
from tui.remote.hosts import HostConfig
from tui.sessions.idle_stop import IdleStop
from tui.sessions.model import Snapshot
from tui.sessions.status_file import State


def snapshot(tmp_path: Path, sid: str, state: State, since: float, *, host: str = "local",
             agent: str = "claude", queued: int = 0) -> Snapshot:
    session = _session(tmp_path, sid)
    session.host, session.agent = host, agent
    return Snapshot(session=session, state=state, since=since, queued=queued)


def test_idle_past_the_limit_is_due_and_nothing_else(tmp_path: Path) -> None:
    config = Config()
    config.hosts["gpu"] = HostConfig(ssh="gpu", idle_stop_minutes=30)
    config.agents["claude"] = AgentKindConfig(idle_stop_minutes=60)
    clock = ManualClock(10_000.0)
    policy = IdleStop(config, clock)
    hour_ago = clock.now - 3600
    snapshots = [
        snapshot(tmp_path, "a1", State.IDLE, hour_ago),                          # claude here: 60 min
        snapshot(tmp_path, "b2", State.IDLE, clock.now - 3599),                  # a second short
        snapshot(tmp_path, "c3", State.IDLE, clock.now - 1800, host="gpu"),      # gpu's 30 min is smaller
        snapshot(tmp_path, "d4", State.NEEDS_INPUT, hour_ago),                   # waits for you
        snapshot(tmp_path, "e5", State.IDLE, hour_ago, queued=1),                # about to get work
        snapshot(tmp_path, "f6", State.UNREACHABLE, hour_ago, host="gpu"),       # not known
        snapshot(tmp_path, "a7", State.WORKING, hour_ago),
        snapshot(tmp_path, "b8", State.IDLE, hour_ago, agent="codex"),           # no limit here
        snapshot(tmp_path, "c9", State.EXITED, hour_ago),
    ]
    assert [s.id for s in policy.due(snapshots)] == ["a1", "c3"]
    clock.now += 1
    assert [s.id for s in policy.due(snapshots)] == ["a1", "b2", "c3"]
    assert policy.limit(snapshots[7].session) is None


@pytest.mark.slow
def test_an_idle_session_is_stopped_and_keeps_its_work(sessions: SessionsHarness) -> None:
    manager = sessions.manager
    idler = sessions.start(sessions.script_kind("idler", "echo made > made.txt\nread line\n"), "idle")
    asker = sessions.start(sessions.script_kind("asker", "printf 'Apply? [y/n] '\nread line\n",
                                                patterns=(r"Apply\? \[y/n\]\s*$",)), "ask")
    manager.config.agents["idler"] = AgentKindConfig(idle_stop_minutes=1)
    manager.config.agents["asker"] = AgentKindConfig(idle_stop_minutes=1)
    sessions.wait_state(idler, State.IDLE)
    sessions.wait_state(asker, State.NEEDS_INPUT)
    later = ManualClock(time.time() + 61)
    manager.idle_stop = IdleStop(manager.config, later)
    assert manager.stop_idle(manager.poll()) == [idler]
    stopped = sessions.snapshot(idler)
    assert stopped.stopped and stopped.state is State.EXITED
    assert (idler.worktree / "made.txt").read_text() == "made\n"
    assert sessions.snapshot(asker).state is State.NEEDS_INPUT
    assert manager.stop_idle(manager.poll()) == []


def test_the_limits_come_from_hosts_and_agents_in_config(tmp_path: Path) -> None:
    from tui.config import load_files

    path = tmp_path / "config.toml"
    path.write_text('[agents.claude]\nidle_stop_minutes = 45\n\n[hosts.gpu]\nssh = "gpu"\nidle_stop_minutes = 15\n')
    loaded = load_files([path])
    assert loaded.problems == []
    policy = IdleStop(loaded.config)
    here, there = (snapshot(tmp_path, sid, State.IDLE, 0.0, host=host).session for sid, host in
                   (("a1", "local"), ("b2", "gpu")))
    assert (policy.limit(here), policy.limit(there)) == (45 * 60.0, 15 * 60.0)

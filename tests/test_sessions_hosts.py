"""A host loupe cannot reach shows its sessions as unreachable, never as exited."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.test_sessions_units import _session
from tui.config import Config
from tui.sessions.cli import _state_label
from tui.sessions.errors import HostUnreachable
from tui.sessions.manager import SessionManager
from tui.sessions.status_file import State, Status, read_status, write_status
from tui.sessions.store import SessionStore

def test_sessions_on_a_host_loupe_cannot_reach_are_unreachable_not_exited(tmp_path: Path) -> None:
    store = SessionStore(tmp_path / "s.sqlite")
    running, ended = _session(tmp_path, "ab12cd"), _session(tmp_path, "ef34ab")
    for session in (running, ended):
        session.host = "buildbox"
        store.add(session, port_start=31000, port_free=lambda base: True)
    store.mark_ended(ended.id, 3)
    manager = SessionManager(tmp_path, Config(), store=store)
    snapshots = {s.session.id: s for s in manager.poll()}
    assert snapshots[running.id].state is State.UNREACHABLE
    assert "[hosts.buildbox]" in snapshots[running.id].detail
    assert _state_label(snapshots[running.id]) == "unreachable"
    assert store.get(running.id).ended_at is None  # not recorded as ended
    assert (snapshots[ended.id].state, snapshots[ended.id].exit_code) == (State.EXITED, 3)
    with pytest.raises(HostUnreachable, match="--when-idle"):
        manager.send([running], "hello")
    (queued,) = manager.send([running], "hello", when_idle=True)
    assert queued.queued and [q.text for q in store.pending(running.id)] == ["hello"]
    assert manager.last_screen(running) == ""


def test_no_agent_can_report_its_host_unreachable(tmp_path: Path) -> None:
    path = tmp_path / "status.json"
    write_status(path, Status(State.UNREACHABLE, source="agent", time=time.time()))
    assert read_status(path) is None
    write_status(path, Status(State.IDLE, source="agent"))
    assert read_status(path).state is State.IDLE



def test_one_host_unreachable_class_for_the_remote_layer_and_sessions() -> None:
    from tui.remote.errors import HostUnreachable as RemoteUnreachable

    assert HostUnreachable is RemoteUnreachable


def test_a_tile_names_the_host_a_session_runs_on() -> None:
    from widgets.session_tile import SessionTile, TileData

    remote = SessionTile(TileData("a1", 0, "claude", "fix", "unreachable", host="gpu", queued=1))
    local = SessionTile(TileData("b2", 1, "claude", "fix", "idle"))
    assert (str(remote.border_title), str(local.border_title)) == ("0 claude · fix @gpu · 1 queued", "1 claude · fix")

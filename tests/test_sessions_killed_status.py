"""Issue 12, item 13: a session killed with its tmux server (or its window killed) reads
"killed", not "exited 0"; one that exits on its own keeps its code.

Real tmux on the test's own socket, real shell agents.
"""

from __future__ import annotations

import subprocess

import pytest

from tests.fixtures.sessions import SessionsHarness, make_manager, snapshot_of
from tui.sessions.cli import _state_label
from tui.sessions.status_file import State

pytestmark = pytest.mark.slow


def test_a_session_killed_with_its_tmux_server_reads_killed(sessions: SessionsHarness) -> None:
    kind = sessions.script_kind("sleeper", "sleep 300\n")
    session = sessions.start(kind)
    sessions.wait_state(session, State.WORKING)
    subprocess.run(["tmux", "-L", sessions.socket, "kill-server"], check=True, capture_output=True)
    snapshot = sessions.wait_state(session, State.EXITED)
    assert snapshot.killed and not snapshot.stopped
    assert _state_label(snapshot) == "killed"
    assert "tmux" in snapshot.detail
    # A later loupe, with no memory of the window, reads the same from the store.
    later = snapshot_of(make_manager(sessions.repo.path, sessions.socket), session)
    assert later.killed and _state_label(later) == "killed"


def test_a_clean_exit_is_not_called_killed(sessions: SessionsHarness) -> None:
    session = sessions.start(sessions.script_kind("brief", "exit 0\n"))
    snapshot = sessions.wait_state(session, State.EXITED)
    assert (snapshot.exit_code, snapshot.killed) == (0, False)
    assert _state_label(snapshot) == "exited 0"


def test_a_killed_tile_says_killed() -> None:
    from widgets.session_tile import TileData

    tile = TileData(id="a1b2c3", number=0, agent="shell", task="t", state="exited", exit_code=0, killed=True)
    assert tile.state_label == "killed"

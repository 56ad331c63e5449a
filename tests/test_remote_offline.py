"""A host that drops: its sessions read "unreachable" (never exited), commands to them fail
with a message, queued text waits, and everything comes back when the host does."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from tests.fixtures.remote_sessions import HOST, RemoteHarness
from tests.helpers import ManualClock, process_alive, wait_for
from tests.sshd_server import processes_mentioning
from tui.remote.reachability import LinkState, Reachability
from tui.remote.ssh import SshConnection
from tui.sessions.errors import HostUnreachable
from tui.sessions.run_everywhere import COULD_NOT_RUN, run_everywhere
from tui.sessions.ssh_host import SshHost
from tui.sessions.status_file import State

pytestmark = pytest.mark.slow

AGENT = "echo ready\nwhile read line; do echo \"got: $line\"; done\n"


def with_clock(harness: RemoteHarness, clock: ManualClock, **options: float) -> Reachability:
    """The host again, its backoff on `clock` (so waiting is moving the clock)."""
    reachability = Reachability(clock)
    config = harness.host.config
    harness.manager.hosts[HOST] = SshHost(HOST, config, connect=lambda: SshConnection.for_host(
        HOST, config, reachability=reachability), **options)
    return reachability


def test_sessions_of_a_host_that_drops_are_unreachable_then_come_back(remote_sessions: RemoteHarness) -> None:
    harness, manager, clock = remote_sessions, remote_sessions.manager, ManualClock(1000.0)
    link = with_clock(harness, clock)
    session = harness.start(harness.script_kind("echoer", AGENT), "offline")
    harness.wait_screen(session, "ready")
    agents = manager.processes(session)
    assert agents and all(process_alive(pid) for pid in agents)

    # sshd dies while another thread keeps polling.
    seen: list[State] = []
    done = threading.Event()

    def keep_polling() -> None:
        while not done.is_set():
            seen.append(harness.snapshot(session).state)
            clock.now += 0.5  # what time does between polls: the backoff runs out now and then

    poller = threading.Thread(target=keep_polling)
    poller.start()
    try:
        wait_for(lambda: len(seen) >= 3, "a few polls while the host is up")
        harness.sshd.server.stop()
        wait_for(lambda: seen[-1:] == [State.UNREACHABLE], "the session to read unreachable")
        wait_for(lambda: link.link().failures >= 2, "tries again, in the background, while the host is down")
    finally:
        done.set()
        poller.join()
    assert State.EXITED not in seen
    down = harness.snapshot(session)
    assert down.state is State.UNREACHABLE and "box" in down.detail and down.live
    assert manager.store.get(session.id).ended_at is None
    assert link.link().state is LinkState.UNREACHABLE
    assert "the poll of 1 session" in link.link().reason or "Connection refused" in link.link().reason

    # While it waits out its backoff, a poll does not even try.
    trips = harness.host.connection.round_trips
    assert harness.snapshot(session).state is State.UNREACHABLE
    assert harness.host.connection.round_trips == trips

    # Nothing orphaned: no ssh here (the master went with its connection), no command there
    # (sshd's own went with it); the agent still runs under the host's tmux.
    wait_for(lambda: not harness.sshd.ssh_processes(), "the ssh master to end")
    ours = str(harness.sshd.server.folder)  # other tests may be polling hosts of their own now
    assert processes_mentioning("loupe-batch", scope=ours) == [] and processes_mentioning("host-op", scope=ours) == []
    assert all(process_alive(pid) for pid in agents)

    # Commands fail with a message; queued text stays queued.
    with pytest.raises(HostUnreachable, match="use --when-idle to queue"):
        manager.send([session], "now")
    with pytest.raises(HostUnreachable, match="unreachable"):
        manager.diff(session)
    (queued,) = manager.send([session], "later", when_idle=True)
    assert queued.queued and [q.text for q in manager.store.pending(session.id)] == ["later"]
    (result,) = run_everywhere(manager, [session], ["true"])
    assert result.exit_code == COULD_NOT_RUN and "unreachable" in result.error

    # The host comes back: so does the session, without a restart, and the queue is served.
    harness.sshd.server.start()
    clock.now += 120

    def back() -> bool:
        # Time passes while it waits: a try that failed as the host came back (on a busy
        # machine, one already on its way) is followed by another once its backoff runs out.
        clock.now += 5
        return harness.snapshot(session).state is not State.UNREACHABLE

    wait_for(back, "the session to be back")
    assert link.link().state is LinkState.CONNECTED
    assert manager.processes(session) == agents

    def delivered() -> bool:
        manager.deliver_queued(manager.poll({session.id}))
        return "got: later" in manager.capture(session, ansi=False)

    wait_for(delivered, "the queued text to be typed in once the session is idle", timeout=20)
    assert manager.store.pending(session.id) == []


def test_a_host_that_stops_answering_holds_up_no_poll(remote_sessions: RemoteHarness) -> None:
    harness, clock = remote_sessions, ManualClock(1000.0)
    link = with_clock(harness, clock, poll_timeout=2.0)
    session = harness.start(harness.script_kind("echoer", AGENT), "frozen")
    harness.wait_screen(session, "ready")
    # Up, but answering nothing: every sshd process stopped, its connections open.
    frozen = harness.sshd.server.processes()
    for pid in frozen:
        os.kill(pid, signal.SIGSTOP)
    try:
        wait_for(lambda: harness.snapshot(session).state is State.UNREACHABLE, "the poll to give up on it")
        failures, trips = link.link().failures, harness.host.connection.round_trips
        clock.now += 120  # a try is due: it goes on in the background, the poll answers now
        for _ in range(3):
            assert harness.snapshot(session).state is State.UNREACHABLE
        # The try still waits for the frozen host (ssh gives up on it after ~15 s), so the
        # polls did not wait for it; and no poll of their own went out (at most that try).
        assert link.link().failures == failures
        assert harness.host.connection.round_trips - trips <= 1
    finally:
        for pid in frozen:
            os.kill(pid, signal.SIGCONT)
    wait_for(lambda: harness.snapshot(session).state is not State.UNREACHABLE, "the session to be back", timeout=40)


def test_sessions_here_and_there_are_polled_together_and_apart(remote_sessions: RemoteHarness) -> None:
    harness, manager = remote_sessions, remote_sessions.manager
    kind = harness.script_kind("echoer", AGENT)
    here = manager.start(task="here", agent=kind).session
    there = harness.start(kind, "there")
    for session in (here, there):
        harness.wait_screen(session, "ready")
    states = {s.session.id: (s.session.host, s.state) for s in manager.poll()}
    assert states[here.id][0] == "local" and states[there.id][0] == HOST
    harness.sshd.server.stop()
    states = {s.session.id: (s.session.host, s.state) for s in manager.poll()}
    assert states[there.id] == (HOST, State.UNREACHABLE)
    assert states[here.id][1] in (State.IDLE, State.WORKING)  # this machine's are shown as ever
    manager.send([here], "still here")
    harness.wait_screen(here, "got: still here")

"""Losing a host and finding it again: the backoff state machine, and a real sshd going away."""

from __future__ import annotations

import os
import signal
import threading

import pytest

from tests.fixtures.sshd import Sshd
from tests.helpers import ManualClock, process_alive, wait_for
from tests.sshd_server import processes_mentioning
from tui.remote.errors import HostUnreachable
from tui.remote.reachability import LinkState, Reachability
from tui.remote.shell import Completed


def test_failures_back_off_doubling_up_to_the_cap_and_success_resets() -> None:
    clock = ManualClock(1000.0)
    reach = Reachability(clock, first_delay=1.0, max_delay=5.0)
    assert reach.link().state is LinkState.UNKNOWN and reach.may_try()
    delays = []
    for _ in range(5):
        link = reach.failed("refused")
        delays.append(link.next_try - clock.now)  # type: ignore[operator]
        assert not reach.may_try()
        clock.now = link.next_try  # type: ignore[assignment]
        assert reach.may_try()
    assert delays == [1.0, 2.0, 4.0, 5.0, 5.0]
    link = reach.link()
    assert (link.state, link.since, link.failures, link.reason) == (LinkState.UNREACHABLE, 1000.0, 5, "refused")
    reach.failed("again")
    assert reach.wait_left() == 5.0
    reach.retry_now()
    assert reach.may_try() and reach.link().failures == 6
    reach.succeeded()
    assert reach.link().state is LinkState.CONNECTED and reach.may_try()
    assert reach.failed("x").next_try == clock.now + 1.0


def test_a_host_that_goes_down_is_unreachable_then_back_without_a_new_object(sshd: Sshd) -> None:
    clock = ManualClock(1000.0)
    host = sshd.connection(reachability=Reachability(clock, first_delay=10.0), connect_timeout=3)
    assert host.run(["echo", "up"]).stdout == "up\n"
    master = host.master_pid()
    sshd.server.stop()
    wait_for(lambda: master is not None and not process_alive(master), "the master to see its host go")
    with pytest.raises(HostUnreachable, match="cannot reach loupe-test-host over ssh: .*Connection refused"):
        host.run(["echo", "down"])
    link = host.reachability.link()
    assert (link.state, link.failures) == (LinkState.UNREACHABLE, 1)
    # Inside the backoff nothing is tried: not even after the host is back.
    sshd.server.start()
    with pytest.raises(HostUnreachable, match=r"unreachable \(cannot reach .*\); next try in 10 s"):
        host.batch([["echo", "early"]])
    assert sshd.server.sessions_started() == 1
    clock.now += 10.0
    [done] = host.batch([["echo", "back"]])
    assert done.stdout == "back\n"
    assert host.reachability.link().state is LinkState.CONNECTED
    assert sshd.server.logins() == 2  # a new shared connection, with the same host key
    assert host.master_pid() not in (None, master)


def test_losing_the_host_under_a_running_command_says_so(sshd: Sshd) -> None:
    host = sshd.connection()
    host.connect()
    outcome: list[Completed | BaseException] = []

    def long_command() -> None:
        try:
            outcome.append(host.run(["sleep", "3607"], timeout=120))
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            outcome.append(exc)

    worker = threading.Thread(target=long_command)
    worker.start()
    # The command itself, not only its session: under load the session (the standing shell)
    # was up while the command was not yet sent, and a lost connection then rightly reads
    # "cannot reach" (nothing ran).
    wait_for(lambda: processes_mentioning("sleep 3607", exact=True), "the command to start there")
    sshd.server.stop()
    worker.join(timeout=30)
    assert not worker.is_alive()
    [error] = outcome
    assert isinstance(error, HostUnreachable)
    assert "lost the connection to loupe-test-host while running `sleep 3607`" in str(error)


def test_no_answer_in_time_counts_as_unreachable(sshd: Sshd) -> None:
    host = sshd.connection()
    with pytest.raises(HostUnreachable, match="did not answer within 0.5 s"):
        host.run(["sleep", "30"], timeout=0.5)
    assert host.reachability.link().state is LinkState.UNREACHABLE


def test_a_frozen_host_is_noticed_by_keepalives(sshd: Sshd) -> None:
    host = sshd.connection(alive_interval=1, alive_count_max=1)
    host.connect()
    assert host.control_path.exists()
    frozen = sshd.server.processes()
    for pid in frozen:
        os.kill(pid, signal.SIGSTOP)
    try:
        # No packet is lost or refused: only the unanswered keepalives end the master.
        wait_for(lambda: not host.control_path.exists(), "the master to give up on a silent host", timeout=20)
    finally:
        for pid in frozen:
            os.kill(pid, signal.SIGCONT)

"""One notification per wait, on every channel: the waits a poll's snapshots begin, what the
desktop, a command and the terminal are given, and how often."""

from __future__ import annotations

import dataclasses
import json
import os
import stat
import sys
from pathlib import Path

import pytest

from tests.helpers import ManualClock
from tests.test_sessions_units import _session
from tui.config import NotificationsConfig
from tui.sessions.model import Snapshot
from tui.sessions.notify import FLICKER, Notifier
from tui.sessions.notify_channels import CommandChannel, DesktopChannel, Message, terminal_sequence
from tui.sessions.status_file import State
from tui.sessions.store import SessionStore
from tui.sessions.wait_ledger import WaitLedger


def _ledger(tmp_path: Path) -> WaitLedger:
    return WaitLedger(SessionStore(tmp_path / "sessions.sqlite"))


def _snapshot(tmp_path: Path, sid: str, state: State, question: str = "") -> Snapshot:
    session = _session(tmp_path, sid)
    session.number, session.agent, session.task = 3, "codex", "login-bug"
    return Snapshot(session=session, state=state, question=question)


def _notifier(tmp_path: Path, clock: ManualClock, ledger: WaitLedger | None = None, **settings) -> Notifier:  # noqa: ANN003
    return Notifier(NotificationsConfig(**settings), ledger or _ledger(tmp_path), channels=[], environ={},
                    clock=clock)


def test_a_wait_is_announced_once_and_a_redraw_is_no_new_wait(tmp_path: Path) -> None:
    clock = ManualClock(1_000_000.0)
    notifier = _notifier(tmp_path, clock)
    # Waiting before this loupe first looked: counted by the grid, not announced.
    assert notifier.observe([_snapshot(tmp_path, "a0", State.NEEDS_INPUT, "Overwrite? [y/n]")]) == []

    def look(state: State, question: str = "", source: str = "screen") -> list[str]:
        clock.now += 0.25
        snapshot = dataclasses.replace(_snapshot(tmp_path, "a1", state, question), source=source)
        return [w.question for w in notifier.observe([snapshot])]

    assert look(State.WORKING) == []
    assert look(State.NEEDS_INPUT, "Apply patch? [y/n]") == ["Apply patch? [y/n]"]
    assert look(State.NEEDS_INPUT, "Apply patch? [y/n]") == []
    # Redrawn: busy for a moment, then the same question.
    assert look(State.WORKING) == []
    assert look(State.NEEDS_INPUT, "Apply patch? [y/n]") == []
    # Busy for longer than a redraw: the same question again is a new wait.
    assert look(State.WORKING) == []
    clock.now += FLICKER
    assert look(State.NEEDS_INPUT, "Apply patch? [y/n]") == ["Apply patch? [y/n]"]
    # Idle in between, or the agent's own word that it works: a new wait at once.
    assert look(State.IDLE) == []
    assert look(State.NEEDS_INPUT, "Apply patch? [y/n]") == ["Apply patch? [y/n]"]
    assert look(State.WORKING, source="hook") == []
    assert look(State.WORKING) == []
    assert look(State.NEEDS_INPUT, "Apply patch? [y/n]") == ["Apply patch? [y/n]"]
    # Another question straight after an answer is a new wait too.
    assert look(State.WORKING) == []
    assert look(State.NEEDS_INPUT, "Run the tests? [y/n]") == ["Run the tests? [y/n]"]
    # Unreachable says nothing: the wait goes on.
    assert look(State.UNREACHABLE) == []
    assert look(State.NEEDS_INPUT, "Run the tests? [y/n]") == []


def test_a_restarted_or_second_loupe_does_not_announce_a_wait_again(tmp_path: Path) -> None:
    clock = ManualClock(1_000_000.0)
    ledger = _ledger(tmp_path)
    working = [_snapshot(tmp_path, "b1", State.WORKING)]
    asking = [_snapshot(tmp_path, "b1", State.NEEDS_INPUT, "Allow command?")]
    first, second = _notifier(tmp_path, clock, ledger), _notifier(tmp_path, clock, ledger)
    assert first.observe(working) == second.observe(working) == []
    # Both loupes see the session start waiting: one of them announces it.
    assert len(first.observe(asking)) + len(second.observe(asking)) == 1
    restarted = _notifier(tmp_path, clock, _ledger(tmp_path))
    assert restarted.observe(working) == []
    assert restarted.observe(asking) == []  # the same wait, already announced


def _recorder(tmp_path: Path, name: str) -> Path:
    """A program that records its argv, stdin and LOUPE_NOTIFY_* variables, one JSON a line."""
    program = tmp_path / "bin" / name
    program.parent.mkdir(exist_ok=True)
    program.write_text(f"#!{sys.executable}\nimport json, os, sys\n"
                       f"with open({str(tmp_path / (name + '.log'))!r}, 'a') as log:\n"
                       "    log.write(json.dumps({'argv': sys.argv[1:], 'stdin': sys.stdin.read(),\n"
                       "        'env': {k: v for k, v in os.environ.items() if k.startswith('LOUPE_NOTIFY_')}}) + '\\n')\n")
    program.chmod(program.stat().st_mode | stat.S_IEXEC)
    return program


def _calls(tmp_path: Path, name: str) -> list[dict]:
    log = tmp_path / f"{name}.log"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


HOSTILE = "Run `rm -rf /`?\x1b]52;c;cHduZWQ=\x07 <b>now</b>; [y/n]"


def _first_look(notifier: Notifier, tmp_path: Path, *sids: str) -> None:
    """The notifier's first look at the sessions: working."""
    notifier.observe([_snapshot(tmp_path, sid, State.WORKING) for sid in sids])


def test_the_desktop_and_a_command_are_told_with_the_question_as_plain_data(tmp_path: Path) -> None:
    _recorder(tmp_path, "notify-send")
    command = _recorder(tmp_path, "ntfy")
    desktop = DesktopChannel.find(str(tmp_path / "bin"))
    assert desktop is not None
    channels = [desktop, CommandChannel([str(command), "publish", "--title", "{title}", "topic", "{message}"],
                                        environ={"PATH": os.environ["PATH"]})]
    clock = ManualClock(1_000_000.0)
    notifier = Notifier(NotificationsConfig(), _ledger(tmp_path), channels=channels, environ={}, clock=clock)
    _first_look(notifier, tmp_path, "c1")
    (wait,) = notifier.observe([_snapshot(tmp_path, "c1", State.NEEDS_INPUT, "-" + HOSTILE)])
    notifier.close()
    assert notifier.problems() == []
    (shown,) = _calls(tmp_path, "notify-send")
    title, body = shown["argv"][-2:]
    assert shown["argv"][:2] == ["--app-name=loupe", "--"]
    assert title == "Session 3 (codex) needs you"
    assert "\x1b" not in body and "\x07" not in body and "␛]52" in body
    assert "&lt;b&gt;now&lt;/b&gt;" in body and "<b>" not in body
    (ran,) = _calls(tmp_path, "ntfy")
    assert ran["argv"][:4] == ["publish", "--title", "loupe: " + title, "topic"]
    assert ran["argv"][4].startswith(" -Run")  # never an option
    assert ran["stdin"] == f"loupe: {title}\n{wait.message.body}\n"
    assert ran["env"]["LOUPE_NOTIFY_SESSION"] == "c1" and ran["env"]["LOUPE_NOTIFY_NUMBER"] == "3"


def test_the_desktop_and_the_command_are_rate_limited(tmp_path: Path) -> None:
    command = _recorder(tmp_path, "hook")
    clock = ManualClock(1_000_000.0)
    notifier = Notifier(NotificationsConfig(min_interval=30.0, per_minute=2), _ledger(tmp_path),
                        channels=[CommandChannel([str(command)])], environ={}, clock=clock)
    _first_look(notifier, tmp_path, "d1", "d2", "d3")

    def wait_in(sid: str, question: str) -> int:
        clock.now += FLICKER + 1
        notifier.observe([_snapshot(tmp_path, sid, State.IDLE)])
        return len(notifier.observe([_snapshot(tmp_path, sid, State.NEEDS_INPUT, question)]))

    assert wait_in("d1", "first?") == 1
    assert wait_in("d1", "second?") == 1  # a new wait (the app rings), but too soon for the phone
    assert wait_in("d2", "other?") == 1
    assert wait_in("d3", "third?") == 1  # over two a minute
    clock.now += 60
    assert wait_in("d1", "later?") == 1
    notifier.close()
    assert sorted(call["env"]["LOUPE_NOTIFY_SESSION"] for call in _calls(tmp_path, "hook")) == ["d1", "d1", "d2"]


def test_a_failing_command_is_reported_not_raised(tmp_path: Path) -> None:
    notifier = Notifier(NotificationsConfig(), _ledger(tmp_path),
                        channels=[CommandChannel([sys.executable, "-c", "import sys; sys.exit('no network')"])],
                        environ={}, clock=ManualClock(1_000_000.0))
    _first_look(notifier, tmp_path, "e1")
    assert len(notifier.observe([_snapshot(tmp_path, "e1", State.NEEDS_INPUT, "ok?")])) == 1
    notifier.close()
    (problem,) = notifier.problems()
    assert "no network" in problem


@pytest.mark.parametrize(("kind", "start"), [("osc9", "\x1b]9;loupe: Session 3"), ("osc777", "\x1b]777;notify;loupe")])
def test_terminal_notifications_carry_no_control_of_their_own(kind: str, start: str) -> None:
    message = Message(title="Session 3 (codex) needs you", body=HOSTILE, session_id="f1", number=3)
    sequence = terminal_sequence(kind, message, in_tmux=False)
    assert sequence.startswith(start) and sequence.endswith("\x07")
    inner = sequence[len(start):-1]
    assert "\x1b" not in inner and "\x07" not in inner
    assert sequence.count(";") == start.count(";") + (1 if kind == "osc777" else 0)
    wrapped = terminal_sequence(kind, message, in_tmux=True)
    assert wrapped.startswith("\x1bPtmux;\x1b\x1b]") and wrapped.endswith("\x1b\\")
    assert terminal_sequence("off", message, in_tmux=False) == ""


ASKER = """\
import select, sys

def ask(question, redraw=False):
    sys.stdout.write(question + " [y/n] ")
    sys.stdout.flush()
    while not select.select([sys.stdin], [], [], 0.7)[0]:
        if redraw:  # a TUI repainting while it waits: the same question, a fresh screen
            sys.stdout.write("\\x1b[2J\\x1b[H" + question + " [y/n] ")
            sys.stdout.flush()
    return sys.stdin.readline()

for n in range(1, 5):
    ask(f"Apply patch {n}?", redraw=n == 3)
    print(f"applying patch {n}...", flush=True)
input()
"""


@pytest.mark.slow
def test_four_questions_make_four_waits_and_no_more(sessions, tmp_path: Path) -> None:  # noqa: ANN001
    from tests.helpers import wait_for
    from tui.events import SessionsUpdated, SessionWait
    from tui.sessions.monitor import SessionMonitor

    script = tmp_path / "asker.py"
    script.write_text(ASKER)
    kind = sessions.script_kind("asker", f"exec {sys.executable} {script}\n")
    session = sessions.start(kind)
    notifier = Notifier(NotificationsConfig(desktop=False), WaitLedger(sessions.manager.store),
                        channels=[], environ={})
    monitor = SessionMonitor(sessions.manager, notifier=notifier)
    waits: list = []
    states: list[State] = []

    def tick() -> State:
        update, *more = monitor.tick(None)
        assert isinstance(update, SessionsUpdated)
        waits.extend(event.wait for event in more if isinstance(event, SessionWait))
        (state,) = [s.state for s in update.snapshots if s.session.id == session.id]
        states.append(state)
        return state

    for n in range(1, 5):
        wait_for(lambda: tick() is State.NEEDS_INPUT, f"question {n}", timeout=20)
        if n == 3:  # answered only once a repaint has made it look busy and asking again
            mark = len(states)
            wait_for(lambda: tick() is State.NEEDS_INPUT and State.WORKING in states[mark:], "a repaint", timeout=20)
        sessions.manager.send([session], "y")
        wait_for(lambda: tick() is not State.NEEDS_INPUT, f"question {n} answered", timeout=20)
    sessions.wait_screen(session, "applying patch 4")
    for _ in range(3):
        tick()
    notifier.close()
    assert [w.question for w in waits] == [f"Apply patch {n}? [y/n]" for n in range(1, 5)]

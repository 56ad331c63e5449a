"""Rounds delivered to real sessions (tmux on the test's socket, scripted shell agents that
write down every line they are given), to a thread, and to a new session; who owns a file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.sessions import SessionsHarness
from tests.helpers import wait_for
from tui.review import delivery
from tui.review.commenting import Document, comment_on_lines
from tui.review.model import RoundState, Verdict
from tui.review.owners import CHANGED, TASK_FOLDER, WORKTREE, default_owner, owners
from tui.review.store import ReviewStore
from tui.sessions.model import Session
from tui.sessions.status_file import State
from tui.threads.store import ThreadStore

pytestmark = pytest.mark.slow

# Busy for a moment, then writes every line it reads to received.txt; a round's last line
# makes it busy again for a moment, as an agent acting on it would be.
READER = """\
    i=0
    while [ $i -lt ${BUSY_TICKS:-0} ]; do echo "busy $i"; i=$((i+1)); sleep 0.15; done
    echo ready
    while IFS= read -r line; do
        printf '%s\\n' "$line" >> received.txt
        case "$line" in *"prints this round again"*)
            j=0; while [ $j -lt 8 ]; do echo "acting $j"; j=$((j+1)); sleep 0.15; done;;
        esac
    done
"""

PLAN = "# Plan\n\n## Phase 1\n\nAdd the dead_at column.\n\n## Phase 2\n\nCompute the delay.\n"


@pytest.fixture
def plan(sessions: SessionsHarness) -> Path:
    path = sessions.repo.path / ".loupe" / "tasks" / "retry" / "05-plan.md"
    path.parent.mkdir(parents=True)
    path.write_text(PLAN)
    return path


def reader(sessions: SessionsHarness, busy_ticks: int = 0) -> str:
    return sessions.script_kind(f"reader{busy_ticks}", f"BUSY_TICKS={busy_ticks}\n" + READER)


def a_round(store: ReviewStore, plan: Path, body: str) -> int:
    doc = Document(plan.parents[3], plan, plan.read_text())
    return comment_on_lines(store, doc, 5, None, body).round_id


def received(session: Session) -> str:
    path = session.worktree / "received.txt"
    return path.read_text() if path.exists() else ""


def deliver_until(sessions: SessionsHarness, store: ReviewStore, done, what: str) -> None:  # noqa: ANN001
    """Do what the app's monitor does (poll, deliver queued text, settle rounds) until `done`."""
    def step() -> bool:
        sessions.manager.deliver_queued(sessions.manager.poll())
        delivery.refresh(store, sessions.manager, poll=False)
        return done()

    wait_for(step, what, timeout=30)


def test_a_round_is_typed_into_an_idle_session_once(sessions: SessionsHarness, store: ReviewStore,
                                                     plan: Path) -> None:
    session = sessions.start(reader(sessions))
    sessions.wait_state(session, State.IDLE)
    round_id = a_round(store, plan, "Name the migration")
    sent = delivery.submit_to_session(store, sessions.manager, round_id, Verdict.REQUEST_CHANGES, session)
    assert sent.round.state is RoundState.DELIVERED and not sent.queued
    wait_for(lambda: "prints this round again" in received(session), "the round to arrive")
    text = received(session)
    assert text.count(f"# Review round {round_id} of") == 1
    # The plan is in the main checkout, not in the session's worktree: named by its absolute path.
    assert f"`{plan.resolve()}:5`" in text and "Name the migration" in text


def test_two_rounds_to_a_busy_session_arrive_in_order_each_once(sessions: SessionsHarness, store: ReviewStore,
                                                                 plan: Path) -> None:
    session = sessions.start(reader(sessions, busy_ticks=20))
    sessions.wait_state(session, State.WORKING)
    first = a_round(store, plan, "First round")
    one = delivery.submit_to_session(store, sessions.manager, first, Verdict.COMMENT, session, when_idle=True)
    assert one.queued and one.round.state is RoundState.SUBMITTED
    plan.write_text(PLAN + "\nMore.\n")
    second = a_round(store, plan, "Second round")
    # Sent "now", it still waits behind the first one.
    two = delivery.submit_to_session(store, sessions.manager, second, Verdict.COMMENT, session)
    assert two.queued
    deliver_until(sessions, store, lambda: all(store.round(r).state is RoundState.DELIVERED
                                               for r in (first, second)), "both rounds delivered")
    wait_for(lambda: received(session).count("prints this round again") == 2, "both rounds typed in")
    text = received(session)
    assert text.count(f"# Review round {first} of") == 1 and text.count(f"# Review round {second} of") == 1
    assert text.index("First round") < text.index("Second round")


def test_a_round_to_an_ended_session_is_kept_undelivered_and_retried_elsewhere(
        sessions: SessionsHarness, store: ReviewStore, plan: Path) -> None:
    gone = sessions.start(sessions.script_kind("quits", "echo bye\n"))
    sessions.wait_state(gone, State.EXITED)
    round_id = a_round(store, plan, "Anyone there?")
    sent = delivery.submit_to_session(store, sessions.manager, round_id, Verdict.REQUEST_CHANGES, gone)
    assert sent.round.state is RoundState.UNDELIVERED
    assert "has exited" in sent.round.error and sent.round.message
    live = sessions.start(reader(sessions))
    sessions.wait_state(live, State.IDLE)
    again = delivery.retry(store, sessions.manager, round_id, live)
    assert again.round.state is RoundState.DELIVERED and again.round.to_session == live.id
    wait_for(lambda: "Anyone there?" in received(live), "the retried round to arrive")


def test_a_queued_round_whose_session_ends_first_becomes_undelivered(
        sessions: SessionsHarness, store: ReviewStore, plan: Path) -> None:
    session = sessions.start(reader(sessions, busy_ticks=200))
    sessions.wait_state(session, State.WORKING)
    round_id = a_round(store, plan, "Too late")
    assert delivery.submit_to_session(store, sessions.manager, round_id, Verdict.COMMENT, session,
                                      when_idle=True).queued
    sessions.manager.stop(session, grace=0.5)
    deliver_until(sessions, store, lambda: store.round(round_id).state is RoundState.UNDELIVERED,
                  "the round to be marked undelivered")
    assert "ended before it was idle" in store.round(round_id).error
    assert "Too late" not in received(session)


def test_a_round_can_start_a_session_with_it_as_the_prompt(sessions: SessionsHarness, store: ReviewStore,
                                                            plan: Path) -> None:
    sessions.manager.config.sessions.default_agent = reader(sessions)
    round_id = a_round(store, plan, "Rewrite phase 1")
    sent = delivery.submit_to_new_session(store, sessions.manager, round_id, Verdict.REQUEST_CHANGES,
                                          task="retry", task_dir=plan.parent)
    sessions.pane_pids.update(p.pid for p in sessions.manager.tmux(sent.session.tmux_socket).list_panes().values())
    assert sent.round.to_session == sent.session.id and sent.session.task_dir == plan.parent
    deliver_until(sessions, store, lambda: store.round(round_id).state is RoundState.DELIVERED, "the prompt typed in")
    # manager.start adds where the task's notes are, after the round.
    wait_for(lambda: f"The task's notes are in {plan.parent}" in received(sent.session),
             "the whole prompt to reach the new session")
    assert received(sent.session).count("Rewrite phase 1") == 1


def test_a_round_can_go_to_a_thread_as_your_message(store: ReviewStore, plan: Path, sessions: SessionsHarness) -> None:
    with ThreadStore() as threads:
        thread = threads.create_thread("plan review")
        round_id = a_round(store, plan, "Thread me")
        sent = delivery.submit_to_thread(store, threads, round_id, Verdict.COMMENT, thread.id)
        (message,) = threads.history(thread.id)
    assert message.role.value == "user" and message.content == sent.text
    assert sent.round.state is RoundState.DELIVERED and sent.round.to_thread == thread.id
    # People read repository paths.
    assert "`.loupe/tasks/retry/05-plan.md:5`" in sent.text


def test_owners_are_found_by_worktree_task_folder_and_diff(sessions: SessionsHarness, plan: Path) -> None:
    kind = reader(sessions)
    on_task = sessions.start(kind, task="retry", task_dir=plan.parent)
    writer = sessions.start(kind, task="other")
    in_worktree = writer.worktree / "notes.md"
    in_worktree.write_text("# Notes\n")
    found = owners(sessions.manager, in_worktree)
    assert [(o.session.id, o.reason) for o in found] == [(writer.id, WORKTREE)]
    found = owners(sessions.manager, plan)
    assert [(o.session.id, o.reason) for o in found] == [(on_task.id, TASK_FOLDER)]
    assert default_owner(found).session.id == on_task.id
    # A file no worktree or task folder holds: the live session whose diff changed it.
    (writer.worktree / "README.md").write_text("# changed by the agent\n")
    found = owners(sessions.manager, sessions.repo.path / "README.md")
    assert [(o.session.id, o.reason) for o in found] == [(writer.id, CHANGED)]
    sessions.manager.stop(on_task, grace=0.5)
    sessions.wait_state(on_task, State.EXITED)
    found = owners(sessions.manager, plan, look_in_diffs=False)
    assert [o.live for o in found] == [False] and default_owner(found) is None

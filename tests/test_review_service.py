"""The app's review service: comments, the submit choices and submitting through it, and its
watcher noticing what another process (`loupe review resolve`) did to the store."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.sessions import SessionsHarness
from tests.helpers import wait_for, wait_until
from tests.test_dialogs import Host
from tui.dialogs.submit_round import SubmitRoundScreen
from tui.events import CommentsResolved, Event, ReviewChanged
from tui.review.errors import ReviewError
from tui.review.model import Destination, RoundState, Verdict
from tui.services import Services
from tui.services.review import ReviewService, SubmitRequest
from tui.workspace import open_workspace

PLAN = "# Plan\n\n## Phase 1\n\nAdd the dead_at column.\n\n## Open questions\n\n- Which queue wins?\n"


@pytest.fixture
def plan(tmp_path: Path) -> Path:
    path = tmp_path / "repo" / ".loupe" / "tasks" / "retry" / "05-plan.md"
    path.parent.mkdir(parents=True)
    path.write_text(PLAN)
    return path


@pytest.fixture
def services(plan: Path) -> Iterator[Services]:
    opened = Services(open_workspace(plan.parents[3]))
    yield opened
    opened.close()


def test_a_service_first_asked_for_after_close_opens_nothing(plan: Path) -> None:
    # Services are built on first use; one first asked for while the app shuts down (by a
    # worker still running) is closed at once, as each was when all were built at start.
    services = Services(open_workspace(plan.parents[3]))
    services.close()
    with pytest.raises(ReviewError, match="the app is closing"):
        services.review.store  # noqa: B018


class Watching:
    """The service's watcher on a thread, its events collected; stopped at the end."""

    def __init__(self, review: ReviewService) -> None:
        self.events: list[Event] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=review.run, args=(self.stop, self.events.append),
                                       kwargs={"interval": 0.05}, daemon=True)

    def __enter__(self) -> Watching:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive()


def test_comments_go_into_one_draft_and_each_write_says_so(services: Services, plan: Path) -> None:
    events: list[Event] = []
    services.connect(events.append)
    review = services.review
    text = plan.read_text()
    note = review.comment_on_lines(plan, text, 5, 5, "Name the migration")
    asked = review.questions(text)
    answer = review.answer(plan, text, asked[0], "Redis")
    section = review.comment_on_section(plan, text, 3, "Split this phase")
    assert note.round_id == answer.round_id == section.round_id
    assert [type(e) for e in events] == [ReviewChanged] * 3
    assert events[0].paths == frozenset({".loupe/tasks/retry/05-plan.md"})
    shown = review.document(plan, text)
    assert [t.comment.id for t in shown.at_line(5)] == [note.id, section.id]
    assert shown.draft is not None and shown.counts(shown.draft.id).open == 3


def test_copying_a_round_submits_it_with_its_message(services: Services, plan: Path) -> None:
    review = services.review
    comment = review.comment_on_lines(plan, plan.read_text(), 5, 5, "Name the migration")
    choices = review.choices(comment.round_id)
    # No watcher opened the sessions here: they are not offered, and the dialog says why.
    assert choices.summary == "1 comment" and not choices.sessions and choices.sessions_problem
    sent = review.submit(comment.round_id, SubmitRequest(Verdict.APPROVE, Destination.COPY))
    assert sent.round.state is RoundState.DELIVERED and sent.round.destination is Destination.COPY
    assert "> Add the dead_at column." in sent.text and "Name the migration" in sent.text


def test_a_resolve_from_another_process_is_noticed(services: Services, plan: Path) -> None:
    review = services.review
    comment = review.comment_on_lines(plan, plan.read_text(), 5, 5, "Name the migration")
    review.submit(comment.round_id, SubmitRequest(Verdict.REQUEST_CHANGES, Destination.COPY))
    with Watching(review) as watching:
        done = subprocess.run(
            [sys.executable, "-m", "tui", "review", "resolve", str(comment.id), "--note", "named it"],
            cwd=plan.parents[3], capture_output=True, text=True, timeout=60,
        )
        assert done.returncode == 0, done.stderr
        wait_for(lambda: any(isinstance(e, CommentsResolved) for e in watching.events), "the resolution")
    resolved = next(e for e in watching.events if isinstance(e, CommentsResolved))
    assert [(c.id, c.resolution.note) for c in resolved.comments if c.resolution] == [(comment.id, "named it")]
    assert any(isinstance(e, ReviewChanged) for e in watching.events)


@pytest.mark.slow
def test_a_round_goes_to_the_session_that_wrote_it_by_default(sessions: SessionsHarness) -> None:
    kind = sessions.script_kind("reader", "echo ready\nwhile IFS= read -r line; do printf '%s\\n' \"$line\" >> got.txt; done\n")
    task_dir = sessions.repo.path / ".loupe" / "tasks" / "retry"
    task_dir.mkdir(parents=True)
    plan = task_dir / "05-plan.md"
    plan.write_text(PLAN)
    session = sessions.start(kind, task="retry", task_dir=task_dir)
    services = Services(open_workspace(sessions.repo.path))
    # What the sessions' watcher does when the app starts: the manager is the harness's.
    services.sessions.manager = sessions.manager
    services.sessions.opened.set()
    try:
        review = services.review
        comment = review.comment_on_lines(plan, plan.read_text(), 5, 5, "Name the migration")
        choices = review.choices(comment.round_id)
        assert choices.default_session == session.id
        assert choices.sessions[0].reason and choices.can_start_session
        sent = review.submit(comment.round_id, SubmitRequest(Verdict.REQUEST_CHANGES, Destination.SESSION,
                                                             session_id=session.id))
        assert sent.round.to_session == session.id
        got = session.worktree / "got.txt"
        wait_for(lambda: got.exists() and "prints this round again" in got.read_text(), "the round to arrive")
        assert got.read_text().count("Name the migration") == 1
    finally:
        services.close()


async def test_the_submit_dialog_sends_the_round_where_it_is_told(services: Services, plan: Path) -> None:
    review = services.review
    comment = review.comment_on_lines(plan, plan.read_text(), 5, 5, "Name the migration")
    choices = review.choices(comment.round_id)
    app = Host(SubmitRoundScreen(choices, submit=lambda request: review.submit(comment.round_id, request)))
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: app.screen is app.dialog, "the dialog")
        # Sessions are not available: the dialog offers copying, which is chosen.
        assert app.dialog.query_one("#to-session").disabled
        await pilot.click("#verdict-comment")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: app.results, "the dialog to close")
    (sent,) = app.results
    assert sent.round.verdict is Verdict.COMMENT and sent.round.destination is Destination.COPY
    assert review.store.round(comment.round_id).state is RoundState.DELIVERED

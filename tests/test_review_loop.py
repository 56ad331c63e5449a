"""The whole review loop on the demo's design discussion, with a real agent session in tmux:
select and comment, answer an open question, submit "request changes" to the session that
wrote it; the round arrives once; the agent rewrites the file and the comments are placed
again and counted addressed; its `loupe review resolve` shows in the app."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

from tests.fixtures.sessions import SessionsHarness
from tests.helpers import shows, wait_until
from tests.test_artifact_pane import open_app
from tests.test_review_pane import write
from tui.app import LoupeApp
from tui.config import AgentKindConfig
from tui.dialogs.comment import AnswerScreen
from tui.dialogs.submit_round import SubmitRoundScreen
from tui.review.model import Kind, RoundState, Verdict
from tui.sessions.model import Session
from tui.sessions.status_file import State
from tui.workspace import open_workspace

pytestmark = pytest.mark.slow

DEMO_DOC = Path(__file__).parents[1] / "tui" / "demo" / "artifacts" / "retry-backoff" / "03-design-discussion.md"

# Writes down every line it is given. Once a round has arrived (its last line), it rewrites
# the decision commented on, as an agent acting on the round would; told "resolve", it
# resolves every item of the round with `loupe review resolve`.
AGENT = """\
echo ready
doc="$LOUPE_TASK_DIR/03-design-discussion.md"
while IFS= read -r line; do
    printf '%s\\n' "$line" >> received.txt
    case "$line" in
        *"prints this round again"*)
            sed 's/the backend only sees a string/the backend only sees the error text, never its type/' "$doc" > "$doc.new"
            mv "$doc.new" "$doc"
            echo rewritten;;
        resolve)
            ids=$(grep -o '\\[[0-9]*\\]' received.txt | tr -d '[]' | sort -u | tr '\\n' ' ')
            {loupe} review resolve $ids --note "done in the rewrite" && echo resolved;;
    esac
done
"""


def received(session: Session) -> str:
    path = session.worktree / "received.txt"
    return path.read_text() if path.exists() else ""


async def test_the_whole_review_loop_with_an_agent_session(sessions: SessionsHarness) -> None:
    task_dir = sessions.repo.path / ".loupe" / "tasks" / "retry-backoff"
    task_dir.mkdir(parents=True)
    doc_path = task_dir / "03-design-discussion.md"
    doc_path.write_text(DEMO_DOC.read_text())
    loupe = f"{shlex.quote(sys.executable)} -m tui"
    script = sessions.scripts / "agent.sh"
    script.write_text(AGENT.replace("{loupe}", loupe))
    kind = sessions.script_kind("reviewed", script.read_text())
    session = sessions.start(kind, task="retry-backoff", task_dir=task_dir)
    sessions.wait_state(session, State.IDLE)

    workspace = open_workspace(doc_path)
    workspace.config.sessions.tmux_socket = sessions.socket
    workspace.config.agents[kind] = AgentKindConfig(command=f"sh {script}")
    app = LoupeApp(workspace, remember_theme=False)
    async with app.run_test(size=(120, 40)) as pilot:
        doc = await open_app(app, pilot)
        view = doc.pane.view
        text = view.doc.text
        # Select the two lines of Q1's decision and comment on them.
        decision = next(i for i, b in enumerate(view.doc.blocks) if b.source.startswith("**Decision: A.** The worker"))
        view.scroll_to_block(decision)
        await pilot.pause()
        await pilot.press("v", "j", "c")
        await write(pilot, app, "Say why the backend cannot get the exception")
        # Answer the first open question.
        view.scroll_to_block(next(i for i, b in enumerate(view.doc.blocks) if b.title == "Open questions") + 1)
        await pilot.pause()
        await pilot.press("a")
        await wait_until(pilot, lambda: shows(app, AnswerScreen), "the questions")
        assert "retry all dead jobs" in app.screen.question.text
        await write(pilot, app, "Yes, spread them with the retry jitter")
        await wait_until(pilot, lambda: "draft 2" in doc.pane.review.summary, "two comments in the draft")

        # Submit: the session working on the task is offered first; request changes.
        await pilot.press("r")
        await wait_until(pilot, lambda: shows(app, SubmitRoundScreen), "the submit dialog")
        dialog = app.screen
        assert dialog.choices.default_session == session.id
        assert dialog.verdict is Verdict.REQUEST_CHANGES
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, SubmitRoundScreen), "the round sent", timeout=30)

        await wait_until(pilot, lambda: "prints this round again" in received(session), "the round in the session",
                         timeout=30)
        got = received(session)
        assert got.count("# Review round") == 1 and got.count("Say why the backend cannot get the exception") == 1
        assert "Verdict: **changes requested**" in got and "> **Decision: A.** The worker" in got
        assert "Yes, spread them with the retry jitter" in got

        # The agent rewrote the file: the note's lines changed (addressed), the answer's did not.
        await wait_until(pilot, lambda: "1 addressed" in doc.pane.review.summary, "the note addressed", timeout=30)
        assert view.doc.text != text and "1 open" in doc.pane.review.summary
        review = doc.query_one("DocumentReviewer").review
        note = next(t for t in review.tracked if t.comment.kind is Kind.NOTE)
        assert note.placement.first_line == 16  # found again where the rewritten text is

        # The agent resolves both from its session; the app notices.
        sessions.manager.send([session], "resolve")
        await wait_until(pilot, lambda: "2 resolved" in doc.pane.review.summary, "the resolutions", timeout=30)
        (round_,) = app.services.review.rounds(path=".loupe/tasks/retry-backoff/03-design-discussion.md")
        assert round_.state is RoundState.DELIVERED and round_.to_session == session.id
        resolved = app.services.review.store.comments([round_.id])
        assert {c.resolution.by for c in resolved if c.resolution} == {session.id}


async def test_a_round_to_a_session_that_ended_is_kept_and_sent_again_to_another(sessions: SessionsHarness) -> None:
    task_dir = sessions.repo.path / ".loupe" / "tasks" / "retry-backoff"
    task_dir.mkdir(parents=True)
    doc_path = task_dir / "03-design-discussion.md"
    doc_path.write_text(DEMO_DOC.read_text())
    listener = sessions.script_kind("listener", "echo ready\nwhile IFS= read -r line; do printf '%s\\n' \"$line\" >> received.txt; done\n")
    first = sessions.start(listener, task="retry-backoff", task_dir=task_dir)
    second = sessions.start(listener, task="other")
    sessions.wait_state(first, State.IDLE)
    sessions.wait_state(second, State.IDLE)
    workspace = open_workspace(doc_path)
    workspace.config.sessions.tmux_socket = sessions.socket
    app = LoupeApp(workspace, remember_theme=False)
    async with app.run_test(size=(120, 40)) as pilot:
        doc = await open_app(app, pilot)
        await pilot.press("c")
        await write(pilot, app, "Too long")
        await pilot.press("r")
        await wait_until(pilot, lambda: shows(app, SubmitRoundScreen), "the submit dialog")
        assert app.screen.choices.default_session == first.id
        # The session ends while the dialog is open: the round cannot be typed in.
        sessions.manager.stop(first)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, SubmitRoundScreen), "the dialog closed", timeout=30)
        await wait_until(pilot, lambda: "undelivered" in doc.pane.review.summary, "the round kept as undelivered")
        (round_,) = app.services.review.rounds(path=".loupe/tasks/retry-backoff/03-design-discussion.md")
        assert round_.state is RoundState.UNDELIVERED and round_.error
        # r sends it again: to the other session, picked in the dialog.
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, SubmitRoundScreen) and app.screen.retry, "the retry")
        app.screen.query_one("#session").value = second.id
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "Too long" in received(second), "the round in the other session", timeout=30)
        assert received(second).count("# Review round") == 1 and "Too long" not in received(first)
        await wait_until(pilot, lambda: "undelivered" not in doc.pane.review.summary, "the round delivered")

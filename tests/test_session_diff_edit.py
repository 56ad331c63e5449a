"""Changing your mind on a session's diff, with a real session in tmux and its worktree: the
draft comment on the lines you are at edited (its text under the lines follows) and deleted
(its mark goes), a sent one refused, the diff's draft round discarded from the palette."""

from __future__ import annotations

import pytest
from textual.pilot import Pilot
from textual.widgets import TextArea

from tests.fixtures.sessions import SessionsHarness
from tests.helpers import run_command, shows, wait_until
from tests.test_session_diff_review import BASE, comment_at, drag, open_diff, row_of, start_reader
from tui.app import LoupeApp
from tui.dialogs.comment import CommentScreen, CommentsScreen
from tui.dialogs.confirm import ConfirmScreen
from tui.review.model import Destination, Verdict
from tui.services.review import SubmitRequest
from widgets.diff_view import DiffLines

pytestmark = pytest.mark.slow


def comment_rows(lines: DiffLines) -> list[str]:
    return [str(value[1]) for kind, value in lines._rows if kind == "comment"]  # type: ignore[index]


async def comment_on_row(pilot: Pilot, app: LoupeApp, lines: DiffLines, row: int, body: str) -> None:
    """Comment `body` on the row; wait for it under the lines."""
    await comment_at(pilot, app, lines, row, body)
    await wait_until(pilot, lambda: any(body in shown for shown in comment_rows(lines)), "the comment")


async def test_edit_delete_and_discard_diff_comments(sessions: SessionsHarness) -> None:
    session, _, app = start_reader(sessions)
    (session.worktree / "app.py").write_text(BASE.replace("line 10\n", "line 10 changed\n")
                                             .replace("line 40\n", "line 40 changed\n"))
    review = app.services.review
    async with app.run_test(size=(150, 44)) as pilot:
        pane = await open_diff(app, pilot)
        lines = pane.lines
        lines.focus()
        first = row_of(lines, "+", "line 10 changed")
        await comment_on_row(pilot, app, lines, first, "Why chnaged")

        # E on the line clicked: the dialog comes back with the text, saving replaces it.
        await drag(pilot, lines, first, first)
        await pilot.press("E")
        await wait_until(pilot, lambda: shows(app, CommentScreen), "the comment dialog")
        body = app.screen.query_one("#body", TextArea)
        assert body.text == "Why chnaged"
        body.text = "Why changed"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: any("Why changed" in row for row in comment_rows(lines)), "the new text")
        assert not any("chnaged" in row for row in comment_rows(lines))

        # x: confirmed, the comment and its mark are gone.
        await drag(pilot, lines, first, first)
        await pilot.press("x")
        await wait_until(pilot, lambda: shows(app, ConfirmScreen), "the confirmation")
        await pilot.press("y")
        await wait_until(pilot, lambda: not comment_rows(lines) and not lines._row_mark, "the comment gone")
        assert review.rounds(session_id=session.id)[0].is_draft
        assert review.store.comments([review.rounds(session_id=session.id)[0].id]) == []

        # A comment sent (copied) cannot change; a new draft one is discarded with its round.
        await comment_on_row(pilot, app, lines, first, "Sent already")
        (draft,) = review.rounds(session_id=session.id)
        review.submit(draft.id, SubmitRequest(Verdict.COMMENT, Destination.COPY))
        await wait_until(pilot, lambda: set(lines._row_mark.values()) == {"open"}, "the comment sent")
        await drag(pilot, lines, first, first)
        await pilot.press("E")
        await wait_until(pilot, lambda: any("already submitted" in str(n.message) for n in app._notifications),
                         "the refusal")
        assert not isinstance(app.screen, CommentScreen)

        await comment_on_row(pilot, app, lines, row_of(lines, "+", "line 40 changed"), "Another one")
        await run_command(pilot, "discard the diff's draft round")
        await wait_until(pilot, lambda: shows(app, ConfirmScreen), "the confirmation")
        await pilot.press("y")
        await wait_until(pilot, lambda: len(comment_rows(lines)) == 1, "the draft discarded, the sent one kept")
        assert [r.id for r in review.rounds(session_id=session.id)] == [draft.id]

        # The list of comments goes to one (enter).
        lines.scroll_to(y=0, animate=False, immediate=True, force=True)
        await pilot.press("m")
        await wait_until(pilot, lambda: shows(app, CommentsScreen), "the list")
        await pilot.press("enter")
        await wait_until(pilot, lambda: not isinstance(app.screen, CommentsScreen), "the list closed")
        assert lines._cursor_row == first

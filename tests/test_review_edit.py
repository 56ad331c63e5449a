"""Changing your mind in an artifact pane: a draft comment edited or deleted (the margin
follows at once), a sent one refused, the whole draft round discarded; and `y` in the
changes view. Real files, the real review store, the real app."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import TextArea

from tests.helpers import run_command, shows, wait_until
from tests.test_artifact_pane import open_app, screen_text
from tests.test_review_pane import PLAN, SIZE, comments, make
from tui.dialogs.comment import CommentScreen, CommentsScreen
from tui.dialogs.confirm import ConfirmScreen
from tui.docs.snapshots import ReadSnapshots
from tui.review.errors import NoSuchRound
from tui.review.model import Destination, Verdict
from tui.services.review import SubmitRequest
from widgets.artifact_review_bar import ReviewBar
from widgets.diff_view import DiffLines


def notified(app, text: str) -> bool:  # noqa: ANN001
    return any(text in str(n.message) for n in app._notifications)


async def test_edit_then_delete_the_draft_comment_you_are_at(tmp_path: Path) -> None:
    app, path = make(tmp_path)
    review = app.services.review
    note = review.comment_on_lines(path, PLAN, 10, 10, "Cap the dlay")
    async with app.run_test(size=SIZE) as pilot:
        doc = await open_app(app, pilot)
        view, bar = doc.pane.view, doc.pane.query_one(ReviewBar)
        await wait_until(pilot, lambda: doc.pane.review.notes, "the comment in the gutter")
        view.scroll_to_block(4)  # Phase 2's paragraph, the one commented on, at the top
        await pilot.pause()
        await pilot.press("E")
        await wait_until(pilot, lambda: shows(app, CommentScreen), "the comment dialog")
        body = app.screen.query_one("#body", TextArea)
        assert body.text == "Cap the dlay" and "Compute the delay" in str(app.screen.query_one("#quote").render())
        body.text = "Cap the delay at ten minutes"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not isinstance(app.screen, CommentScreen), "the dialog to close")
        (edited,) = comments(app)
        assert (edited.id, edited.body) == (note.id, "Cap the delay at ten minutes")
        await wait_until(pilot, lambda: any("ten minutes" in line for line in bar.lines), "the bar to follow")

        await pilot.press("x")
        await wait_until(pilot, lambda: shows(app, ConfirmScreen), "the confirmation")
        assert "Cap the delay at ten minutes" in str(app.screen.query_one(".dialog-body").render())
        await pilot.press("y")
        await wait_until(pilot, lambda: not comments(app), "the comment deleted")
        await wait_until(pilot, lambda: not doc.pane.review.notes and "◆" not in screen_text(view),
                         "the mark gone from the margin")
        assert not bar.lines and not doc.pane.review.summary


async def test_a_sent_comment_cannot_change_and_the_list_says_so(tmp_path: Path) -> None:
    app, path = make(tmp_path)
    review = app.services.review
    sent = review.comment_on_lines(path, PLAN, 10, 10, "Cap the delay")
    review.submit(sent.round_id, SubmitRequest(Verdict.REQUEST_CHANGES, Destination.COPY))
    draft = review.comment_on_lines(path, PLAN, 5, 5, "Name the migration")
    async with app.run_test(size=SIZE) as pilot:
        doc = await open_app(app, pilot)
        view = doc.pane.view
        await wait_until(pilot, lambda: len(doc.pane.review.notes) == 2, "both comments in the gutter")
        view.scroll_to_block(4)
        await pilot.pause()
        await pilot.press("E")
        await wait_until(pilot, lambda: notified(app, "already submitted"), "the refusal")
        assert not isinstance(app.screen, CommentScreen)
        assert notified(app, f"comment {sent.id} is in round {sent.round_id}, already submitted (delivered)")

        # From the list of every comment: x on the sent one is refused, on the draft asks.
        await pilot.press("m")
        await wait_until(pilot, lambda: shows(app, CommentsScreen), "the list")
        await pilot.press("x")
        await wait_until(pilot, lambda: not isinstance(app.screen, CommentsScreen), "the list to close")
        assert not isinstance(app.screen, ConfirmScreen) and len(comments(app)) == 2
        await pilot.press("m")
        await wait_until(pilot, lambda: shows(app, CommentsScreen), "the list again")
        await pilot.press("down", "e")
        await wait_until(pilot, lambda: shows(app, CommentScreen), "the draft's dialog")
        app.screen.query_one("#body", TextArea).text = "Name the migration after the column"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: review.store.comment(draft.id).body == "Name the migration after the column",
                         "the draft edited")
        assert review.store.comment(sent.id).body == "Cap the delay"


async def test_the_palette_discards_the_draft_round_once_confirmed(tmp_path: Path) -> None:
    app, path = make(tmp_path)
    review = app.services.review
    first = review.comment_on_lines(path, PLAN, 10, 10, "Cap the delay")
    review.comment_on_section(path, PLAN, 8, "Drop this phase")
    async with app.run_test(size=SIZE) as pilot:
        doc = await open_app(app, pilot)
        await wait_until(pilot, lambda: doc.pane.review.notes, "the comments in the gutter")

        async def discard() -> None:
            await run_command(pilot, "discard the draft round")
            await wait_until(pilot, lambda: shows(app, ConfirmScreen), "the confirmation")

        await discard()
        assert "2 comments" in str(app.screen.query_one(".dialog-body").render())
        await pilot.press("n")  # changed my mind: nothing goes
        await wait_until(pilot, lambda: not isinstance(app.screen, ConfirmScreen), "the dialog to close")
        assert len(comments(app)) == 2
        await discard()
        await pilot.press("y")
        await wait_until(pilot, lambda: not comments(app), "the round discarded")
        await wait_until(pilot, lambda: not doc.pane.review.notes, "the gutter emptied")
        try:
            review.store.round(first.round_id)
        except NoSuchRound:
            pass
        else:
            raise AssertionError("the draft round is still there")


async def test_y_copies_the_lines_selected_in_the_changes_view(tmp_path: Path) -> None:
    app, path = make(tmp_path)
    workspace = app.services.workspace
    ReadSnapshots(workspace.data_dir, workspace.root).mark_read(path, PLAN)
    path.write_text(PLAN.replace("Compute the delay from the attempt count.", "Compute the delay, capped."))
    async with app.run_test(size=SIZE) as pilot:
        doc = await open_app(app, pilot)
        await pilot.press("d")
        await wait_until(pilot, lambda: doc.pane.showing_changes, "the changes view")
        lines = doc.pane.query_one(DiffLines)
        await wait_until(pilot, lambda: app.focused is lines, "the changes focused")
        removed = next(i for i, (kind, value) in enumerate(lines._rows)
                       if kind == "line" and getattr(value, "kind", "") == "-")
        lines._cursor_row = removed
        await pilot.press("v", "down", "y")
        await wait_until(pilot, lambda: app.clipboard, "the copy")
        assert app.clipboard == "Compute the delay from the attempt count.\nCompute the delay, capped."

"""Reviewing in the artifact pane: select (keys and mouse), copy, comment, answer, the gutter
and the bar, re-anchoring after a rewrite, resolutions from another process. Real files,
the real review store, the real app; no timed assertions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from textual.widgets import TextArea

from tests.helpers import shows, wait_until
from tests.test_artifact_pane import configure, open_app, screen_text
from tui.app import LoupeApp
from tui.dialogs.comment import AnswerScreen, CommentScreen
from tui.review.model import Kind, Scope
from tui.workspace import open_workspace
from widgets.artifact_review_bar import ReviewBar

SIZE = (110, 34)
PLAN = """# Retry plan

## Phase 1

Add the **dead_at** column to the jobs table.
Backfill it from the [audit log](docs/audit.md) in one pass.

## Phase 2

Compute the delay from the attempt count.

## Open questions

- Which queue wins when both are full?
- Should retries share one budget?

## Notes

""" + "".join(f"Note {n} on the plan.\n\n" for n in range(1, 40))


def make(tmp_path: Path) -> tuple[LoupeApp, Path]:
    configure(tmp_path, "read_after_seconds = inf\n")
    path = tmp_path / "plan.md"
    path.write_text(PLAN)
    return LoupeApp(open_workspace(path), remember_theme=False), path


def comments(app: LoupeApp):  # noqa: ANN201
    return app.services.review.store.comments(repo=app.services.review.repo)


async def write(pilot, app: LoupeApp, text: str) -> None:  # noqa: ANN001
    await wait_until(pilot, lambda: isinstance(app.screen, (CommentScreen, AnswerScreen)), "the dialog")
    app.screen.query_one("#body", TextArea).insert(text)
    await pilot.press("ctrl+s")
    await wait_until(pilot, lambda: not isinstance(app.screen, (CommentScreen, AnswerScreen)), "the dialog to close")


async def test_select_lines_copy_and_comment_on_them(tmp_path: Path) -> None:
    app, path = make(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        doc = await open_app(app, pilot)
        view = doc.pane.view
        view.scroll_to_block(2)  # "Add the dead_at column..." at the top
        await pilot.pause()
        await pilot.press("v", "j", "y")
        await wait_until(pilot, lambda: app.clipboard, "the copy")
        # What is copied is what reads on screen: the paragraph as wrapped, markup gone.
        assert app.clipboard == ("Add the dead_at column to the jobs table. Backfill it from the audit\n"
                                 "log in one pass.")
        await pilot.press("c")
        await write(pilot, app, "Name the migration")
        (comment,) = comments(app)
        assert (comment.anchor.first_line, comment.anchor.last_line) == (5, 6)
        assert comment.anchor.quote.startswith("Add the **dead_at** column") and comment.body == "Name the migration"
        await wait_until(pilot, lambda: "◆" in screen_text(view), "the comment in the gutter")
        bar = doc.pane.query_one(ReviewBar)
        await wait_until(pilot, lambda: any("Name the migration" in line for line in bar.lines), "the bar")
        assert "draft 1" in doc.pane.review.summary
        assert not view.selection.active


async def test_a_mouse_drag_comments_on_the_words_dragged_over(tmp_path: Path) -> None:
    app, path = make(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        doc = await open_app(app, pilot)
        view = doc.pane.view
        rows = screen_text(view).split("\n")
        y = next(n for n, row in enumerate(rows) if "Compute the delay" in row)
        x = rows[y].index("delay")
        await pilot.mouse_down(view, offset=(x, y))
        await pilot.hover(view, offset=(x + len("delay from the attempt"), y))
        await pilot.mouse_up(view, offset=(x + len("delay from the attempt"), y))
        assert view.selection.shown_text() == "delay from the attempt"
        await pilot.press("c")
        await write(pilot, app, "Cap it")
        (comment,) = comments(app)
        assert comment.anchor.quote == "delay from the attempt" and comment.anchor.first_line == 10


async def test_a_section_comment_and_an_answer(tmp_path: Path) -> None:
    app, path = make(tmp_path)
    async with app.run_test(size=SIZE) as pilot:
        doc = await open_app(app, pilot)
        doc.pane.view.scroll_to_block(4)  # Phase 2's paragraph
        await pilot.pause()
        await pilot.press("C")
        await write(pilot, app, "Drop this phase")
        doc.pane.view.scroll_to_block(6)  # the open questions
        await pilot.pause()
        await pilot.press("a")
        await wait_until(pilot, lambda: shows(app, AnswerScreen), "the questions")
        assert app.screen.question is not None and app.screen.question.text == "Which queue wins when both are full?"
        await write(pilot, app, "The retry queue")
        section, answer = comments(app)
        assert section.anchor.scope is Scope.SECTION and section.anchor.quote == "## Phase 2"
        assert answer.kind is Kind.ANSWER and answer.question == "Which queue wins when both are full?"
        assert answer.anchor.first_line == 14


async def test_rewrites_re_anchor_and_resolutions_from_another_process_show(tmp_path: Path) -> None:
    app, path = make(tmp_path)
    review = app.services.review
    note = review.comment_on_lines(path, PLAN, 10, 10, "Cap the delay")
    gone = review.comment_on_lines(path, PLAN, 6, 6, "Which pass?")
    from tui.review.model import Destination, Verdict
    from tui.services.review import SubmitRequest

    review.submit(note.round_id, SubmitRequest(Verdict.REQUEST_CHANGES, Destination.COPY))
    async with app.run_test(size=SIZE) as pilot:
        doc = await open_app(app, pilot)
        view = doc.pane.view
        await wait_until(pilot, lambda: "●" in screen_text(view), "open comments in the gutter")
        # The agent rewrites the file: the line commented on moves and changes, the other goes.
        path.write_text(PLAN.replace("Backfill it from the [audit log](docs/audit.md) in one pass.\n", "")
                        .replace("## Phase 2\n", "## Phase 0\n\nNew text.\n\n## Phase 2\n")
                        .replace("from the attempt count", "from the attempt count, capped at 10 minutes"))
        await wait_until(pilot, lambda: "addressed" in doc.pane.review.summary, "the comment addressed")
        assert "1 orphaned" in doc.pane.review.summary
        bar = doc.pane.query_one(ReviewBar)
        assert any("orphaned" in line and "Which pass?" in line for line in bar.lines)
        done = subprocess.run(
            [sys.executable, "-m", "tui", "review", "resolve", str(note.id), "--note", "capped"],
            cwd=tmp_path, capture_output=True, text=True, timeout=60,
        )
        assert done.returncode == 0, done.stderr
        await wait_until(pilot, lambda: "resolved" in doc.pane.review.summary, "the resolution in the pane")
        assert "✓" in screen_text(view)
        assert any("capped" in str(n.message) for n in app._notifications)


async def test_the_code_view_selects_and_copies_lines_and_dragged_characters(tmp_path: Path) -> None:
    from widgets.code_view import CodeView

    path = tmp_path / "worker.py"
    path.write_text("def run(job):\n\tjob.start()\n    return job.result\n")
    app = LoupeApp(open_workspace(path), remember_theme=False)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.screen.query(CodeView) and app.screen.query_one(CodeView).lines,
                         "the code view")
        code = app.screen.query_one(CodeView)
        code.focus()
        await pilot.press("v", "j", "y")
        await wait_until(pilot, lambda: app.clipboard, "the copy")
        assert app.clipboard == "def run(job):\n\tjob.start()"  # whole lines, as in the file
        await pilot.press("escape")
        assert code.selection_bounds is None
        left = code.gutter_width
        await pilot.mouse_down(code, offset=(left + 4, 0))
        await pilot.hover(code, offset=(left + 8, 2))
        await pilot.mouse_up(code, offset=(left + 8, 2))
        await pilot.press("y")
        await wait_until(pilot, lambda: app.clipboard != "def run(job):\n\tjob.start()", "the second copy")
        assert app.clipboard == "run(job):\n    job.start()\n    retu"


async def test_comments_on_a_deleted_file_are_orphaned_kept_and_come_back_with_it(tmp_path: Path) -> None:
    app, path = make(tmp_path)
    app.services.review.comment_on_lines(path, PLAN, 10, 10, "Cap the delay")
    async with app.run_test(size=SIZE) as pilot:
        doc = await open_app(app, pilot)
        bar = doc.pane.query_one(ReviewBar)
        await wait_until(pilot, lambda: doc.pane.review.notes, "the comment in the gutter")
        path.unlink()
        await wait_until(pilot, lambda: doc.pane.status == "deleted on disk", "the deletion")
        await wait_until(pilot, lambda: any("orphaned" in line and "Cap the delay" in line for line in bar.lines),
                         "the comment kept as orphaned")
        assert not doc.pane.review.notes and comments(app)
        path.write_text(PLAN)
        await wait_until(pilot, lambda: doc.pane.review.notes and not doc.pane.review.orphaned, "the comment back")

"""A session's changes as a read-only document tab: file list and coloured hunks, reviewed.

The diff (committed and uncommitted, against where the session started) is computed in a
thread; `r` computes it again. Once you have looked, the next look shows only what changed
since (`tui.review.diff_look`); `a` switches to the whole diff and back. Hunks count as
seen once they were on screen. Select lines (`v`, or drag), `y` copies them, `c` comments
on them; `R` submits the draft round to the session. Landing and removing stay on the grid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import getters, on, work
from textual.worker import get_current_worker
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Static

from tui.app_base import AppBase
from tui.channel import Received, received
from tui.errors import LoupeError
from tui.events import Notice, ReviewChanged, RoundSettled
from tui.review.diff_look import DiffComments, DiffLook
from tui.review.model import Target
from tui.views.review_rounds import notify_settled
from tui.views.review_edits import CommentEdits
from tui.views.session_diff_review import DiffReview, describe, notes_of, summary
from widgets.diff_view import DiffLines, DiffView
from widgets.plain_text import plain_text

if TYPE_CHECKING:
    from tui.sessions.diff import SessionDiff
    from tui.sessions.model import Session


class SessionDiffPane(Vertical):
    app = getters.app(AppBase)

    DEFAULT_CSS = """
    SessionDiffPane > .diff-summary {
        height: auto;
        padding: 0 1;
        background: $panel;
        color: $text-muted;
    }
    SessionDiffPane > DiffView {
        height: 1fr;
    }
    """
    BINDINGS = [
        Binding("r", "reload", "Refresh diff", id="session_diff.reload"),
        Binding("a", "toggle_all", "All / new", id="session_diff.all"),
        Binding("c", "comment", "Comment", id="session_diff.comment"),
        Binding("R", "submit", "Submit round", id="session_diff.submit"),
        Binding("m", "comments", "Comments", show=False, id="session_diff.comments"),
        Binding("E", "change_comment('edit')", "Edit comment", show=False, id="session_diff.edit_comment"),
        Binding("x,delete", "change_comment('delete')", "Delete comment", show=False,
                id="session_diff.delete_comment"),
    ]

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.review = DiffReview(self, session, CommentEdits(self, describe))
        # Show the whole diff rather than what changed since the last look.
        self.everything = False
        self.look: DiffLook | None = None
        self._result: SessionDiff | None = None

    def compose(self) -> ComposeResult:
        yield Static(f"Computing the diff of session {self.session.number}...", classes="diff-summary")
        yield DiffView(empty_message="No changes yet.")

    def on_mount(self) -> None:
        self.app.channel.subscribe(self, ReviewChanged, RoundSettled)
        self.action_reload()

    @property
    def lines(self) -> DiffLines:
        return self.query_one(DiffView).lines

    def action_reload(self) -> None:
        self._compute(self.everything)

    def action_toggle_all(self) -> None:
        self.everything = not self.everything
        self._compute(self.everything)

    @work(thread=True, exclusive=True, group="session-diff", exit_on_error=False)
    def _compute(self, everything: bool) -> None:
        services = self.app.services
        manager = services.sessions.manager
        try:
            if manager is None:
                raise RuntimeError("sessions are not available yet")
            result = manager.diff(self.session)
        except Exception as exc:  # noqa: BLE001 - any failure is shown in the pane
            self.app.call_from_thread(self._failed, str(exc))
            return
        from tui.review.diff_look import look

        try:
            shown = look(services.review.store, services.threads.store, self.session, result.files,
                         everything=everything)
        except LoupeError as exc:  # the review store is busy or closing: show it all
            shown = DiffLook(result.files, f"(cannot tell what is new: {exc})", False)
        if get_current_worker().is_cancelled:
            # A newer look is under way: shown, this one would count its hunks as seen first,
            # and that look would find "nothing new".
            return
        self.app.call_from_thread(self._show, result, shown)
        self._place_comments()

    def _show(self, result: SessionDiff, shown: DiffLook) -> None:
        self._result, self.look = result, shown
        self.query_one(DiffView).show(shown.files)
        self._update_summary()

    def _update_summary(self) -> None:
        result, shown = self._result, self.look
        if result is None or shown is None:
            return
        stat, session = result.stat, self.session
        base = session.base_branch or result.base[:10]
        parts = [
            f"{session.branch}: +{stat.added} -{stat.removed} in {stat.files} file(s)",
            f"{result.commits} commit(s) since {base}, uncommitted changes included",
        ]
        if result.truncated:
            parts.append("long diff: later hunks left out")
        if shown.narrowed:
            parts.append(f"{shown.summary} (a: whole diff)")
        elif self.everything:
            parts.append("whole diff (a: only what is new)")
        review = summary(self.review.comments)
        if review:
            parts.append(review)
        parts.append("v select · c comment · E/x edit/delete it · R submit · r refresh · L on the grid lands it")
        self.query_one(".diff-summary", Static).update(plain_text(" · ".join(parts)))

    def _failed(self, message: str) -> None:
        self.query_one(".diff-summary", Static).update(plain_text(f"Cannot show the diff: {message}"))

    # -- seen hunks, comments ------------------------------------------------------------------

    @on(DiffLines.HunksShown)
    def _hunks_shown(self, message: DiffLines.HunksShown) -> None:
        message.stop()
        shown = self.look
        if shown is None:
            return
        files = list(self.lines.diffs)
        turn, units = shown.latest_turn, message.units
        review = self.app.services.review

        def remember() -> None:
            from tui.review.diff_look import mark_seen

            try:
                mark_seen(review.store, self.session.id, files, units, turn)
            except Exception as exc:  # noqa: BLE001 - whatever it is, the reader hears of it
                if review.closed:
                    return  # the app is closing
                # These hunks show as new next time: say why, rather than forget in silence.
                reason = str(exc) if isinstance(exc, LoupeError) else f"{type(exc).__name__}: {exc}"
                self.app.channel.emit(Notice(
                    f"Cannot remember which hunks of session {self.session.number}'s diff you saw: {reason}",
                    title="Review", severity="warning"))

        self.run_worker(remember, thread=True, group="diff-seen", exit_on_error=False)

    @work(thread=True, exclusive=True, group="diff-comments", exit_on_error=False)
    def _place_comments(self) -> None:
        try:
            comments = self.review.load()
        except LoupeError:
            return  # the store is closing or locked: the next change looks again
        self.app.call_from_thread(self._show_comments, comments)

    def _show_comments(self, comments: DiffComments) -> None:
        self.review.comments = comments
        self.lines.show_notes(notes_of(comments))
        self._update_summary()

    @on(received(ReviewChanged))
    def _review_changed(self, message: Received[ReviewChanged]) -> None:
        sessions = message.event.sessions
        if sessions is None or self.session.id in sessions:
            self._place_comments()

    @on(received(RoundSettled))
    def _settled(self, message: Received[RoundSettled]) -> None:
        if message.event.round.target == Target.diff(self.session.id):
            notify_settled(self.app, message.event.round, "R")

    @on(DiffLines.CopyRequested)
    def _copy(self, message: DiffLines.CopyRequested) -> None:
        message.stop()
        self.app.copy_text(message.text)

    def action_comment(self) -> None:
        shown = self.look
        lines = self.lines
        self.review.comment(list(lines.diffs), lines.selected_lines(),
                            old_side_is_base=shown is None or shown.since_turn is None, done=self._commented)

    def _commented(self, result: object) -> None:
        if result is not None:
            self.lines.selection.clear()
            self.lines.refresh()
            self.lines.refresh_bindings()

    def action_comments(self) -> None:
        self.review.list_comments()

    def action_change_comment(self, action: str) -> None:
        self.review.change(action)

    def action_submit(self) -> None:
        self.run_worker(self.review.prepare_submit, thread=True, group="diff-submit", exclusive=True,
                        exit_on_error=False)

    def document_commands(self) -> list[tuple[str, str, object]]:
        """Palette commands for this tab (offered while it is the active one)."""
        return [
            ("Diff: select lines", "Select lines with the arrows, then y copies, c comments (v)",
             self.lines.action_select_lines),
            ("Diff: whole diff or only what is new", "Switch between the whole diff and what changed "
             "since you last looked (a)", self.action_toggle_all),
            ("Diff: refresh", "Compute the session's diff again (r)", self.action_reload),
            ("Review: comment on the diff", "Comment on the selected lines (c)", self.action_comment),
            ("Review: submit the diff's round", "Send the draft round with a verdict to the session (R)",
             self.action_submit),
            ("Review: every comment on the diff", "List the comments on this diff and their status (m)",
             self.action_comments),
            ("Review: edit a comment on the diff", "Change the text of the draft comment on the lines you are at (E)",
             lambda: self.action_change_comment("edit")),
            ("Review: delete a comment on the diff", "Delete the draft comment on the lines you are at, once "
             "confirmed (x)", lambda: self.action_change_comment("delete")),
            ("Review: discard the diff's draft round", "Delete every comment not sent yet on this diff, once "
             "confirmed", self.review.discard),
        ]

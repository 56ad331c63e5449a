"""Review of a session's diff: comment on selected lines, list the comments, submit the
draft round (through the review service and the one submit dialog), and the comments' marks.

Owned by `SessionDiffPane` (composition: the pane keeps the widgets and the messages, this
keeps the review). Store work runs in the pane's thread workers; comments anchor to the diff
on screen, and a hunk the agent changed since is refused by the domain (`StaleHunk`), its
message shown in the comment dialog.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from tui.app_base import AppBase
from tui.dialogs.comment import CommentScreen, CommentsScreen, Picked
from tui.dialogs.submit_round import SubmitRoundScreen
from tui.review.diff_look import DiffComments
from tui.review.model import RoundState, Side, Status, Target
from tui.review.tracking import Tracked
from tui.services.review import SubmitRequest
from tui.views.review_edits import CommentEdits
from tui.views.review_rounds import notify_sent, round_summary
from widgets.diff_rows import DiffNote, SelectedLine
from widgets.diff_view import DiffLines

if TYPE_CHECKING:
    from tui.diffs import FileDiff, Hunk
    from tui.services.review import ReviewService
    from tui.sessions.model import Session


class Host(Protocol):
    """The pane that owns the review (`SessionDiffPane`): the app it is in, the lines shown."""

    @property
    def app(self) -> AppBase: ...

    @property
    def lines(self) -> DiffLines: ...


@dataclass(frozen=True, slots=True)
class LineChoice:
    """What a selection comments on: one hunk, one side, a range of lines on that side."""

    file: FileDiff
    hunk: Hunk
    side: Side
    first: int
    last: int
    quote: str

    @property
    def where(self) -> str:
        lines = str(self.first) if self.first == self.last else f"{self.first}-{self.last}"
        return f"{self.file.path}:{lines}" + (" (old side)" if self.side is Side.OLD else "")


def choose_lines(diffs: list[FileDiff], selected: list[SelectedLine]) -> LineChoice | str:
    """The lines a selection comments on, or why it cannot be commented on.

    A selection with added lines is on the new side (the removed lines among them are not
    numbered there); one of removed lines only is on the old side; context alone is new."""
    if not selected:
        return "Select lines first: v and the line keys, or a mouse drag."
    if len({(s.file, s.hunk) for s in selected}) > 1:
        return "Select lines of one hunk: a comment is on one place."
    kinds = {s.line.kind for s in selected}
    side = Side.OLD if "-" in kinds and "+" not in kinds else Side.NEW
    numbered = [(s.line.new if side is Side.NEW else s.line.old, s.line.text) for s in selected]
    numbers = [n for n, _ in numbered if n is not None]
    file = diffs[selected[0].file]
    if file.status == "binary" or not file.hunks:
        return f"{file.path} has no lines to comment on."
    quote = "\n".join(text for n, text in numbered if n is not None)
    return LineChoice(file, file.hunks[selected[0].hunk], side, min(numbers), max(numbers), quote)


def describe(item: Tracked, draft: bool) -> str:
    comment = item.comment
    status = "draft" if draft and item.status is Status.OPEN else item.status.value
    body = " ".join(comment.body.split())
    side = " (old side)" if comment.side is Side.OLD else ""
    return f"[{comment.id}] {comment.location}{side} · {status}: {body}"


def notes_of(comments: DiffComments) -> list[DiffNote]:
    notes = []
    for item in comments.tracked:
        draft = comments.rounds[item.comment.round_id].is_draft
        mark = "draft" if draft and item.status is Status.OPEN else (
            {Status.OPEN: "open", Status.ADDRESSED: "addressed", Status.RESOLVED: "resolved"}.get(item.status, ""))
        if not mark:
            continue  # orphaned: listed (m), not placed
        side = "old" if item.comment.side is Side.OLD else "new"
        notes.append(DiffNote(item.comment.path, side, item.placement.first_line, item.placement.last_line,
                              mark, describe(item, draft)))
    return notes


def summary(comments: DiffComments) -> str:
    return round_summary(comments.tracked, comments.rounds, "R")


class DiffReview:
    def __init__(self, pane: Host, session: Session, edits: CommentEdits) -> None:
        self.pane = pane
        self.session = session
        self.comments = DiffComments([], {})
        self.edits = edits

    @property
    def service(self) -> ReviewService:
        return self.pane.app.services.review

    @property
    def target(self) -> Target:
        return Target.diff(self.session.id)

    def load(self) -> DiffComments:
        """(worker thread) Every comment on this diff, placed in its files now, where the
        session runs."""
        return self.service.diff_comments(self.session)

    # -- commenting ------------------------------------------------------------------------

    def comment(self, diffs: list[FileDiff], selected: list[SelectedLine], *, old_side_is_base: bool,
                done: Callable[[object], None]) -> None:
        choice = choose_lines(diffs, selected)
        if isinstance(choice, str):
            self.pane.app.notify(choice, severity="warning", markup=False)
            return
        if choice.side is Side.OLD and not old_side_is_base:
            self.pane.app.notify("This diff is from the agent's last turn you saw: comment on its new side, "
                             "or show the whole diff (a) to comment on the code before the session.",
                             severity="warning", markup=False)
            return
        service, session = self.service, self.session

        def save(body: str) -> object:
            return service.comment_on_diff(session, choice.file, choice.hunk, choice.side, choice.first,
                                           choice.last, body)

        self.pane.app.push_screen(CommentScreen(f"Comment on {choice.where}", choice.quote, save=save), done)

    def list_comments(self) -> None:
        lines = [(t.comment.id, describe(t, self.comments.rounds[t.comment.round_id].is_draft))
                 for t in self.comments.tracked]
        self.pane.app.push_screen(CommentsScreen(f"Comments on the diff of session {self.session.number}", lines),
                                  self._picked)

    def _picked(self, choice: Picked | None) -> None:
        comments = self.comments
        found = next((t for t in comments.tracked if choice and t.comment.id == choice.comment_id), None)
        if choice is None or found is None:
            return
        if choice.action != "go":
            self.edits.run(choice.action, found, comments.rounds)
        elif found.placement.found:
            side = "old" if found.comment.side is Side.OLD else "new"
            self.pane.lines.scroll_to_line(found.comment.path, side, found.placement.first_line)

    # -- changing drafts -------------------------------------------------------------------

    def change(self, action: str) -> None:
        """Edit or delete the comment on the lines selected, clicked, or else on screen."""
        self.edits.act(action, self.here(), self.comments.rounds)

    def here(self) -> list[Tracked]:
        lines = self.pane.lines
        places = set()
        for selected in lines.pointed_lines():
            path = lines.diffs[selected.file].path
            places.add((path, Side.NEW, selected.line.new))
            places.add((path, Side.OLD, selected.line.old))
        return [t for t in self.comments.tracked if t.placement.found and any(
            (t.comment.path, t.comment.side or Side.NEW, number) in places
            for number in range(t.placement.first_line, t.placement.last_line + 1))]

    def discard(self) -> None:
        self.edits.discard(self.comments.draft, self.comments.tracked, f"the diff of session {self.session.number}")

    # -- rounds ----------------------------------------------------------------------------

    def prepare_submit(self) -> None:
        """(worker thread) Open the submit dialog on the draft round, or retry the last round
        when it was not delivered and nothing new is drafted."""
        service, target, app = self.service, self.target, self.pane.app
        draft = service.store.find_draft(service.repo, target)
        undelivered = [r for r in service.rounds(session_id=self.session.id)
                       if r.state is RoundState.UNDELIVERED and r.target == target]
        if draft is None or not service.store.comments([draft.id]):
            if undelivered:
                self._retry(undelivered[-1].id)
                return
            draft = service.draft(target)  # approving needs no comments
        choices = service.choices(draft.id)
        round_id = draft.id
        app.call_from_thread(app.push_screen,
                             SubmitRoundScreen(choices, submit=lambda request: service.submit(round_id, request)),
                             self.sent)

    def _retry(self, round_id: int) -> None:
        """(worker thread) The round was not delivered (its session had ended): pick a
        session to send it to again, in the submit dialog's retry mode."""
        service, app = self.service, self.pane.app
        choices = service.choices(round_id)

        def submit(request: SubmitRequest) -> object:
            return service.retry(round_id, request.session_id, when_idle=request.when_idle)

        app.call_from_thread(app.push_screen, SubmitRoundScreen(choices, submit=submit, retry=True), self.sent)

    def sent(self, sent: object) -> None:
        notify_sent(self.pane.app, sent, "R")

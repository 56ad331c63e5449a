"""Changing your mind before a round is sent, in any reviewing pane (artifact panes, session
diffs): edit a draft comment's text, delete it, or discard the whole draft round.

The pane says which comments are where the reader is (`act`), or picks one in its list of
comments (`run`); this asks which one when there are several, opens the comment dialog
prefilled or asks to confirm, and changes the store through the review service off the UI
loop. The service then emits `ReviewChanged`, so the pane's margin follows at once. A
comment whose round was submitted is refused with the store's own reason (`RoundNotDraft`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, cast

from textual.notifications import SeverityLevel
from textual.widget import Widget

from tui.app_base import AppBase
from tui.dialogs.comment import CommentScreen, CommentsScreen, Picked
from tui.dialogs.confirm import ConfirmScreen
from tui.errors import LoupeError
from tui.review.errors import RoundNotDraft
from tui.review.model import Kind, Round
from tui.review.tracking import Tracked

if TYPE_CHECKING:
    from tui.services.review import ReviewService

_VERBS = {"edit": "Edit", "delete": "Delete"}


class CommentEdits:
    """`owner` runs the workers; `describe(item, draft)` is the pane's one line about a comment."""

    def __init__(self, owner: Widget, describe: Callable[[Tracked, bool], str]) -> None:
        self.owner = owner
        self.describe = describe

    @property
    def app(self) -> AppBase:
        return cast(AppBase, self.owner.app)

    @property
    def service(self) -> ReviewService:
        return self.app.services.review

    def _say(self, text: str, severity: SeverityLevel = "warning") -> None:
        # Comment bodies and file names are data: never markup.
        self.app.notify(text, title="Review", severity=severity, markup=False)

    def act(self, action: str, items: Sequence[Tracked], rounds: Mapping[int, Round]) -> None:
        """`action` ("edit" or "delete") on the comment the reader is at, among `items`;
        asks which when there are several drafts there."""
        if not items:
            self._say("No comment here: go to one (] and [), or list them all with m.")
            return
        drafts = [t for t in items if rounds[t.comment.round_id].is_draft]
        if not drafts:
            comment = items[0].comment
            self._say(str(RoundNotDraft.for_comment(comment.id, comment.round_id,
                                                    rounds[comment.round_id].state.value)))
            return
        if len(drafts) == 1:
            self.run(action, drafts[0], rounds)
            return
        by_id = {t.comment.id: t for t in drafts}

        def picked(choice: Picked | None) -> None:
            if choice is not None and choice.comment_id in by_id:
                self.run(action if choice.action == "go" else choice.action, by_id[choice.comment_id], rounds)

        lines = [(t.comment.id, self.describe(t, True)) for t in drafts]
        self.app.push_screen(
            CommentsScreen(f"{_VERBS[action]} which comment?", lines, enter=action,
                           help=f"enter: {action} it · e edits · x deletes"), picked)

    def run(self, action: str, item: Tracked, rounds: Mapping[int, Round]) -> None:
        """Edit or delete `item`, refused when its round was submitted."""
        comment, round_ = item.comment, rounds[item.comment.round_id]
        if not round_.is_draft:
            self._say(str(RoundNotDraft.for_comment(comment.id, round_.id, round_.state.value)))
            return
        service, comment_id = self.service, comment.id
        what = "answer" if comment.kind is Kind.ANSWER else "comment"
        if action == "edit":
            self.app.push_screen(CommentScreen(
                f"Edit {what} [{comment_id}] on {comment.location}", comment.anchor.quote,
                save=lambda body: service.edit(comment_id, body), body=comment.body))
            return

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.owner.run_worker(lambda: self._delete(comment_id), thread=True, group="review-edit",
                                      exit_on_error=False)

        body = " ".join(comment.body.split())
        self.app.push_screen(ConfirmScreen(
            f"Delete {what} [{comment_id}]?", f"On {comment.location}: {body}\n\nIt was never sent; it is gone "
            "for good."), confirmed)

    def _delete(self, comment_id: int) -> None:
        try:
            self.service.delete(comment_id)
        except LoupeError as exc:
            self.app.call_from_thread(self._say, f"Could not delete comment {comment_id}: {exc}")

    def discard(self, draft: Round | None, tracked: Sequence[Tracked], label: str) -> None:
        """Discard the draft round `draft` of `label` ("plan.md") with its comments among
        `tracked`, once confirmed."""
        comments = sum(1 for t in tracked if draft is not None and t.comment.round_id == draft.id)
        if draft is None or not comments:
            self._say(f"{label} has no draft round to discard.", "information")
            return
        round_id = draft.id

        def confirmed(yes: bool | None) -> None:
            if yes:
                self.owner.run_worker(lambda: self._discard(round_id), thread=True, group="review-edit",
                                      exit_on_error=False)

        self.app.push_screen(ConfirmScreen(
            "Discard the draft round?", f"Round {round_id} on {label} was never sent. Discarding deletes its "
            f"{comments} comment{'s' if comments != 1 else ''} (answers too) for good.", confirm="Discard"),
            confirmed)

    def _discard(self, round_id: int) -> None:
        try:
            self.service.discard(round_id)
        except LoupeError as exc:
            self.app.call_from_thread(self._say, f"Could not discard round {round_id}: {exc}")
            return
        self.app.call_from_thread(self._say, f"Round {round_id} discarded.", "information")

"""What can go wrong in a review, each with a message the user (or agent) can act on."""

from __future__ import annotations

from tui.errors import LoupeError


class ReviewError(LoupeError):
    """Base class: the review store or a review operation refused or failed."""


class NoSuchRound(ReviewError):
    pass


class NoSuchComment(ReviewError):
    pass


class RoundNotDraft(ReviewError):
    """The round was already submitted: its comments are what the agent received."""

    @classmethod
    def for_comment(cls, comment_id: int, round_id: int, state: str) -> RoundNotDraft:
        """Refusing to change a comment that was sent (editing it, deleting it)."""
        return cls(f"comment {comment_id} is in round {round_id}, already submitted ({state}): a comment that "
                   "was sent cannot change; write a new one instead (it goes into the next round)")


class NotCommentable(ReviewError):
    """The place asked for cannot carry a comment (a binary file, a line past the end...)."""


class StaleHunk(NotCommentable):
    """The diff shown is older than the file: the code commented on is no longer there."""

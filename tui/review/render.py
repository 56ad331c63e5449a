"""A submitted round as the one markdown message an agent receives.

Verdict first, then each note with its `path:line`, the text it is on (quoted) and what the
reviewer wrote; answers are grouped under the questions they answer; a footer says how to
mark items handled. Quotes come from documents agents wrote and bodies from the user: both
are data, so control characters (an escape sequence would reach the agent's terminal, or
end its paste early) are shown as visible stand-ins (`tui.terminal_text.visible`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from tui.review.model import Comment, Kind, Round, Scope, Side, TargetKind, Verdict
from tui.terminal_text import visible

# Quotes longer than this many lines are cut (the agent has the file).
MAX_QUOTE_LINES = 12

_VERDICT_LINES = {
    Verdict.APPROVE: "Verdict: **approved**. Nothing has to change; the notes below are for you to weigh.",
    Verdict.REQUEST_CHANGES: "Verdict: **changes requested**. Please address every item below.",
    Verdict.COMMENT: "Verdict: **comments only**. Weigh each item; nothing is blocking.",
}


def render_round(
    round_: Round,
    comments: Sequence[Comment],
    verdict: Verdict,
    *,
    display_path: Callable[[str], str] = lambda path: path,
    orphaned: frozenset[int] = frozenset(),
) -> str:
    """The message for `round_`; `display_path` turns a stored path into one the reader can
    open, and comments whose ids are in `orphaned` are marked as no longer in the file."""
    subject = (f"`{display_path(round_.target.path)}`" if round_.target.kind is TargetKind.DOCUMENT
               else "your changes (session diff)")
    notes = [c for c in comments if c.kind is Kind.NOTE]
    answers = [c for c in comments if c.kind is Kind.ANSWER]
    counted = ", ".join(part for part in (_plural(len(notes), "comment"), _plural(len(answers), "answer")) if part)
    out = [f"# Review round {round_.id} of {visible(subject)}", "",
           _VERDICT_LINES[verdict] + (f" ({counted})" if counted else ""), ""]
    for comment in notes:
        out += [f"## [{comment.id}] {_location(comment, display_path)}", ""]
        out += _quote(comment, comment.id in orphaned)
        out += [visible(comment.body.strip()), ""]
    if answers:
        out += ["## Answers to open questions", ""]
        for question, group in _by_question(answers).items():
            first = group[0]
            out += [f"### {visible(question)} ({_location(first, display_path)})", ""]
            if first.id in orphaned:
                out += ["(This question is no longer in the document.)", ""]
            for comment in group:
                out += [f"[{comment.id}] {visible(comment.body.strip())}", ""]
    out += [
        "---",
        "Each item has an ID in brackets. When you have handled one, run "
        "`loupe review resolve ID --note \"what you did\"` (several IDs at once are fine). "
        f"`loupe review show {round_.id}` prints this round again with each item's status.",
    ]
    return "\n".join(out) + "\n"


def _plural(count: int, word: str) -> str:
    if not count:
        return ""
    return f"{count} {word}" + ("" if count == 1 else "s")


def _location(comment: Comment, display_path: Callable[[str], str]) -> str:
    anchor = comment.anchor
    where = f"`{visible(display_path(comment.path))}:{anchor.lines}`"
    if comment.side is Side.OLD:
        where += " (old side: the code before your change)"
    if anchor.scope is Scope.SECTION:
        where += " (the whole section)"
    return where


def _quote(comment: Comment, orphaned: bool) -> list[str]:
    lines = visible(comment.anchor.quote).split("\n")
    cut = len(lines) - MAX_QUOTE_LINES
    if cut > 0:
        lines = lines[:MAX_QUOTE_LINES] + [f"… ({cut} more lines)"]
    if comment.side is not None:
        fence = "`" * max(3, _longest_backtick_run(comment.anchor.quote) + 1)
        out = [fence, *lines, fence, ""]
    else:
        out = [("> " + line).rstrip() for line in lines] + [""]
    if orphaned:
        out += ["(This text is no longer in the file.)", ""]
    return out


def _longest_backtick_run(text: str) -> int:
    return max((len(run) for run in re.findall(r"`+", text)), default=0)


def _by_question(answers: Sequence[Comment]) -> dict[str, list[Comment]]:
    groups: dict[str, list[Comment]] = {}
    for comment in answers:
        groups.setdefault(comment.question or comment.anchor.quote.strip(), []).append(comment)
    return groups

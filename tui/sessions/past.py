"""What is known of a session once it is gone from the grid (removed): from its record alone.

Its window, worktree and screen files went with it; its record stays (the task's timeline
lists it), and so does its branch, which is where its work can still be found.
"""

from __future__ import annotations

from tui.relative_time import relative_time
from tui.sessions.model import END_DETAILS, Session
from tui.terminal_text import visible


def gone_title(session: Session) -> str:
    return f"Session {session.number} is gone"


def gone_text(session: Session, now: float) -> str:
    """A few plain lines: who it was, when it ran and ended, where its work is, its prompt.
    Names and the prompt come from outside: control characters are made visible."""
    what = ", ".join(part for part in (session.agent, session.phase) if part)
    lines = [f"{visible(what)} on task {visible(session.task)}: not in the session grid any more"
             + (f" (removed {relative_time(session.removed_at, now, ago=True)})."
                if session.removed_at is not None else ".")]
    lines.append(f"Started {relative_time(session.created_at, now, ago=True)}; {_ending(session, now)}.")
    if session.in_place:
        lines.append(f"It ran in {visible(str(session.worktree))}, whose files stay as it left them.")
    elif session.branch:
        lines.append(f"Its branch {visible(session.branch)} is kept: its commits are there.")
    prompt = next((line.strip() for line in session.prompt.splitlines() if line.strip()), "")
    if prompt:
        lines.append(f"Prompt: {visible(prompt[:200])}")
    return "\n".join(lines)


def _ending(session: Session, now: float) -> str:
    if session.end_reason in END_DETAILS:
        return END_DETAILS[session.end_reason].split(":", 1)[0]
    if session.ended_at is None:
        return "its end was not seen"
    when = relative_time(session.ended_at, now, ago=True)
    if session.stopped_at is not None:
        return f"stopped by loupe {when}"
    code = "" if session.exit_code is None else f" with code {session.exit_code}"
    return f"exited{code} {when}"

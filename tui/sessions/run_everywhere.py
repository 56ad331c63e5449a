"""One command in several sessions' worktrees at once, each one's output kept apart.

`loupe session exec 0,1,2 -- make test` (and the app, from the marked tiles) runs the
command in each session's worktree on its host, with the agent's environment (the guard
first on PATH), never typed into the agent. `{n}` in any word becomes that session's
number, so `-- ./bench --port 80{n}` gives each its own. The sessions run in parallel;
the result is the worst exit status of them all.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tui.errors import LoupeError
from tui.sessions.model import LOCAL_HOST, Session

if TYPE_CHECKING:
    from tui.sessions.manager import SessionManager

PLACEHOLDER = "{n}"
# A session where the command could not run at all (its host unreachable, its worktree
# gone, no answer in time), as ssh reports a connection it could not make.
COULD_NOT_RUN = 255
_PARALLEL = 8


@dataclass(frozen=True)
class ExecResult:
    session: Session
    argv: list[str]
    exit_code: int
    stdout: str = ""
    stderr: str = ""
    # Why the command could not run there; "" when it ran (whatever its exit status).
    error: str = ""

    @property
    def label(self) -> str:
        where = "" if self.session.host == LOCAL_HOST else f" @{self.session.host}"
        return f"── {self.session.label}{where} ──"

    def to_json(self) -> dict[str, object]:
        return {"session": self.session.id, "number": self.session.number, "host": self.session.host,
                "argv": self.argv, "exit_code": self.exit_code, "stdout": self.stdout,
                "stderr": self.stderr, "error": self.error}


def for_session(argv: Sequence[str], session: Session) -> list[str]:
    """`argv` with `{n}` in every word replaced by the session's number."""
    return [word.replace(PLACEHOLDER, str(session.number)) for word in argv]


def run_everywhere(manager: SessionManager, sessions: Sequence[Session], argv: Sequence[str], *,
                   timeout: float = 600.0) -> list[ExecResult]:
    """Run `argv` in each session's worktree, all at once; one result each, in order."""
    if not argv:
        raise LoupeError("no command given: put it after --, e.g. loupe session exec all -- git status")

    def one(session: Session) -> ExecResult:
        words = for_session(argv, session)
        try:
            ran = manager.run(session, words, timeout=timeout)
        except LoupeError as exc:
            return ExecResult(session, words, COULD_NOT_RUN, error=str(exc))
        # A command killed by signal N reports -N here; shells say 128 + N.
        code = ran.returncode if ran.returncode >= 0 else 128 - ran.returncode
        return ExecResult(session, words, code, ran.stdout, ran.stderr)

    if not sessions:
        return []
    with ThreadPoolExecutor(max_workers=min(_PARALLEL, len(sessions))) as pool:
        return list(pool.map(one, sessions))


def worst(results: Sequence[ExecResult]) -> int:
    """The exit status for them all: the highest, so any failure fails the whole."""
    return max((result.exit_code for result in results), default=0)

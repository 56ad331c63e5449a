"""Where sessions run: the one seam between loupe and a place that runs agents.

A `SessionHost` owns everything that assumes a place: the repository clone and its
worktrees, tmux, the session's files (status reports, output log, last screen, wrapper
script), its processes, and git operations on its worktree (diff, land). `SessionManager`
holds the bookkeeping that is the same everywhere (the store, the queue, numbering, the
observer's memory) and routes every operation through the session's host; nothing outside
a host reads a session's files, runs its tmux or looks at its processes.

The local host (`tui.sessions.local_host`) is this machine. A remote host implements the
same protocol over one shared connection: every method is a command run there (`git`,
`tmux`, `loupe`) or a file read or written there, and `poll` is one round trip for all of
its sessions. A host that cannot be reached raises `HostUnreachable`, which the manager
shows as "unreachable", never as "exited".
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from tui.sessions.diff import DiffStat, SessionDiff
    from tui.sessions.environment import Preparation
    from tui.sessions.land import LandPlan, LandResult
    from tui.sessions.model import Session
    from tui.sessions.status_file import Status
    from tui.sessions.stop_report import Process
    from tui.sessions.tmux import PaneInfo
    from tui.sessions.worktrees import Base, NewWorktree, Risk


@dataclass(frozen=True)
class Launch:
    """What to run in a new session's window, decided by the manager."""

    # The agent's command line, for a POSIX shell started in the worktree.
    command: str
    # The agent's environment. It holds the user's keys, so a host never puts it on a
    # command line (where other users can read it); it goes in a private file.
    env: Mapping[str, str]
    # `[sessions] setup_script`: relative to the worktree, else to the repository; "" for none.
    setup_script: str = ""
    # The `loupe hook <id>` argv to install as Claude Code hooks; empty for other agents.
    claude_hook: Sequence[str] = ()
    # The same argv for loupe's opencode plugin (`hooks.install_opencode_plugin`), which a
    # host writes into the worktree; empty for other agents.
    opencode_hook: Sequence[str] = ()
    size: tuple[int, int] = (160, 48)
    # Shown in tmux's status bar while a user is attached.
    status_line: str = ""
    # The git guard the environment puts first on PATH (`Preparation.guard_dir`, from this
    # host's `agent_environment`); the worktree's own git config is pointed at its hooks too.
    # None when the guard is unavailable (the environment's warnings say so).
    guard_dir: Path | None = None


@dataclass
class Launched:
    warnings: list[str] = field(default_factory=list)
    # Files `.worktreeinclude` had copied into the worktree.
    copied: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Observed:
    """One session as its host sees it on one poll."""

    # Its window; None when the host has no window for it any more. `pane.dead` means the
    # agent has ended and the host knows how (the code, when there is one, is final).
    pane: PaneInfo | None
    # The screen with its colours, when it was asked for and the window exists.
    screen: str | None = None
    # The last report of its agent or hooks (the status file), if any.
    reported: Status | None = None


GONE = Observed(pane=None)


@dataclass(frozen=True)
class AttachCommand:
    """The command that hands this terminal to a session, and the environment to run it in."""

    argv: list[str]
    env: dict[str, str]


@dataclass(frozen=True)
class Ran:
    """What a command run in a session's worktree did."""

    argv: list[str]
    returncode: int
    stdout: str
    stderr: str


class SessionHost(Protocol):
    """A place where sessions run. Every failure is a `SessionError` saying what to do;
    `HostUnreachable` when the place itself cannot be reached."""

    # The name sessions record ("local", or a `[hosts.NAME]`).
    name: str
    # The tmux socket new sessions on this host run on.
    tmux_socket: str

    # -- preparing a start -------------------------------------------------------------------

    def check_ready(self) -> None:
        """Raise now, with a clear message, when sessions cannot start here (no tmux, no repo)."""

    def loupe_command(self) -> list[str]:
        """The argv that runs loupe on the host (for hooks and the built-in agent)."""

    def agent_environment(self, session: Session) -> Preparation:
        """The environment the agent gets there: the guard first on PATH, the session's
        variables, its status report file; with warnings (no guard) for the user."""

    def check_agent(self, command: str, env: Mapping[str, str]) -> None:
        """Raise `AgentNotInstalled` when the program `command` runs is not found there."""

    def fetch(self) -> None:
        """`git fetch` in the host's clone."""

    def resolve_base(self, base: str) -> Base:
        """The commit (and the branch to land onto) `base` names in the host's clone."""

    def create_worktree(self, task: str, base_commit: str,
                        reserve: Callable[[NewWorktree], None] | None = None, *,
                        session_id: str = "") -> NewWorktree:
        """A new worktree on a new branch `loupe/<task>/<n>` at `base_commit`, `n` the first
        free one even while other starts run. `reserve` hears the names before they exist
        where the host can (so a killed start leaves nothing unrecorded), else just after; a
        host that cannot call it in time writes them down where it is, for `session_id`."""

    def task_folder(self, task_dir: Path) -> Path:
        """Where a session that runs in place (`Session.in_place`: a documents-only phase, no
        worktree of its own) works: `task_dir` of the host's main checkout, resolved.
        Raises `SessionError` when it does not exist there."""

    # -- running -------------------------------------------------------------------------------

    def launch(self, session: Session, launch: Launch) -> Launched:
        """Start the session's window: its wrapper and private environment, output logging,
        then the go signal. The worktree exists; the session is in the store."""

    def discard(self, session: Session) -> None:
        """Take back a start that failed half way: window, worktree, unused branch, files.
        Of a session that ran in place, only the window and its session files: its folder
        is the user's."""

    def poll(self, sessions: Sequence[Session], capture: Collection[str] | None) -> dict[str, Observed]:
        """All of `sessions` (all on this host) in one round trip, by session id: windows,
        the screens of the ids in `capture` (None: every live one), and status reports."""

    def capture(self, session: Session, *, ansi: bool = True) -> str | None:
        """The screen now, or None when the session has no window any more."""

    def last_screen(self, session: Session) -> str:
        """The screen saved when it ended, else the end of its output log; "" if neither."""

    def save_last_screen(self, session: Session) -> None:
        """Keep the screen of a session that just ended, for after its window is gone."""

    def send_text(self, session: Session, text: str) -> None:
        """Type `text` into the session, then Enter."""

    def stop(self, session: Session, *, grace: float) -> None:
        """End the agent and every process it started: SIGTERM and SIGHUP, SIGKILL after
        `grace` seconds. Returns once the host knows how the agent ended (`poll` says)."""

    def processes(self, session: Session) -> list[int]:
        """The ids of the session's live processes there (the wrapper, the agent, its children)."""

    def left_running(self, session: Session) -> list[Process]:
        """Processes there that carry the session's id (`LOUPE_SESSION`) and still run:
        after a stop, the ones that left its terminal session and so escaped it."""

    def attach(self, session: Session) -> AttachCommand:
        """The command that attaches this terminal to the session's window."""

    def run(self, session: Session, argv: Sequence[str], *, timeout: float) -> Ran:
        """Run a command in the session's worktree, with the agent's environment."""

    def watch_reports(self, stop: threading.Event, changed: Callable[[], None]) -> None:
        """Call `changed` whenever a status report changes, until `stop` is set. A host may
        return at once: polls pick reports up anyway, watching only makes it quicker."""

    def retry_now(self) -> None:
        """A host that could not be reached tries again on the next operation, not after
        its backoff (the user asked)."""

    def close(self) -> None:
        """Let go of what the host holds open (a connection); a later operation reopens it."""

    # -- the work ------------------------------------------------------------------------------

    def removal_risks(self, session: Session, *, live: bool) -> list[Risk]:
        """What removing the worktree would lose (or stop)."""

    def remove_worktree(self, session: Session) -> str | None:
        """Save leftovers to a ref, close the window, delete the worktree and the session's
        files; keep the branch. Returns the ref the leftovers went to, if any. A session that
        ran in place has its window closed and its files deleted; nothing in its folder is
        saved, deleted or touched."""

    def diff(self, session: Session) -> SessionDiff:
        """The worktree (committed and not) against where the session started; of a session
        that ran in place, only the changes under its folder."""

    def diff_stat(self, session: Session) -> DiffStat:
        """Files changed and lines added/removed; cheap enough to poll."""

    def read_texts(self, session: Session, paths: Sequence[str]) -> dict[str, str | None]:
        """The text of each of `paths` there now, named as its diff names them (relative to
        the worktree; to the main checkout for a session that ran in place), in one round
        trip: what review comments on the diff are placed in. None for a file that is
        missing, binary, too big (`tui.text_files`) or outside the checkout."""

    def plan_land(self, session: Session, mode: str, onto: str | None) -> LandPlan:
        """What landing would do, without changing anything. `LandRefused` for a session
        that ran in place (on no branch: its work is already in the checkout)."""

    def land(self, session: Session, mode: str, onto: str | None) -> LandResult:
        """Land the session's commits onto its base branch, all or nothing (`LandRefused`
        for a session that ran in place)."""

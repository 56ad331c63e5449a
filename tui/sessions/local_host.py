"""This machine as a session host: worktrees of the repository here, tmux on loupe's own
socket, session files under loupe's data folder, processes read from /proc.

Everything here that assumes a place is this machine's; `tui.sessions.host` says what each
method promises.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from pathlib import Path

from tui import locations, private_files
from tui.config import SessionsConfig
from tui.sessions import agents, diff, environment, land, local_launch, worktrees
from tui.sessions.errors import LandRefused, SessionError, WorktreeError
from tui.sessions.host import AttachCommand, Launch, Launched, Observed, Ran
from tui.sessions.local_files import session_files, sessions_dir
from tui.sessions.model import LOCAL_HOST, Session
from tui.sessions.procs import (Process, alive, carrying, command_of, end_session_processes, reaped, remind_parent,
                                session_members, session_of)
from tui.sessions.status import strip_ansi
from tui.sessions.status_file import read_status
from tui.sessions.tmux import PaneInfo, Tmux
from tui.text_files import read_texts_under
from tui.workspace import find_repo_root

# After its processes are gone, tmux notices the exit (and its code) within this long.
_EXIT_NOTICED_WITHIN = 10.0


class LocalHost:
    name = LOCAL_HOST

    def __init__(self, root: Path, tmux_socket: str, settings: SessionsConfig | None = None) -> None:
        self.root = root
        self.tmux_socket = tmux_socket
        # The `[sessions]` config, read when used: its `disposable` names the ignored files
        # removing a worktree may lose.
        self.settings = settings if settings is not None else SessionsConfig()
        self._tmux: dict[str, Tmux] = {}
        # Sessions whose window existed at the last poll (captured without a check).
        self._alive: set[str] = set()
        self._polled = False

    def tmux(self, socket: str | None = None) -> Tmux:
        name = socket or self.tmux_socket
        if name not in self._tmux:
            self._tmux[name] = Tmux(name)
        return self._tmux[name]

    def _window(self, session: Session) -> Tmux:
        return self.tmux(session.tmux_socket)

    # -- preparing a start -------------------------------------------------------------------

    def check_ready(self) -> None:
        self.tmux().binary  # noqa: B018 - raises TmuxMissing, which says how to install it
        if find_repo_root(self.root) is None:
            raise WorktreeError(f"{self.root} is not a git repository; sessions need one")

    def loupe_command(self) -> list[str]:
        return locations.loupe_command()

    def agent_environment(self, session: Session) -> environment.Preparation:
        return environment.session_env(session)

    def check_agent(self, command: str, env: Mapping[str, str]) -> None:
        agents.check_installed(command, env.get("PATH", os.defpath))

    def fetch(self) -> None:
        worktrees.fetch(self.root)

    def resolve_base(self, base: str) -> worktrees.Base:
        return worktrees.resolve_base(self.root, base)

    def create_worktree(self, task: str, base_commit: str,
                        reserve: Callable[[worktrees.NewWorktree], None] | None = None, *,
                        session_id: str = "") -> worktrees.NewWorktree:
        return worktrees.create_worktree(self.root, task, base_commit, reserve)

    def task_folder(self, task_dir: Path) -> Path:
        folder = task_dir.resolve()
        if not folder.is_dir():
            raise SessionError(f"the task folder {folder} does not exist; create the task first")
        return folder

    # -- running -------------------------------------------------------------------------------

    def launch(self, session: Session, launch: Launch) -> Launched:
        launched = local_launch.launch(self.root, self._window(session), session, launch)
        # Captured on the next poll without waiting for a poll to see it first.
        self._alive = self._alive | {session.tmux_session}
        return launched

    def discard(self, session: Session) -> None:
        local_launch.discard(self.root, self._window(session), session)

    def poll(self, sessions: Sequence[Session], capture: Collection[str] | None) -> dict[str, Observed]:
        panes: dict[str, PaneInfo] = {}
        screens: dict[str, str] = {}
        for socket in {s.tmux_socket for s in sessions}:
            # Capture what was alive at the last look; one tmux process per socket per poll.
            names = [s.tmux_session for s in sessions if s.tmux_socket == socket
                     and (capture is None or s.id in capture)
                     and (s.tmux_session in self._alive or not self._polled)]
            found, captured = self.tmux(socket).snapshot(names)
            panes.update(found)
            screens.update(captured)
        self._alive = set(panes)
        self._polled = True
        return {
            s.id: Observed(pane=_settled(panes.get(s.tmux_session)), screen=screens.get(s.tmux_session),
                           reported=read_status(session_files(s.id).status_file))
            for s in sessions
        }

    def _pane(self, session: Session) -> PaneInfo | None:
        return _settled(self._window(session).list_panes().get(session.tmux_session))

    def capture(self, session: Session, *, ansi: bool = True) -> str | None:
        tmux = self._window(session)
        if not tmux.has_session(session.tmux_session):
            return None
        return tmux.capture(session.tmux_session, ansi=ansi)

    def last_screen(self, session: Session) -> str:
        files = session_files(session.id)
        if files.last_screen_file.exists():
            return files.last_screen_file.read_text(encoding="utf-8", errors="replace")
        if files.log_file.exists():
            with files.log_file.open("rb") as handle:
                handle.seek(max(0, files.log_file.stat().st_size - 16384))
                tail = handle.read().decode("utf-8", "replace")
            return "\n".join(strip_ansi(tail).replace("\r", "").splitlines()[-40:])
        return ""

    def save_last_screen(self, session: Session) -> None:
        try:
            screen = self._window(session).capture(session.tmux_session)
            private_files.write_private(session_files(session.id).last_screen_file, screen)
        except (SessionError, OSError):
            pass

    def send_text(self, session: Session, text: str) -> None:
        self._window(session).send_text(session.tmux_session, text)

    def stop(self, session: Session, *, grace: float) -> None:
        pane = self._pane(session)
        if pane is None:
            # Killed with its window (tmux server ended): what ran in it may run on, hung up
            # on no terminal. The wrapper led the window's terminal session; end that.
            leader = self._orphaned_wrapper(session)
            if leader is None:
                return
            pid = leader
        elif pane.dead:
            return
        else:
            pid = pane.pid
        left = end_session_processes(pid, grace=grace)
        if left:
            raise SessionError(
                f"session {session.number} ({session.id}): processes {', '.join(map(str, left))} "
                "survived SIGKILL (stuck in the kernel, or another user's); end them by hand")
        if pane is None:
            return
        # The processes are gone; tmux records how the agent ended when it reaps the wrapper.
        deadline = time.monotonic() + _EXIT_NOTICED_WITHIN
        while time.monotonic() < deadline:
            pane = self._pane(session)
            if pane is None or pane.dead:
                return
            time.sleep(0.02)

    def processes(self, session: Session) -> list[int]:
        pane = self._pane(session)
        return session_members(pane.pid) if pane is not None else []

    def left_running(self, session: Session) -> list[Process]:
        return carrying("LOUPE_SESSION", session.id)

    def _orphaned_wrapper(self, session: Session) -> int | None:
        """The pid of the session's wrapper (`sh <run script>`) when it outlived its window:
        the leader of the terminal session of the processes that carry the session's id (the
        wrapper itself does not: it reads its environment from a file)."""
        script = str(session_files(session.id).run_script)
        for sid in {session_of(p.pid) for p in carrying("LOUPE_SESSION", session.id)}:
            if sid is not None and command_of(sid)[-1:] == [script]:
                return sid
        return None

    def attach(self, session: Session) -> AttachCommand:
        tmux = self._window(session)
        return AttachCommand(argv=tmux.attach_argv(session.tmux_session), env=tmux.client_env())

    def run(self, session: Session, argv: Sequence[str], *, timeout: float) -> Ran:
        if not argv:
            raise SessionError("no command given to run in the session's worktree")
        if not session.worktree.is_dir():
            raise WorktreeError(f"the worktree {session.worktree} of session {session.number} no longer exists")
        env = self.agent_environment(session).env
        try:
            done = subprocess.run(list(argv), cwd=session.worktree, env=env, capture_output=True,
                                  text=True, errors="replace", timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise SessionError(f"{argv[0]} did not finish within {timeout:g}s in session "
                               f"{session.number}'s worktree") from exc
        except OSError as exc:
            raise SessionError(f"cannot run {argv[0]} in session {session.number}'s worktree: {exc}") from exc
        return Ran(list(argv), done.returncode, done.stdout, done.stderr)

    def watch_reports(self, stop: threading.Event, changed: Callable[[], None]) -> None:
        try:
            import watchfiles

            folder = sessions_dir()
            folder.mkdir(parents=True, exist_ok=True)
            for changes in watchfiles.watch(folder, stop_event=stop, debounce=50,
                                            rust_timeout=1000, yield_on_timeout=True):
                if any(path.endswith("status.json") for _, path in changes):
                    changed()
        except (OSError, RuntimeError):
            # Polling still works; watching is only there to be quicker.
            return

    def retry_now(self) -> None:
        return  # this machine is always reachable

    def close(self) -> None:
        return  # tmux and files need nothing closed

    # -- the work ------------------------------------------------------------------------------

    def removal_risks(self, session: Session, *, live: bool) -> list[worktrees.Risk]:
        return worktrees.removal_risks(session, live=live, disposable=self.settings.disposable)

    def remove_worktree(self, session: Session) -> str | None:
        saved = worktrees.save_leftovers(session, disposable=self.settings.disposable)
        self._window(session).kill_session(session.tmux_session)
        worktrees.delete_worktree(session)
        if session.id.isalnum():
            shutil.rmtree(session_files(session.id).folder, ignore_errors=True)
        return saved

    def diff(self, session: Session) -> diff.SessionDiff:
        return diff.session_diff(session)

    def read_texts(self, session: Session, paths: Sequence[str]) -> dict[str, str | None]:
        return read_texts_under(self.root if session.in_place else session.worktree, paths)

    def diff_stat(self, session: Session) -> diff.DiffStat:
        return diff.diff_stat(session)

    def plan_land(self, session: Session, mode: str, onto: str | None) -> land.LandPlan:
        _refuse_land_in_place(session)
        return land.plan(session, mode, onto)

    def land(self, session: Session, mode: str, onto: str | None) -> land.LandResult:
        _refuse_land_in_place(session)
        return land.land(session, mode, onto)


def _refuse_land_in_place(session: Session) -> None:
    if session.in_place:
        raise LandRefused(f"session {session.number} ran in the task folder {session.worktree} of "
                          "your checkout: what it wrote is already there, on no branch; commit it "
                          "yourself")


def _settled(pane: PaneInfo | None) -> PaneInfo | None:
    """The pane, dead only once its process has ended.

    tmux 3.3 calls a pane dead as soon as its terminal has no reader left, which is before
    it reaps the process and learns the exit code, and a process that closed its terminal
    may even live on. Until the process is reaped the pane counts as alive, so nobody
    records an end without its code, or skips stopping a process that still runs. A process
    that has ended (a zombie) waits only for tmux, which is reminded to reap it.
    """
    if pane is None or not pane.dead or pane.exit_known or reaped(pane.pid):
        return pane
    if not alive(pane.pid):
        remind_parent(pane.pid)
    return dataclasses.replace(pane, dead=False)

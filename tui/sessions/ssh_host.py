"""A machine reached over SSH as a session host: a `[hosts.NAME]` table of the config.

Sessions there are that machine's local sessions: a worktree of the host's clone, the agent
in tmux there (`tmux -L <tmux_socket>`), the guard first on its PATH, its files under the
data folder there. This side keeps the records (the local store names the host) and reaches
the far side over one shared connection (`tui.remote.ssh.SshConnection`):

- the poll is one round trip of plain tmux and shell builtins for all of the host's
  sessions (`tui.sessions.ssh_poll`); typing in, and a screen now, are one tmux command each;
- everything else (creating the worktree, launching the window, stopping, diff, land,
  removal, running a command in the worktree) is one `loupe host-op OP` there, which runs
  the local host's own code on that machine (`tui.sessions.host_op_cli`).

The agent gets the host's login environment plus the user's keys and tokens from here
(variables whose names mark them as secrets, and each endpoint's `api_key_env`); they
travel on ssh's stdin, never on a command line.

A host that cannot be reached raises `HostUnreachable`. From then on its operations raise
at once, while a round trip in the background (after the connection's backoff) finds out
when it is back; `retry_now` makes the next operation try for real instead.
"""

from __future__ import annotations

import dataclasses
import json
import os
import threading
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any, TypeVar

from tui import secrets
from tui.config import SessionsConfig
from tui.errors import LoupeError
from tui.remote.errors import HostUnreachable, RemoteError
from tui.remote.hosts import HostConfig
from tui.remote.reachability import LinkState
from tui.remote.shell import last_line
from tui.remote.ssh import SshConnection
from tui.sessions import ssh_poll, wire
from tui.sessions.diff import DiffStat, SessionDiff
from tui.sessions.environment import Preparation
from tui.sessions.errors import SessionError, TmuxError
from tui.sessions.host import AttachCommand, Launch, Launched, Observed, Ran
from tui.sessions.land import LandPlan, LandResult
from tui.sessions.model import Session
from tui.sessions.stop_report import Process
from tui.sessions.worktrees import Base, NewWorktree, Risk

T = TypeVar("T")

# Most operations answer in a second; these bound a host that hangs.
_OP_TIMEOUT = 120.0
# A poll (or a screen, or typing in) that takes longer counts the host as unreachable.
_POLL_TIMEOUT = 8.0
# A diff size this fresh is reused (the app refreshes each every 3 s).
_STATS_FRESH = 1.5
# Before Enter, as the local host waits (agents that detect pastes by timing).
_SETTLE = "0.05"


class SshHost:
    def __init__(self, name: str, config: HostConfig, settings: SessionsConfig | None = None, *,
                 connect: Callable[[], SshConnection] | None = None, poll_timeout: float = _POLL_TIMEOUT) -> None:
        self.name = name
        self.config = config
        self.tmux_socket = config.tmux_socket
        self.settings = settings if settings is not None else SessionsConfig()
        self._connect = connect or (lambda: SshConnection.for_host(name, config))
        self._connection: SshConnection | None = None
        self._lock = threading.Lock()
        self._memory = ssh_poll.PollMemory()
        self.poll_timeout = poll_timeout
        self._reconnecting: threading.Thread | None = None
        # The user asked to retry: the next operation tries for real, not in the background.
        self._try_next = False
        self._info: dict[str, Any] | None = None
        # The sessions of the last poll, and diff sizes by session id with when they came.
        self._polled: list[Session] = []
        self._stats: dict[str, tuple[float, Any]] = {}

    # -- the connection ------------------------------------------------------------------------

    @property
    def connection(self) -> SshConnection:
        """The shared connection, made on first use (and again after `close`)."""
        with self._lock:
            if self._connection is None:
                try:
                    self._connection = self._connect()
                except RemoteError as exc:
                    raise HostUnreachable(f"{self.name}: {exc}") from exc
            return self._connection

    def close(self) -> None:
        """End the shared connection; a later operation opens a new one."""
        with self._lock:
            connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()

    def _reachable(self) -> SshConnection:
        """The connection, unless the host was unreachable at the last try: then it is tried
        again in the background (after its backoff) and this raises at once, so a host that
        stopped answering never holds up the polls of the others for ssh's timeouts."""
        connection = self.connection
        link = connection.reachability.link()
        with self._lock:
            asked, self._try_next = self._try_next, False
        if link.state is LinkState.UNREACHABLE and not asked:
            self._reconnect(connection)
            wait = connection.reachability.wait_left()
            when = f"next try in {wait:.0f} s" if wait else "trying again now"
            raise HostUnreachable(f"{self.name} is unreachable ({link.reason}); {when}")
        return connection

    def _reconnect(self, connection: SshConnection) -> None:
        with self._lock:
            if (self._reconnecting is not None and self._reconnecting.is_alive()) \
                    or not connection.reachability.may_try():
                return
            self._reconnecting = threading.Thread(target=_try, args=(connection,), daemon=True,
                                                  name=f"loupe-reconnect-{self.name}")
            self._reconnecting.start()

    def retry_now(self) -> None:
        with self._lock:
            self._try_next = True
            if self._connection is not None:
                self._connection.reachability.retry_now()

    def _op(self, op: str, kind: type[T] | None = None, *, timeout: float = _OP_TIMEOUT,
            session: Session | None = None, **fields: object) -> T:
        """`loupe host-op OP` there, with a JSON request on stdin; its answer as a `kind`."""
        if not self.config.repo:
            raise SessionError(f"host {self.name} has no repository set: add repo = \"~/src/app\" (its clone "
                               f"there) to [hosts.{self.name}]")
        request: dict[str, Any] = {
            "protocol": wire.PROTOCOL, "repo": self.config.repo, "tmux_socket": self.tmux_socket,
            "disposable": list(self.settings.disposable), "setup_script": self.settings.setup_script,
            **fields,
        }
        if session is not None:
            request["session"] = wire.session_to_wire(session, self.config.repo)
        done = self._reachable().run([*self.config.loupe_argv(), "host-op", op], input=json.dumps(request),
                                   timeout=timeout)
        answer = _last_json(done.stdout)
        if answer is None:
            raise SessionError(self._no_answer(op, done.returncode, done.stderr))
        wire.raise_error(answer, f"on {self.name}")
        result = answer.get("result") if isinstance(answer, dict) else None
        return result if kind is None else wire.from_wire(kind, result)  # type: ignore[return-value]

    def _no_answer(self, op: str, code: int, stderr: str) -> str:
        if code == 127:
            return (f"loupe does not run on {self.name} (not found on the PATH of ssh commands); install "
                    f"it there or set [hosts.{self.name}] loupe to its full path (loupe host check {self.name})")
        if code == 2:
            return (f"loupe on {self.name} does not know `host-op {op}` ({last_line(stderr)}); install the same "
                    "loupe version there as here")
        return f"loupe on {self.name} failed in `host-op {op}`: {last_line(stderr) or f'exit status {code}'}"

    def _info_now(self) -> dict[str, Any]:
        if self._info is None:
            self._info = self._op("info")
        return self._info

    # -- preparing a start -------------------------------------------------------------------

    def check_ready(self) -> None:
        self._info = None
        self._info_now()

    def loupe_command(self) -> list[str]:
        return self.config.loupe_argv()

    def agent_environment(self, session: Session) -> Preparation:
        """The user's keys from here; the far side adds its own login environment, the guard
        and the session's variables when it launches."""
        env = {name: value for name, value in os.environ.items() if value and secrets.is_secret_name(name)}
        shell = str(self._info_now().get("shell") or "")
        if shell:
            env["SHELL"] = shell
        return Preparation(env=env)

    def check_agent(self, command: str, env: Mapping[str, str]) -> None:
        self._op("check-agent", command=command)

    def fetch(self) -> None:
        self._op("fetch")

    def resolve_base(self, base: str) -> Base:
        return self._op("resolve-base", Base, base=base)

    def create_worktree(self, task: str, base_commit: str,
                        reserve: Callable[[NewWorktree], None] | None = None, *,
                        session_id: str = "") -> NewWorktree:
        # The far side takes its own worktree lock; `reserve` cannot cross the connection, so
        # it hears the names once they exist there. For a kill in that moment the far side
        # writes them down under `session_id` (tui/sessions/reservations.py).
        created = self._op("create-worktree", NewWorktree, task=task, base_commit=base_commit,
                           session_id=session_id)
        if reserve is not None:
            reserve(created)
        return created

    # -- running -------------------------------------------------------------------------------

    def launch(self, session: Session, launch: Launch) -> Launched:
        # The keys go once, as `env`; the far side builds the agent's whole environment.
        spec = wire.to_wire(dataclasses.replace(launch, env={}))
        return self._op("launch", Launched, session=session, env=dict(launch.env), launch=spec)

    def discard(self, session: Session) -> None:
        try:
            self._op("discard", session=session)
        except LoupeError:
            pass  # the start's own failure is what the user needs to see

    def poll(self, sessions: Sequence[Session], capture: Collection[str] | None) -> dict[str, Observed]:
        if not sessions:
            return {}
        plan = ssh_poll.plan(sessions, capture, self._memory)
        with self._lock:
            self._polled = list(sessions)
        done = self._reachable().run(plan.script, timeout=self.poll_timeout)
        try:
            if not done.ok:
                raise TmuxError(f"the poll failed there: {last_line(done.stderr) or done.returncode}")
            return ssh_poll.read(plan, done.stdout, self._memory)
        except SessionError as exc:
            # Its sessions' state is not known (never that they ended); the other hosts'
            # sessions are still shown.
            raise HostUnreachable(f"{self.name}: {exc}") from exc

    def capture(self, session: Session, *, ansi: bool = True) -> str | None:
        socket, name = session.tmux_socket, session.tmux_session
        script = (f"{ssh_poll.tmux_line(socket, 'has-session', '-t', f'={name}')} 2>/dev/null || exit 3; "
                  f"exec {ssh_poll.tmux_line(socket, 'capture-pane', '-pJe' if ansi else '-pJ', '-t', f'={name}:')}")
        done = self._reachable().run(script, timeout=self.poll_timeout)
        if done.returncode == 3:
            return None
        if not done.ok:
            raise TmuxError(f"tmux capture-pane failed on {self.name}: {last_line(done.stderr)}")
        return secrets.redact(done.stdout)

    def last_screen(self, session: Session) -> str:
        return str(self._op("last-screen", session=session) or "")

    def save_last_screen(self, session: Session) -> None:
        try:
            self._op("save-last-screen", session=session)
        except LoupeError:
            pass  # as locally: the end is recorded all the same

    def send_text(self, session: Session, text: str) -> None:
        """One round trip: the text goes on stdin (not on a command line there), then Enter."""
        socket, target = session.tmux_socket, f"={session.tmux_session}:"
        enter = ssh_poll.tmux_line(socket, "send-keys", "-t", target, "Enter")
        if not text:
            script = enter
        elif "\n" in text:
            buffer = f"loupe-send-{os.getpid()}-{time.monotonic_ns()}"
            script = (f"{ssh_poll.tmux_line(socket, 'load-buffer', '-b', buffer, '-')} && "
                      f"{ssh_poll.tmux_line(socket, 'paste-buffer', '-p', '-d', '-b', buffer, '-t', target)} && "
                      f"sleep {_SETTLE} && {enter}")
        else:
            script = (f'{ssh_poll.tmux_line(socket, "send-keys", "-t", target, "-l", "--")} "$(cat)" && '
                      f"sleep {_SETTLE} && {enter}")
        done = self._reachable().run(script, input=text, timeout=self.poll_timeout)
        if not done.ok:
            raise TmuxError(f"typing into session {session.number} on {self.name} failed: "
                            f"{last_line(done.stderr) or f'exit status {done.returncode}'}")

    def stop(self, session: Session, *, grace: float) -> None:
        self._op("stop", session=session, grace=grace, timeout=grace + _OP_TIMEOUT)

    def processes(self, session: Session) -> list[int]:
        return self._op("processes", list[int], session=session)

    def left_running(self, session: Session) -> list[Process]:
        return self._op("left-running", list[Process], session=session)

    def attach(self, session: Session) -> AttachCommand:
        argv = self.connection.attach_argv(["tmux", "-L", session.tmux_socket, "attach-session", "-t",
                                            f"={session.tmux_session}"])
        env = {key: value for key, value in os.environ.items() if key not in ("TMUX", "TMUX_PANE")}
        return AttachCommand(argv=argv, env=env)

    def run(self, session: Session, argv: Sequence[str], *, timeout: float) -> Ran:
        if not argv:
            raise SessionError("no command given to run in the session's worktree")
        keys = self.agent_environment(session).env
        return self._op("run", Ran, session=session, argv=list(argv), env=keys, command_timeout=timeout,
                        timeout=timeout + _OP_TIMEOUT)

    def watch_reports(self, stop: threading.Event, changed: Callable[[], None]) -> None:
        return  # each poll reads the reports; there is nothing to watch from here

    # -- the work ------------------------------------------------------------------------------

    def removal_risks(self, session: Session, *, live: bool) -> list[Risk]:
        return self._op("removal-risks", list[Risk], session=session, live=live)

    def remove_worktree(self, session: Session) -> str | None:
        return self._op("remove-worktree", str | None, session=session)  # type: ignore[arg-type]

    def diff(self, session: Session) -> SessionDiff:
        return self._op("diff", SessionDiff, session=session)

    def diff_stat(self, session: Session) -> DiffStat:
        """From one `host-op diff-stats` for every session of the last poll: the app asks
        for each tile it shows every few seconds, which would be a round trip each."""
        now = time.monotonic()
        with self._lock:
            cached = self._stats.get(session.id)
            others = list(self._polled)
        if cached is None or now - cached[0] > _STATS_FRESH:
            asked = [session, *(s for s in others if s.id != session.id)]
            answer = self._op("diff-stats", sessions=[wire.session_to_wire(s, self.config.repo) for s in asked])
            with self._lock:
                self._stats = {sid: (now, value) for sid, value in (answer or {}).items()}
                cached = self._stats.get(session.id)
        if cached is None:
            raise SessionError(f"{self.name} gave no diff size for session {session.number}")
        wire.raise_error(cached[1], f"on {self.name}")
        return wire.from_wire(DiffStat, cached[1])

    def read_texts(self, session: Session, paths: Sequence[str]) -> dict[str, str | None]:
        return self._op("read-texts", dict[str, str | None], session=session,  # type: ignore[arg-type]
                        paths=list(paths))

    def plan_land(self, session: Session, mode: str, onto: str | None) -> LandPlan:
        return self._op("plan-land", LandPlan, session=session, mode=mode, onto=onto)

    def land(self, session: Session, mode: str, onto: str | None) -> LandResult:
        return self._op("land", LandResult, session=session, mode=mode, onto=onto)


def _try(connection: SshConnection) -> None:
    """One round trip (a master that still answers here proves nothing of the host); its
    outcome is what the connection's reachability records."""
    try:
        connection.run(["true"], timeout=connection.connect_timeout + 10)
    except LoupeError:
        pass


def _last_json(stdout: str) -> Any:
    for line in reversed(stdout.splitlines()):
        if line.strip():
            try:
                return json.loads(line)
            except ValueError:
                return None
    return None

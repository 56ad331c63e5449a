"""SessionManager: every session operation, without any UI.

The app, the `loupe session` CLI and the tests all go through this class. It is safe to use
from several threads (the UI's workers and its monitor): state lives in the store, in tmux
and in the observer, which locks its own memory.
"""

from __future__ import annotations

import secrets
import shlex
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tui import locations, private_files
from tui.config import Config
from tui.config import load as load_config
from tui.sessions import agents, diff, environment, hooks, land, output_log, worktrees
from tui.sessions.errors import NoSuchSession, RemovalRefused, SessionError, WorktreeError
from tui.sessions.model import Session, Snapshot, sessions_dir
from tui.sessions.observer import Observer
from tui.sessions.procs import end_session_processes
from tui.sessions.status import strip_ansi
from tui.sessions.status_file import State
from tui.sessions.store import SessionStore
from tui.sessions.tmux import PaneInfo, Tmux
from tui.workspace import find_repo_root

DEFAULT_SIZE = (160, 48)
# How long after sending text the agent has to show it is busy before idle counts again.
_REDELIVER_AFTER = 5.0
# Polls reuse store reads this long (seconds).
_STORE_TTL = 1.0
# The window's wrapper reads (and deletes) its environment file within this many seconds.
_ENV_READ_WITHIN = 10.0


def _wait_gone(path: Path, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while path.exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


@dataclass
class StartResult:
    session: Session
    warnings: list[str] = field(default_factory=list)
    copied: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SendOutcome:
    session: Session
    delivered: bool
    queued: bool


@dataclass
class RemoveResult:
    session: Session
    risks: list[worktrees.Risk]
    saved_ref: str | None = None


class SessionManager:
    def __init__(
        self,
        repo_root: Path,
        config: Config | None = None,
        *,
        store: SessionStore | None = None,
        socket: str | None = None,
    ) -> None:
        root = worktrees.main_repo_root(repo_root) or repo_root
        self.root = root.resolve()
        self.config = config if config is not None else load_config(self.root).config
        self.store = store or SessionStore()
        self.socket = socket or self.config.sessions.tmux_socket
        self.kind_problems: list[str] = []
        self.kinds = agents.agent_kinds(self.config.agents, self.kind_problems)
        self.observer = Observer(self.kinds)
        self._tmux: dict[str, Tmux] = {}
        self._deliveries: dict[str, tuple[float, bool]] = {}
        # Sessions whose tmux session existed at the last poll (captured without a check).
        self._alive: set[str] = set()
        self._polled = False
        # The store read at most once a second by polls (other loupes and the CLI write it).
        self._cache: dict[str, tuple[float, object]] = {}

    # -- plumbing --------------------------------------------------------------------------

    def tmux(self, socket: str | None = None) -> Tmux:
        name = socket or self.socket
        if name not in self._tmux:
            self._tmux[name] = Tmux(name)
        return self._tmux[name]

    def sessions(self, *, include_removed: bool = False) -> list[Session]:
        return self.store.list(self.root, include_removed=include_removed)

    def _cached(self, key: str, load):  # noqa: ANN001, ANN202 - a tiny private helper
        now = time.monotonic()
        hit = self._cache.get(key)
        if hit is None or now - hit[0] > _STORE_TTL:
            hit = (now, load())
            self._cache[key] = hit
        return hit[1]

    def _recent_sessions(self) -> list[Session]:
        return self._cached("sessions", self.sessions)

    def _recent_pending(self) -> list:
        return self._cached("pending", self.store.pending)

    def invalidate(self) -> None:
        """Forget cached store reads (after this manager changed something)."""
        self._cache.clear()

    def get(self, session_id: str) -> Session:
        found = self.store.get(session_id)
        if found is None:
            raise NoSuchSession(f"no session '{session_id}'")
        return found

    def select(self, spec: str) -> list[Session]:
        """Sessions by number (`0`, `0,2`), id (or a unique prefix), or `all`."""
        known = self.sessions()
        if spec.strip() == "all":
            return known
        chosen: list[Session] = []
        for part in (p.strip() for p in spec.split(",")):
            if not part:
                continue
            if part.isdigit():
                # A number, never an id prefix: "7" must not pick a session whose id is 7a3f...
                match = [s for s in known if s.number == int(part) or s.id == part]
            else:
                match = [s for s in known if s.id == part] or [s for s in known if s.id.startswith(part)]
            if len(match) != 1:
                listing = ", ".join(f"{s.number} ({s.id})" for s in known) or "none"
                what = "matches several sessions" if match else "matches no session"
                raise NoSuchSession(f"'{part}' {what}; sessions here: {listing}")
            if match[0] not in chosen:
                chosen.append(match[0])
        if not chosen:
            raise NoSuchSession("no session given; use a number such as 0, a list such as 0,2, or all")
        return chosen

    # -- start -----------------------------------------------------------------------------

    def start(
        self,
        *,
        task: str,
        prompt: str = "",
        agent: str | None = None,
        base: str | None = None,
        fetch: bool | None = None,
        task_dir: Path | None = None,
        size: tuple[int, int] = DEFAULT_SIZE,
        agent_args: Sequence[str] = (),
        recorded_base: worktrees.Base | None = None,
    ) -> StartResult:
        """Start an agent in a new worktree from `base`.

        `agent_args` are appended (shell-quoted) to the agent's command line, e.g.
        `["--thread", id]` for a fork of the built-in agent. `recorded_base` is the base that
        diff and land use when the worktree starts somewhere else (a fork starts from a
        snapshot commit whose parent is its origin session's base).
        """
        settings = self.config.sessions
        kind = agents.get_kind(self.kinds, agent or settings.default_agent)
        tmux = self.tmux()
        tmux.binary  # noqa: B018 - fails now, with a clear message, when tmux is missing
        if find_repo_root(self.root) is None:
            raise WorktreeError(f"{self.root} is not a git repository; sessions need one")
        task = task.strip() or "session"
        if task_dir is not None and prompt.strip():
            prompt = f"{prompt.rstrip()}\n\nThe task's notes are in {task_dir}."
        session_id = self._new_id()
        probe = Session(id=session_id, repo=self.root, number=0, agent=kind.name,
                        status_source=kind.status, task=task, branch="", worktree=self.root,
                        worktree_name="", base_commit="", base_branch="", tmux_socket=self.socket,
                        port_base=0, prompt=prompt, task_dir=task_dir)
        prep = environment.session_env(probe)
        command = self._command(kind, probe, prompt, agent_args)
        # Before anything exists: a missing agent must not leave a worktree behind.
        agents.check_installed(command, prep.env["PATH"])
        if fetch if fetch is not None else settings.fetch:
            worktrees.fetch(self.root)
        resolved = worktrees.resolve_base(self.root, base or settings.base)
        created = worktrees.create_worktree(self.root, task, resolved.commit)
        session = probe
        session.worktree, session.branch, session.worktree_name = created.path, created.branch, created.name
        session.base_commit, session.base_branch = resolved.commit, resolved.branch
        if recorded_base is not None:
            session.base_commit, session.base_branch = recorded_base.commit, recorded_base.branch
        session.base_ref = base or settings.base
        try:
            self.store.add(session, port_start=settings.port_range_start)
            result = self._launch(session, kind, prompt, size, agent_args)
        except BaseException:
            self._undo_start(session)
            raise
        finally:
            self.invalidate()
        self._alive.add(session.tmux_session)
        return result

    def _new_id(self) -> str:
        while True:
            candidate = secrets.token_hex(3)
            # An all-digit id would read as a session number on the command line.
            if candidate.isdigit():
                continue
            if self.store.get(candidate) is None and not (sessions_dir() / candidate).exists():
                return candidate

    def _command(self, kind: agents.AgentKind, session: Session, prompt: str,
                 agent_args: Sequence[str] = ()) -> str:
        loupe = locations.loupe_command()
        values = agents.placeholder_values(
            prompt=prompt if kind.takes_prompt_argument else "", worktree=session.worktree,
            task=session.task, task_dir=session.task_dir, session=session.id, loupe=loupe,
            hook_command=hooks.hook_command(loupe, session.id),
        )
        command = agents.render_command(kind.command, values)
        return f"{command} {shlex.join(agent_args)}" if agent_args else command

    def _launch(self, session: Session, kind: agents.AgentKind, prompt: str,
                size: tuple[int, int], agent_args: Sequence[str] = ()) -> StartResult:
        settings = self.config.sessions
        prep = environment.session_env(session)
        result = StartResult(session=session, warnings=list(prep.warnings))
        environment.private_folder(session)
        result.copied = environment.copy_included_files(self.root, session.worktree)
        if kind.status == "claude":
            worktrees.exclude_generated_files(self.root)
            hooks.install_claude_hooks(session.worktree,
                                       hooks.hook_command(locations.loupe_command(), session.id))
        setup = ""
        if settings.setup_script:
            if (session.worktree / settings.setup_script).is_file():
                setup = settings.setup_script
            elif (self.root / settings.setup_script).is_file():
                setup = str(self.root / settings.setup_script)
            else:
                result.warnings.append(f"setup script {settings.setup_script} not found; skipped")
        session.command = self._command(kind, session, prompt, agent_args)
        self.store.update(session.id, command=session.command, worktree=session.worktree)
        tmux = self.tmux(session.tmux_socket)
        script = environment.write_run_script(session, command=session.command,
                                               tmux_binary=tmux.binary, setup_script=setup)
        environment.write_env_file(session, prep.env)
        tmux.new_session(session.tmux_session, f"sh {script}", cwd=session.worktree, size=size)
        tmux.set_option(session.tmux_session, "remain-on-exit", "on", window=True)
        tmux.set_option(session.tmux_session, "status-right",
                        f" loupe {session.number} · {session.task[:30]} · detach: prefix d ")
        if (problem := output_log.start(tmux, session)) is not None:
            result.warnings.append(problem)
        tmux.signal_channel(environment.go_channel(session))
        if prompt.strip() and not kind.takes_prompt_argument:
            self.store.enqueue(session.id, prompt)
        if not _wait_gone(session.env_file, _ENV_READ_WITHIN):
            # The window never read it (tmux or sh failed): the wrapper, if it ever runs,
            # stops with a clear message rather than run the agent without its environment.
            session.env_file.unlink(missing_ok=True)
            result.warnings.append(
                f"the session's window did not start within {_ENV_READ_WITHIN:g}s; "
                "it will stop without running the agent")
        return result

    def _undo_start(self, session: Session) -> None:
        """Take back a start that failed half way; the new branch has no work on it yet."""
        try:
            self.tmux(session.tmux_socket).kill_session(session.tmux_session)
        except SessionError:
            pass
        self.store.delete(session.id)
        try:
            worktrees.delete_worktree(session)
            repo = worktrees.open_repo(self.root)
            branch = repo.lookup_branch(session.branch)
            if branch is not None and str(branch.target) == session.base_commit:
                branch.delete()
        except SessionError:
            pass
        shutil.rmtree(session.folder, ignore_errors=True)

    # -- observing -------------------------------------------------------------------------

    def panes(self, sessions: list[Session]) -> dict[str, PaneInfo]:
        found: dict[str, PaneInfo] = {}
        for socket in {s.tmux_socket for s in sessions}:
            found.update(self.tmux(socket).list_panes())
        return found

    def poll(self, capture: set[str] | None = None) -> list[Snapshot]:
        """Every session of this repository as it is now.

        Screens are captured for the ids in `capture` (None: every live session); the others
        are judged by their last capture, hooks and tmux.
        """
        sessions = self._recent_sessions()
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
        pending: dict[str, int] = {}
        for item in self._recent_pending():
            pending[item.session_id] = pending.get(item.session_id, 0) + 1
        now = time.time()
        snapshots = []
        for session in sessions:
            pane = panes.get(session.tmux_session)
            snapshot = self.observer.observe(session, pane, screens.get(session.tmux_session), now,
                                             queued=pending.get(session.id, 0))
            if snapshot.state is State.EXITED and session.ended_at is None:
                self._record_end(session, snapshot, pane)
            snapshots.append(snapshot)
        return snapshots

    def _record_end(self, session: Session, snapshot: Snapshot, pane: PaneInfo | None) -> None:
        if pane is not None:
            try:
                screen = self.tmux(session.tmux_socket).capture(session.tmux_session)
                private_files.write_private(session.last_screen_file, screen)
            except (SessionError, OSError):
                pass
        if self.store.mark_ended(session.id, snapshot.exit_code):
            self.store.drop_queue(session.id)
        self.invalidate()
        session.ended_at = time.time()
        session.exit_code = snapshot.exit_code

    def last_screen(self, session: Session) -> str:
        """The screen as last seen: live capture, saved capture, or the end of the log."""
        seen = self.observer.last_screen(session.id)
        if seen:
            return seen
        if session.last_screen_file.exists():
            return session.last_screen_file.read_text(encoding="utf-8", errors="replace")
        if session.log_file.exists():
            with session.log_file.open("rb") as handle:
                handle.seek(max(0, session.log_file.stat().st_size - 16384))
                tail = handle.read().decode("utf-8", "replace")
            return "\n".join(strip_ansi(tail).replace("\r", "").splitlines()[-40:])
        return ""

    def capture(self, session: Session, *, ansi: bool = True) -> str:
        tmux = self.tmux(session.tmux_socket)
        if tmux.has_session(session.tmux_session):
            return tmux.capture(session.tmux_session, ansi=ansi)
        screen = self.last_screen(session)
        return screen if ansi else strip_ansi(screen)

    # -- input -----------------------------------------------------------------------------

    def send(self, targets: list[Session], text: str, *, when_idle: bool = False) -> list[SendOutcome]:
        outcomes = []
        snapshots = {s.session.id: s for s in self.poll({t.id for t in targets})} if targets else {}
        for session in targets:
            snapshot = snapshots.get(session.id)
            if snapshot is None or snapshot.state is State.EXITED:
                raise SessionError(f"session {session.number} ({session.id}) has exited; "
                                   "start a new one to continue")
        for session in targets:
            if when_idle:
                self.store.enqueue(session.id, text)
                outcomes.append(SendOutcome(session, delivered=False, queued=True))
            else:
                self._type(session, text)
                outcomes.append(SendOutcome(session, delivered=True, queued=False))
        if when_idle:
            self.invalidate()
            delivered = {s.id for s in self.deliver_queued(list(snapshots.values()))}
            outcomes = [SendOutcome(o.session, o.session.id in delivered, not (o.session.id in delivered))
                        for o in outcomes]
        return outcomes

    def _type(self, session: Session, text: str) -> None:
        self.tmux(session.tmux_socket).send_text(session.tmux_session, text)
        self.observer.nudge(session.id)

    def deliver_queued(self, snapshots: list[Snapshot]) -> list[Session]:
        """Send the oldest queued text of each idle session; one per idle spell."""
        delivered: list[Session] = []
        now = time.time()
        pending = self.store.pending()
        for snapshot in snapshots:
            sid = snapshot.session.id
            last = self._deliveries.get(sid)
            if last is not None and snapshot.state is not State.IDLE:
                self._deliveries[sid] = (last[0], True)
            if snapshot.state is not State.IDLE:
                continue
            if last is not None and not last[1] and now - last[0] < _REDELIVER_AFTER:
                continue
            item = next((q for q in pending if q.session_id == sid), None)
            if item is None or not self.store.claim(item.id):
                continue
            try:
                self._type(snapshot.session, item.text)
            except SessionError:
                self.store.unclaim(item.id)
                raise
            self._deliveries[sid] = (now, False)
            delivered.append(snapshot.session)
        if delivered:
            self.invalidate()
        return delivered

    # -- ending ----------------------------------------------------------------------------

    def stop(self, session: Session, *, grace: float = 5.0) -> int | None:
        """End the agent and everything it started; the window stays with its last screen."""
        tmux = self.tmux(session.tmux_socket)
        pane = tmux.list_panes().get(session.tmux_session)
        if pane is not None and not pane.dead:
            end_session_processes(pane.pid, grace=grace)
            deadline = time.monotonic() + 3.0
            while time.monotonic() < deadline:
                pane = tmux.list_panes().get(session.tmux_session)
                if pane is None or pane.dead:
                    break
                time.sleep(0.05)
        for snapshot in self.poll({session.id}):
            if snapshot.session.id == session.id:
                return snapshot.exit_code
        return None

    def stop_many(self, sessions: list[Session], *, grace: float = 5.0) -> dict[str, int | None | Exception]:
        """Stop several sessions at once: together they take one grace period, not one each
        (an interactive shell ignores SIGTERM, so each would wait the whole grace).

        Returns each session's exit code by id, or the exception that stopping it raised.
        """
        from concurrent.futures import ThreadPoolExecutor

        if not sessions:
            return {}
        results: dict[str, int | None | Exception] = {}
        with ThreadPoolExecutor(max_workers=min(8, len(sessions))) as pool:
            futures = {s.id: pool.submit(self.stop, s, grace=grace) for s in sessions}
        for sid, future in futures.items():
            error = future.exception()
            results[sid] = error if isinstance(error, Exception) else future.result()
        return results

    def live_sessions(self) -> list[Session]:
        return [s.session for s in self.poll(set()) if s.live]

    def removal_risks(self, session: Session) -> list[worktrees.Risk]:
        live = any(s.session.id == session.id and s.live for s in self.poll(set()))
        return worktrees.removal_risks(session, live=live, disposable=self.config.sessions.disposable)

    def remove(self, session: Session, *, confirm: bool = False) -> RemoveResult:
        """Delete the worktree when nothing would be lost (or when confirmed); keep the branch."""
        risks = self.removal_risks(session)
        if risks and not confirm:
            listing = "; ".join(r.message for r in risks)
            raise RemovalRefused(f"not removing session {session.number} ({session.id}): {listing}. "
                                 "Confirm to remove anyway (the work is saved to "
                                 f"refs/loupe/removed/{session.id} first)")
        result = RemoveResult(session=session, risks=risks)
        if any(r.kind == "live" for r in risks):
            self.stop(session)
        result.saved_ref = worktrees.save_leftovers(session, disposable=self.config.sessions.disposable)
        self.tmux(session.tmux_socket).kill_session(session.tmux_session)
        worktrees.delete_worktree(session)
        self.store.drop_queue(session.id)
        self.store.update(session.id, removed_at=time.time())
        self.invalidate()
        self.observer.forget(session.id)
        if session.folder.parent == sessions_dir() and session.folder.name == session.id:
            shutil.rmtree(session.folder, ignore_errors=True)
        return result

    # -- reviewing -------------------------------------------------------------------------

    def diff(self, session: Session) -> diff.SessionDiff:
        return diff.session_diff(session)

    def diff_stat(self, session: Session) -> diff.DiffStat:
        return diff.diff_stat(session)

    def plan_land(self, session: Session, mode: str = "merge", onto: str | None = None) -> land.LandPlan:
        return land.plan(session, mode, onto)

    def land(self, session: Session, mode: str = "merge", onto: str | None = None) -> land.LandResult:
        return land.land(session, mode, onto)

    def attach_argv(self, session: Session) -> list[str]:
        return self.tmux(session.tmux_socket).attach_argv(session.tmux_session)

"""SessionManager: every session operation, without any UI.

The app, the `loupe session` CLI and the tests all go through this class. It is safe to use
from several threads (the UI's workers and its monitor): state lives in the store, on the
hosts and in the observer, which locks its own memory.

It keeps what is the same wherever a session runs (the store, numbers and ports, the queue,
the observer's memory) and asks the session's host (`tui.sessions.host`) for everything
that happens in a place: worktrees, windows, screens, processes, diffs.
"""

from __future__ import annotations

import secrets
import shlex
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from tui.config import Config
from tui.config import load as load_config
from tui.sessions import agents, hooks, worktrees
from tui.sessions.diff import DiffStat, SessionDiff
from tui.sessions.errors import (HostUnreachable, NoSuchSession, RemovalRefused, SessionError,
                                 UnknownHost)
from tui.sessions.host import GONE, AttachCommand, Launch, Observed, Ran, SessionHost
from tui.sessions.land import LandPlan, LandResult
from tui.sessions.local_host import LocalHost
from tui.sessions.model import LOCAL_HOST, Session, Snapshot
from tui.sessions.observer import Observer
from tui.sessions.status import strip_ansi
from tui.sessions.status_file import State
from tui.sessions.store import SessionStore

if TYPE_CHECKING:
    from tui.sessions.tmux import Tmux

DEFAULT_SIZE = (160, 48)
# How long after sending text the agent has to show it is busy before idle counts again.
_REDELIVER_AFTER = 5.0
# Polls reuse store reads this long (seconds).
_STORE_TTL = 1.0


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
        self.hosts: dict[str, SessionHost] = self._build_hosts()
        self._deliveries: dict[str, tuple[float, bool]] = {}
        # The store read at most once a second by polls (other loupes and the CLI write it).
        self._cache: dict[str, tuple[float, object]] = {}

    # -- plumbing --------------------------------------------------------------------------

    def _build_hosts(self) -> dict[str, SessionHost]:
        """Every host sessions of this repository may run on, by name; another kind of host
        (from a `[hosts.NAME]` table) is one more entry here."""
        return {LOCAL_HOST: LocalHost(self.root, self.socket)}

    def host(self, name: str) -> SessionHost:
        found = self.hosts.get(name)
        if found is None:
            raise UnknownHost(f"host '{name}' is not configured here; add a [hosts.{name}] table to "
                              f"the config, or use one of: {', '.join(sorted(self.hosts))}")
        return found

    def host_of(self, session: Session) -> SessionHost:
        return self.host(session.host)

    def tmux(self, socket: str | None = None) -> Tmux:
        """The local tmux server on `socket` (for the views' attach and tests)."""
        local = self.hosts[LOCAL_HOST]
        assert isinstance(local, LocalHost)
        return local.tmux(socket)

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
        host: str = LOCAL_HOST,
    ) -> StartResult:
        """Start an agent in a new worktree from `base`, on `host`.

        `agent_args` are appended (shell-quoted) to the agent's command line, e.g.
        `["--thread", id]` for a fork of the built-in agent. `recorded_base` is the base that
        diff and land use when the worktree starts somewhere else (a fork starts from a
        snapshot commit whose parent is its origin session's base).
        """
        settings = self.config.sessions
        kind = agents.get_kind(self.kinds, agent or settings.default_agent)
        place = self.host(host)
        place.check_ready()
        task = task.strip() or "session"
        if task_dir is not None and prompt.strip():
            prompt = f"{prompt.rstrip()}\n\nThe task's notes are in {task_dir}."
        probe = Session(id=self._new_id(), repo=self.root, number=0, agent=kind.name,
                        status_source=kind.status, task=task, branch="", worktree=self.root,
                        worktree_name="", base_commit="", base_branch="",
                        tmux_socket=place.tmux_socket, port_base=0, prompt=prompt,
                        task_dir=task_dir, host=place.name)
        env = place.agent_environment(probe).env
        # Before anything exists: a missing agent must not leave a worktree behind.
        place.check_agent(self._command(place, kind, probe, prompt, env, agent_args), env)
        if fetch if fetch is not None else settings.fetch:
            place.fetch()
        resolved = place.resolve_base(base or settings.base)
        created = place.create_worktree(task, resolved.commit)
        session = probe
        session.worktree, session.branch, session.worktree_name = created.path, created.branch, created.name
        session.base_commit, session.base_branch = resolved.commit, resolved.branch
        if recorded_base is not None:
            session.base_commit, session.base_branch = recorded_base.commit, recorded_base.branch
        session.base_ref = base or settings.base
        try:
            self.store.add(session, port_start=settings.port_range_start)
            result = self._launch(place, session, kind, prompt, size, agent_args)
        except BaseException:
            self.store.delete(session.id)
            place.discard(session)
            raise
        finally:
            self.invalidate()
        return result

    def _new_id(self) -> str:
        while True:
            candidate = secrets.token_hex(3)
            # An all-digit id would read as a session number on the command line.
            if candidate.isdigit():
                continue
            if self.store.get(candidate) is None:
                return candidate

    def _command(self, place: SessionHost, kind: agents.AgentKind, session: Session, prompt: str,
                 env: Mapping[str, str], agent_args: Sequence[str] = ()) -> str:
        loupe = place.loupe_command()
        values = agents.placeholder_values(
            prompt=prompt if kind.takes_prompt_argument else "", worktree=session.worktree,
            task=session.task, task_dir=session.task_dir, session=session.id, loupe=loupe,
            hook_command=hooks.hook_command(loupe, session.id), shell=env.get("SHELL"),
        )
        command = agents.render_command(kind.command, values)
        return f"{command} {shlex.join(agent_args)}" if agent_args else command

    def _launch(self, place: SessionHost, session: Session, kind: agents.AgentKind, prompt: str,
                size: tuple[int, int], agent_args: Sequence[str] = ()) -> StartResult:
        prep = place.agent_environment(session)
        session.command = self._command(place, kind, session, prompt, prep.env, agent_args)
        self.store.update(session.id, command=session.command, worktree=session.worktree)
        claude_hook = hooks.hook_command(place.loupe_command(), session.id) if kind.status == "claude" else []
        launched = place.launch(session, Launch(
            command=session.command, env=prep.env, setup_script=self.config.sessions.setup_script,
            claude_hook=claude_hook, size=size,
            status_line=f" loupe {session.number} · {session.task[:30]} · detach: prefix d "))
        if prompt.strip() and not kind.takes_prompt_argument:
            self.store.enqueue(session.id, prompt)
        return StartResult(session=session, warnings=[*prep.warnings, *launched.warnings],
                           copied=launched.copied)

    # -- observing -------------------------------------------------------------------------

    def _observe(self, sessions: list[Session],
                 capture: set[str] | None) -> tuple[dict[str, Observed], dict[str, str]]:
        """What each session's host sees (one poll per host), and why a host could not say."""
        seen: dict[str, Observed] = {}
        unreachable: dict[str, str] = {}
        by_host: dict[str, list[Session]] = {}
        for session in sessions:
            by_host.setdefault(session.host, []).append(session)
        for name, group in by_host.items():
            try:
                seen.update(self.host(name).poll(group, capture))
            except (HostUnreachable, UnknownHost) as exc:
                unreachable.update((s.id, str(exc)) for s in group)
        return seen, unreachable

    def poll(self, capture: set[str] | None = None) -> list[Snapshot]:
        """Every session of this repository as it is now.

        Screens are captured for the ids in `capture` (None: every live session); the others
        are judged by their last capture, hooks and tmux. Sessions whose host cannot be
        reached are "unreachable" (unless they had already ended).
        """
        sessions = self._recent_sessions()
        seen, unreachable = self._observe(sessions, capture)
        pending: dict[str, int] = {}
        for item in self._recent_pending():
            pending[item.session_id] = pending.get(item.session_id, 0) + 1
        now = time.time()
        snapshots = []
        for session in sessions:
            queued = pending.get(session.id, 0)
            if session.id in unreachable and session.ended_at is None:
                snapshots.append(Snapshot(session=session, state=State.UNREACHABLE, since=now,
                                          source="host", detail=unreachable[session.id], queued=queued))
                continue
            observed = seen.get(session.id, GONE)
            snapshot = self.observer.observe(session, observed.pane, observed.screen, now,
                                             queued=queued, reported=observed.reported)
            if snapshot.state is State.EXITED and session.ended_at is None:
                self._record_end(session, snapshot, observed)
            snapshots.append(snapshot)
        return snapshots

    def _record_end(self, session: Session, snapshot: Snapshot, observed: Observed) -> None:
        if observed.pane is not None:
            self.host_of(session).save_last_screen(session)
        if self.store.mark_ended(session.id, snapshot.exit_code):
            self.store.drop_queue(session.id)
        self.invalidate()
        session.ended_at = time.time()
        session.exit_code = snapshot.exit_code

    def watch_reports(self, stop: threading.Event, changed: Callable[[], None]) -> None:
        """Call `changed` when any host's status reports change, until `stop` is set."""
        watchers = [threading.Thread(target=host.watch_reports, args=(stop, changed),
                                     name=f"loupe-sessions-watch-{name}", daemon=True)
                    for name, host in self.hosts.items()]
        for watcher in watchers:
            watcher.start()
        for watcher in watchers:
            watcher.join()

    def last_screen(self, session: Session) -> str:
        """The screen as last seen: live capture, saved capture, or the end of the log."""
        seen = self.observer.last_screen(session.id)
        if seen:
            return seen
        try:
            return self.host_of(session).last_screen(session)
        except (HostUnreachable, UnknownHost):
            return ""

    def capture(self, session: Session, *, ansi: bool = True) -> str:
        screen = self.host_of(session).capture(session, ansi=ansi)
        if screen is not None:
            return screen
        screen = self.last_screen(session)
        return screen if ansi else strip_ansi(screen)

    def processes(self, session: Session) -> list[int]:
        """The ids of the session's live processes on its host."""
        return self.host_of(session).processes(session)

    def run(self, session: Session, argv: Sequence[str], *, timeout: float = 600.0) -> Ran:
        """Run a command in the session's worktree, on its host, with the agent's environment."""
        return self.host_of(session).run(session, argv, timeout=timeout)

    # -- input -----------------------------------------------------------------------------

    def send(self, targets: list[Session], text: str, *, when_idle: bool = False) -> list[SendOutcome]:
        outcomes = []
        snapshots = {s.session.id: s for s in self.poll({t.id for t in targets})} if targets else {}
        for session in targets:
            snapshot = snapshots.get(session.id)
            if snapshot is None or snapshot.state is State.EXITED:
                raise SessionError(f"session {session.number} ({session.id}) has exited; "
                                   "start a new one to continue")
            if snapshot.state is State.UNREACHABLE and not when_idle:
                raise HostUnreachable(f"session {session.number} ({session.id}): {snapshot.detail}; "
                                      "use --when-idle to queue the text until it is back")
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
        self.host_of(session).send_text(session, text)
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

    def _snapshot(self, session: Session, capture: bool = False) -> Snapshot | None:
        return next((s for s in self.poll({session.id} if capture else set())
                     if s.session.id == session.id), None)

    def stop(self, session: Session, *, grace: float = 5.0) -> int | None:
        """End the agent and everything it started; the window stays with its last screen.

        Returns its exit code: the signal that ended it (128 + n) when loupe did, and it
        reads "stopped" from then on.
        """
        before = self._snapshot(session)
        if before is not None and before.live:
            # Recorded first: whoever sees the end next (another thread's poll) says "stopped".
            self.store.update(session.id, stopped_at=time.time())
            self.invalidate()
            try:
                self.host_of(session).stop(session, grace=grace)
            except BaseException:
                self.store.update(session.id, stopped_at=None)
                self.invalidate()
                raise
        after = self._snapshot(session)
        return after.exit_code if after is not None else None

    def stop_many(self, sessions: list[Session], *, grace: float = 5.0) -> dict[str, int | None | Exception]:
        """Stop several sessions at once: together they take one grace period, not one each.

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
        snapshot = self._snapshot(session)
        live = snapshot is not None and snapshot.live
        return self.host_of(session).removal_risks(session, live=live)

    def remove(self, session: Session, *, confirm: bool = False) -> RemoveResult:
        """Delete the worktree when nothing would be lost (or when confirmed); keep the branch."""
        risks = self.removal_risks(session)
        if risks and not confirm:
            listing = "; ".join(r.message for r in risks)
            raise RemovalRefused(f"not removing session {session.number} ({session.id}): {listing}. "
                                 "Confirm to remove anyway (uncommitted work is saved to a ref first)")
        result = RemoveResult(session=session, risks=risks)
        if any(r.kind == "live" for r in risks):
            self.stop(session)
        result.saved_ref = self.host_of(session).remove_worktree(session)
        self.store.drop_queue(session.id)
        self.store.update(session.id, removed_at=time.time())
        self.invalidate()
        self.observer.forget(session.id)
        return result

    # -- reviewing -------------------------------------------------------------------------

    def diff(self, session: Session) -> SessionDiff:
        return self.host_of(session).diff(session)

    def diff_stat(self, session: Session) -> DiffStat:
        return self.host_of(session).diff_stat(session)

    def plan_land(self, session: Session, mode: str = "merge", onto: str | None = None) -> LandPlan:
        return self.host_of(session).plan_land(session, mode, onto)

    def land(self, session: Session, mode: str = "merge", onto: str | None = None) -> LandResult:
        return self.host_of(session).land(session, mode, onto)

    def attach_command(self, session: Session) -> AttachCommand:
        """The command (and its environment) that hands this terminal to the session."""
        return self.host_of(session).attach(session)

    def attach_argv(self, session: Session) -> list[str]:
        return self.attach_command(session).argv

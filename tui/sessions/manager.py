"""SessionManager: every session operation, without any UI.

The app, the `loupe session` CLI and the tests all go through this class. It is safe to use
from several threads (the UI's workers and its monitor): state lives in the store, on the
hosts and in the observer, which locks its own memory.

It keeps what is the same wherever a session runs (the store, numbers and ports, the queue,
the observer's memory) and asks the session's host (`tui.sessions.host`) for everything
that happens in a place: worktrees, windows, screens, processes, diffs.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tui.config import Config
from tui.config import load as load_config
from tui.sessions import agents, worktrees
from tui.sessions.delivery import Delivery, SendOutcome
from tui.sessions.diff import DiffStat, SessionDiff
from tui.sessions.errors import HostUnreachable, NoSuchSession, RemovalRefused, UnknownHost
from tui.sessions.host import GONE, AttachCommand, Observed, Ran, SessionHost
from tui.sessions.idle_stop import IdleStop
from tui.sessions.land import LandPlan, LandResult
from tui.sessions.local_host import LocalHost
from tui.sessions.model import INTERRUPTED, KILLED, LOCAL_HOST, Session, Snapshot
from tui.sessions.observer import Observer
from tui.sessions.ssh_host import SshHost
from tui.sessions.starting import DEFAULT_SIZE, SessionStarter, StartResult
from tui.sessions.status import strip_ansi
from tui.sessions.status_file import State
from tui.sessions.stop_report import Process, Stopped
from tui.sessions.store import SessionStore

if TYPE_CHECKING:
    from tui.sessions.tmux import Tmux

# Polls reuse store reads this long (seconds).
_STORE_TTL = 1.0


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
        self.idle_stop = IdleStop(self.config)
        self._starter = SessionStarter(self.root, self.config, self.kinds, self.store,
                                       host=self.host, changed=self.invalidate)
        self._delivery = Delivery(self.store, self.observer, poll=self.poll, host_of=self.host_of,
                                  changed=self.invalidate, kinds=self.kinds)
        # The store read at most once a second by polls (other loupes and the CLI write it).
        self._cache: dict[str, tuple[float, object]] = {}

    # -- plumbing --------------------------------------------------------------------------

    def _build_hosts(self) -> dict[str, SessionHost]:
        """Every host sessions of this repository may run on, by name: this machine, and each
        `[hosts.NAME]` table (reached over SSH when first used)."""
        hosts: dict[str, SessionHost] = {LOCAL_HOST: LocalHost(self.root, self.socket, self.config.sessions)}
        for name, config in self.config.hosts.items():
            if name != LOCAL_HOST:
                hosts[name] = SshHost(name, config, self.config.sessions)
        return hosts

    def close(self) -> None:
        """Close every host's connection (the app at exit, each CLI command when done)."""
        for host in self.hosts.values():
            host.close()

    def retry_hosts(self) -> None:
        """Hosts that could not be reached are tried again at the next poll, not after their
        backoff."""
        for host in self.hosts.values():
            host.retry_now()

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

    def _recent_undelivered(self) -> list:
        return self._cached("undelivered", self.store.undelivered)

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

    # -- starting and typing in -------------------------------------------------------------

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
        phase: str = "",
        output: str = "",
        worktree: bool = True,
    ) -> StartResult:
        """Start an agent in a new worktree from `base`, on `host`; a task phase records its
        `phase` and `output`, and `worktree=False` runs it in `task_dir` itself (see
        `SessionStarter.start`)."""
        return self._starter.start(task=task, prompt=prompt, agent=agent, base=base, fetch=fetch,
                                   task_dir=task_dir, size=size, agent_args=agent_args,
                                   recorded_base=recorded_base, host=host, phase=phase,
                                   output=output, worktree=worktree)

    def send(self, targets: list[Session], text: str, *, when_idle: bool = False) -> list[SendOutcome]:
        """Type `text` + Enter into each session now, or queue it until they are idle."""
        return self._delivery.send(targets, text, when_idle=when_idle)

    def deliver_queued(self, snapshots: list[Snapshot]) -> list[Session]:
        """Send the oldest queued text of each idle session; one per idle spell."""
        return self._delivery.deliver_queued(snapshots)

    def retry_delivery(self, sessions: list[Session]) -> int:
        """Type again the texts loupe gave up on ("not delivered") for these sessions, once
        each is ready for them, as if they were just queued; how many there were."""
        count = sum(self.store.retry(session.id) for session in sessions)
        if count:
            self.invalidate()
        return count

    # -- observing -------------------------------------------------------------------------

    def _observe(self, sessions: list[Session],
                 capture: set[str] | None) -> tuple[dict[str, Observed], dict[str, str]]:
        """What each session's host sees (one poll per host, the hosts all at once, so a far
        one adds its own latency only), and why a host could not say."""
        by_host: dict[str, list[Session]] = {}
        for session in sessions:
            by_host.setdefault(session.host, []).append(session)

        def poll(name: str) -> tuple[dict[str, Observed], str]:
            try:
                return self.host(name).poll(by_host[name], capture), ""
            except (HostUnreachable, UnknownHost) as exc:
                return {}, str(exc)

        if len(by_host) > 1:
            with ThreadPoolExecutor(max_workers=len(by_host), thread_name_prefix="loupe-poll") as pool:
                answers = dict(zip(by_host, pool.map(poll, by_host), strict=True))
        else:
            answers = {name: poll(name) for name in by_host}
        seen: dict[str, Observed] = {}
        unreachable: dict[str, str] = {}
        for name, (observed, why) in answers.items():
            seen.update(observed)
            if why:
                unreachable.update((s.id, why) for s in by_host[name])
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
        undelivered: dict[str, int] = {}
        for item in self._recent_undelivered():
            undelivered[item.session_id] = undelivered.get(item.session_id, 0) + 1
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
            if session.id in undelivered:
                snapshot = dataclasses.replace(snapshot, undelivered=undelivered[session.id])
            if snapshot.state is State.EXITED and session.ended_at is None:
                self._record_end(session, snapshot, observed)
            elif session.ended_at is not None and observed.pane is not None and not observed.pane.dead:
                self._take_back_end(session)
            snapshots.append(snapshot)
        return snapshots

    def _record_end(self, session: Session, snapshot: Snapshot, observed: Observed) -> None:
        if observed.pane is not None:
            self.host_of(session).save_last_screen(session)
        reason = KILLED if snapshot.killed else INTERRUPTED if snapshot.interrupted else ""
        if self.store.mark_ended(session.id, snapshot.exit_code, reason):
            self.store.drop_queue(session.id)
        self.invalidate()
        session.ended_at = time.time()
        session.exit_code = snapshot.exit_code
        session.end_reason = reason

    def _take_back_end(self, session: Session) -> None:
        """Its window is alive: whoever recorded its end (a listing that raced its start,
        before sessions were "starting") was wrong."""
        self.store.reopen(session.id)
        self.invalidate()
        session.ended_at = None
        session.exit_code = None
        session.end_reason = ""

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
        if before is not None and before.killed:
            # Its window is gone, not its processes, maybe; it still reads "killed".
            self.host_of(session).stop(session, grace=grace)
        elif before is not None and before.live:
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
        if not sessions:
            return {}
        results: dict[str, int | None | Exception] = {}
        with ThreadPoolExecutor(max_workers=min(8, len(sessions))) as pool:
            futures = {s.id: pool.submit(self.stop, s, grace=grace) for s in sessions}
        for sid, future in futures.items():
            error = future.exception()
            results[sid] = error if isinstance(error, Exception) else future.result()
        return results

    def stop_reporting(self, sessions: list[Session], *, grace: float = 5.0) -> dict[str, Stopped | Exception]:
        """`stop_many`, with each session's processes that still run after it (escaped
        daemons), for the message that says what was left running."""
        outcomes = self.stop_many(sessions, grace=grace)
        reports: dict[str, Stopped | Exception] = {}
        for session in sessions:
            outcome = outcomes.get(session.id)
            if isinstance(outcome, Exception):
                reports[session.id] = outcome
                continue
            try:
                reports[session.id] = Stopped(outcome, self.left_running(session))
            except (HostUnreachable, UnknownHost):
                reports[session.id] = Stopped(outcome)
        return reports

    def left_running(self, session: Session) -> list[Process]:
        """The session's processes that still run on its host though it was stopped."""
        return self.host_of(session).left_running(session)

    def stop_idle(self, snapshots: list[Snapshot]) -> list[Session]:
        """Stop the sessions of `snapshots` idle past their `idle_stop_minutes` (never one that
        needs you, never removing anything); the ones it stopped."""
        due = self.idle_stop.due(snapshots)
        outcomes = self.stop_many(due)
        return [s for s in due if not isinstance(outcomes.get(s.id), Exception)]

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
                                 "Confirm to remove anyway (the work is saved to "
                                 f"refs/loupe/removed/{session.id} first)")
        result = RemoveResult(session=session, risks=risks)
        # Also a killed session, whose processes may have outlived its window.
        self.stop(session)
        result.saved_ref = self.host_of(session).remove_worktree(session)
        if session.launched_at is None:
            # A start that never ran its agent: its branch, still at its base, goes too.
            self.host_of(session).discard(session)
        self.store.drop_queue(session.id)
        self.store.update(session.id, removed_at=time.time())
        self.invalidate()
        self.observer.forget(session.id)
        return result

    # -- reviewing -------------------------------------------------------------------------

    def diff(self, session: Session) -> SessionDiff:
        return self.host_of(session).diff(session)

    def read_texts(self, session: Session, paths: Sequence[str]) -> dict[str, str | None]:
        """Files of the session's checkout as they are on its host now (`SessionHost.read_texts`)."""
        return self.host_of(session).read_texts(session, paths)

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

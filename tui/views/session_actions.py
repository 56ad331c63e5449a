"""What the session grid does to sessions: start, send, attach, diff, stop, land, remove.

`SessionCommands` is a helper object the `SessionsView` owns (composition, not a mixin), so
the view itself is only about showing sessions: it reaches the view as a `Grid`
(`session_grid`) and as the widget that asks, notifies and runs workers. What touches a
store, tmux or a host runs in a thread worker of the view; the operations that can lose or
change work ask first, saying exactly what will happen.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from textual.app import SuspendNotSupported
from textual.dom import DOMNode
from textual.widget import Widget

from tui.dialogs.confirm import ConfirmScreen
from tui.errors import LoupeError
from tui.sessions.stop_report import Stopped, stop_lines
from tui.views.session_grid import Grid, focused_snapshot, ready

if TYPE_CHECKING:
    from tui.dialogs.send_text import SendRequest
    from tui.dialogs.sessions import StartRequest
    from tui.sessions.model import Session, Snapshot

# Hands the terminal to `tmux attach` (argv, environment) and returns its exit code.
AttachRunner = Callable[[list[str], dict[str, str]], int]


def run_attached(argv: list[str], env: dict[str, str]) -> int:
    """Run `tmux attach` in this terminal until the user detaches."""
    return subprocess.run(argv, env=env).returncode


def notify_stopped(node: DOMNode, sessions: list[Session], outcomes: Mapping[str, Stopped | Exception]) -> None:
    """One notification per session stopped (any thread: `notify` is thread-safe); a warning
    naming the processes it left running. Plain text: command lines are the agent's."""
    for session in sessions:
        outcome = outcomes.get(session.id)
        if isinstance(outcome, Exception):
            node.notify(str(outcome), title=f"Stopping {session.number}", severity="error", markup=False)
        elif outcome is not None:
            lines = stop_lines(session.number, outcome.exit_code, outcome.left_running)
            node.notify("\n".join(lines), severity="warning" if outcome.left_running else "information",
                        markup=False)




class SessionCommands:
    def __init__(self, grid: Grid, widget: Widget) -> None:
        """`grid` and `widget` are the same view: its sessions, and the widget that asks,
        notifies and runs workers."""
        self.grid = grid
        self.widget = widget
        # Tests swap it for one that attaches in a pseudo-terminal of their own.
        self.attach_runner: AttachRunner = run_attached

    def _in_thread(self, group: str, work: Callable[[], object]) -> None:
        """Run `work` in a thread worker of the view, so it ends with the view; it reports its
        own errors, so one failing never takes the app down."""
        self.widget.run_worker(work, thread=True, exit_on_error=False, group=group)

    def _confirm_from_thread(self, dialog: ConfirmScreen, then: Callable[[], object]) -> None:
        """From a worker thread: ask, and run `then` (on the UI loop) if the answer is yes."""
        app = self.grid.app
        app.call_later(app.push_screen, dialog, lambda yes: then() if yes else None)

    def _focused(self) -> Snapshot | None:
        """The focused tile's session once the manager is open (neither: the user is told)."""
        snapshot = focused_snapshot(self.grid, self.widget)
        return None if snapshot is None or ready(self.grid, self.widget) is None else snapshot

    # -- start and send ------------------------------------------------------------------

    def new_session(self, task: str = "", task_dir: Path | None = None) -> None:
        manager = ready(self.grid, self.widget)
        if manager is None:
            return
        # The dialogs pull in heavy widgets (TextArea); loaded when first used, not at start.
        from tui.dialogs.sessions import NewSessionScreen

        kinds = [(name, kind.description) for name, kind in manager.kinds.items()]

        def start(request: StartRequest) -> object:
            return manager.start(task=request.task, prompt=request.prompt, agent=request.agent,
                                 base=request.base, fetch=request.fetch, task_dir=request.task_dir,
                                 host=request.host)

        def started(result: object) -> None:
            if result is None:
                return
            session = result.session  # type: ignore[attr-defined]
            self.grid.focus_once_seen(session.id)
            where = "" if session.host == "local" else f" on host {session.host}"
            self.widget.notify(f"{session.agent} on {session.branch}{where}, ports {session.port_base}+",
                               title=f"Started session {session.number}", markup=False)
            for warning in result.warnings:  # type: ignore[attr-defined]
                self.widget.notify(warning, title="Session started with a warning", severity="warning",
                                   timeout=8)
            self.grid.sessions.wake()

        self.grid.app.push_screen(
            NewSessionScreen(kinds, start=start, default_kind=manager.config.sessions.default_agent,
                             base=manager.config.sessions.base, task=task, task_dir=task_dir,
                             hosts=list(manager.hosts)),
            started,
        )

    def send(self) -> None:
        if (snapshot := self._focused()) is not None:
            session = snapshot.session
            self._ask_and_send([session], f"Send to session {session.number} ({session.agent} · {session.task})")

    def broadcast(self) -> None:
        if ready(self.grid, self.widget) is None:
            return
        marked = [t.session_id for t in self.grid.tiles() if t.marked]
        live = [s for s in self.grid.snapshots.values() if s.live]
        targets = [s.session for s in live if not marked or s.session.id in marked]
        if not targets:
            self.widget.notify("No running session to send to.", severity="warning")
            return
        numbers = ", ".join(str(s.number) for s in targets)
        which = "marked" if marked else "all running (mark tiles with space to choose)"
        self._ask_and_send(targets, f"Broadcast to sessions {numbers}: {which}")

    def _ask_and_send(self, targets: list[Session], title: str) -> None:
        def send(request: SendRequest | None) -> None:
            if request is not None:
                self._in_thread("sessions-send", lambda: self._send(targets, request))

        from tui.dialogs.send_text import SendMessageScreen

        threads = self.grid.app.services.threads
        self.grid.app.push_screen(SendMessageScreen(title, references=threads.reference_candidates), send)

    def _send(self, targets: list[Session], request: SendRequest) -> None:
        manager = self.grid.manager
        assert manager is not None
        from tui.references import expand_for_model

        # @task/artifact references: the agent gets the artifact's content, as chat's model does.
        expansion = expand_for_model(request.text, self.grid.app.services.threads.tasks_dir)
        for problem in expansion.problems:
            self.widget.notify(problem, title="Reference not attached", severity="warning", markup=False)
        try:
            outcomes = manager.send(targets, expansion.text, when_idle=request.when_idle)
        except Exception as exc:  # noqa: BLE001 - shown to the user, nothing else to undo
            self.widget.notify(str(exc), title="Not sent", severity="error")
            return
        sent = [str(o.session.number) for o in outcomes if o.delivered]
        queued = [str(o.session.number) for o in outcomes if o.queued]
        parts = []
        if sent:
            parts.append(f"sent to {', '.join(sent)}")
        if queued:
            parts.append(f"queued for {', '.join(queued)} until idle")
        self.widget.notify("; ".join(parts).capitalize() + ".")
        self.grid.sessions.wake()

    # -- attach and diff -----------------------------------------------------------------

    def attach_tile(self, session_id: str) -> None:
        """Enter on a tile: attach to its session, if the grid still shows it."""
        snapshot = self.grid.snapshots.get(session_id)
        if snapshot is not None and self.grid.manager is not None:
            self.attach(snapshot.session)

    def attach(self, session: Session) -> None:
        """Hand the terminal to the session's host (`tmux attach`); detaching brings loupe back
        as it was."""
        manager = self.grid.manager
        assert manager is not None
        try:
            command = manager.attach_command(session)
        except LoupeError as exc:
            self.widget.notify(str(exc), title=f"Cannot attach to session {session.number}", severity="error")
            return
        try:
            with self.grid.app.suspend():
                code = self.attach_runner(command.argv, command.env)
        except SuspendNotSupported:
            self.widget.notify(f"This terminal cannot be handed over; attach from another one with: "
                               f"{shlex.join(command.argv)}",
                               severity="warning", timeout=10, markup=False)
            return
        if code != 0:
            self.widget.notify(f"tmux attach ended with exit {code}; the session may have ended.",
                               severity="warning")
        self.grid.sessions.wake()

    def diff(self) -> None:
        snapshot = self._focused()
        if snapshot is None:
            return
        session = snapshot.session
        from tui.views.documents import DocumentsView
        from tui.views.session_diff import SessionDiffPane

        documents = self.widget.screen.query(DocumentsView)
        if not documents:
            self.widget.notify("There is no document area to show the diff in.", severity="warning")
            return
        made: list[SessionDiffPane] = []
        pane = documents.first().open_pane(f"session-diff:{session.id}", f"Δ {session.number} {session.task}",
                                           lambda: made.append(SessionDiffPane(session)) or made[0])
        if isinstance(pane, SessionDiffPane) and not made:
            pane.action_reload()  # a new pane computes its diff once mounted

    # -- stop ----------------------------------------------------------------------------

    def stop(self) -> None:
        snapshot = self._focused()
        if snapshot is None:
            return
        session = snapshot.session
        if not snapshot.live:
            self.widget.notify(f"Session {session.number} has already exited.")
            return
        body = (f"Ends {session.agent} and every process it started (SIGTERM and SIGHUP, SIGKILL after 5 s). "
                "The worktree, branch and last screen stay; remove them separately.")
        self.grid.app.push_screen(ConfirmScreen(f"Stop session {session.number}?", body, confirm="Stop"),
                                  lambda yes: self.stop_sessions([session]) if yes else None)

    def stop_all(self) -> None:
        if ready(self.grid, self.widget) is None:
            return
        live = [s.session for s in self.grid.snapshots.values() if s.live]
        if not live:
            self.widget.notify("No session is running.")
            return
        numbers = ", ".join(str(s.number) for s in live)
        body = (f"Ends the agents of sessions {numbers} and every process they started. Worktrees, "
                "branches and last screens stay.")
        self.grid.app.push_screen(ConfirmScreen(f"Stop {len(live)} running session(s)?", body, confirm="Stop all"),
                                  lambda yes: self.stop_sessions(live) if yes else None)

    def stop_sessions(self, sessions: list[Session]) -> None:
        def stop() -> None:
            notify_stopped(self.widget, sessions, self.grid.sessions.stop(sessions))

        self._in_thread("sessions-stop", stop)

    # -- land ----------------------------------------------------------------------------

    def land(self, mode: str = "merge") -> None:
        if (snapshot := self._focused()) is not None:
            self._in_thread("sessions-land", lambda: self._plan_land(snapshot.session, mode))

    def _plan_land(self, session: Session, mode: str) -> None:
        manager = self.grid.manager
        assert manager is not None
        try:
            plan = manager.plan_land(session, mode)
        except Exception as exc:  # noqa: BLE001
            self.widget.notify(str(exc), title="Cannot land", severity="error")
            return
        lines = plan.describe(session)
        if plan.conflicts or not plan.commits:
            self.widget.notify("\n".join(lines), title="Nothing landed", severity="warning", timeout=10)
            return
        self._confirm_from_thread(
            ConfirmScreen(f"Land session {session.number} onto {plan.onto}?", "\n".join(lines),
                          confirm="Land", danger=False),
            lambda: self._in_thread("sessions-land", lambda: self._land(session, mode)),
        )

    def _land(self, session: Session, mode: str) -> None:
        manager = self.grid.manager
        assert manager is not None
        try:
            result = manager.land(session, mode)
        except Exception as exc:  # noqa: BLE001
            self.widget.notify(str(exc), title="Nothing landed", severity="error", timeout=10)
            return
        self.widget.notify(f"{result.recovered} {len(result.landed)} commit(s) from {session.branch} are on "
                           f"{result.plan.onto} (now {result.new_tip[:10]}).".strip(),
                           title=f"Landed session {session.number}")
        self.grid.sessions.wake(refresh_stats=session.id)

    # -- remove --------------------------------------------------------------------------

    def remove(self) -> None:
        if (snapshot := self._focused()) is not None:
            self._in_thread("sessions-remove", lambda: self._plan_remove(snapshot.session))

    def _plan_remove(self, session: Session) -> None:
        manager = self.grid.manager
        assert manager is not None
        try:
            risks = manager.removal_risks(session)
        except Exception as exc:  # noqa: BLE001
            self.widget.notify(str(exc), title="Cannot remove", severity="error")
            return
        lines = [f"Deletes the worktree {session.worktree}. The branch {session.branch} is kept."]
        if risks:
            lines.append("This would otherwise be lost or stopped:")
            lines += [f"  • {risk.message}" for risk in risks]
            lines.append(f"Files, nested repositories and detached commits are first saved to "
                         f"refs/loupe/removed/{session.id}.")
        else:
            lines.append("Nothing would be lost.")
        title = f"Remove session {session.number}" + (" anyway?" if risks else "?")
        self._confirm_from_thread(ConfirmScreen(title, "\n".join(lines), confirm="Remove"),
                                  lambda: self._in_thread("sessions-remove", lambda: self._remove(session)))

    def _remove(self, session: Session) -> None:
        manager = self.grid.manager
        assert manager is not None
        try:
            result = manager.remove(session, confirm=True)
        except Exception as exc:  # noqa: BLE001
            self.widget.notify(str(exc), title="Not removed", severity="error")
            return
        saved = f" Leftovers saved to {result.saved_ref}." if result.saved_ref else ""
        self.widget.notify(f"Worktree removed; branch {session.branch} kept.{saved}",
                           title=f"Removed session {session.number}")
        self.grid.sessions.wake()

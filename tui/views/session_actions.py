"""What the session grid does to sessions: start, send, attach, diff, stop, land, remove.

A mixin of `SessionsView`, kept apart so the view itself is only about showing sessions.
Every operation runs in a thread worker; the ones that can lose or change work ask first,
saying exactly what will happen.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from textual import getters, on, work
from textual.app import SuspendNotSupported
from textual.dom import DOMNode
from textual.widget import Widget

from tui.app_base import AppBase
from tui.dialogs.confirm import ConfirmScreen
from tui.errors import LoupeError
from tui.sessions.stop_report import Stopped, stop_lines
from widgets.session_tile import SessionTile

if TYPE_CHECKING:
    from tui.dialogs.send_text import SendRequest
    from tui.dialogs.sessions import StartRequest
    from tui.sessions.manager import SessionManager
    from tui.sessions.model import Session, Snapshot
    from tui.sessions.monitor import SessionMonitor
    from tui.services.sessions import SessionService


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


class SessionActions(Widget):
    """Actions of the session grid; `SessionsView` provides the state they use."""

    app = getters.app(AppBase)

    sessions: SessionService
    manager: SessionManager | None
    monitor: SessionMonitor | None
    snapshots: dict[str, Snapshot]
    attach_runner: Callable[[list[str], dict[str, str]], int]
    _focus_when_seen: str | None

    def tiles(self) -> list[SessionTile]:
        raise NotImplementedError

    def focused_tile(self) -> SessionTile | None:
        raise NotImplementedError

    def _update_visible(self) -> None:
        raise NotImplementedError

    def _confirm_from_thread(self, dialog: ConfirmScreen, then: Callable[[], object]) -> None:
        """From a worker thread: ask, and run `then` (on the UI loop) if the answer is yes."""
        self.app.call_later(self.app.push_screen, dialog, lambda yes: then() if yes else None)

    def _chosen(self) -> tuple[Session, Snapshot] | None:
        tile = self.focused_tile()
        if tile is None or tile.session_id not in self.snapshots:
            self.notify("Focus a session tile first (tab, or the arrow keys).", severity="warning")
            return None
        snapshot = self.snapshots[tile.session_id]
        return snapshot.session, snapshot

    # -- actions -------------------------------------------------------------------------

    def _ready(self) -> SessionManager | None:
        if self.manager is None:
            self.notify("Sessions are still starting up (or unavailable); try again in a moment.",
                        severity="warning")
        return self.manager

    def action_new_session(self, task: str = "", task_dir: Path | None = None) -> None:
        manager = self._ready()
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
            self._focus_when_seen = session.id
            where = "" if session.host == "local" else f" on host {session.host}"
            self.notify(f"{session.agent} on {session.branch}{where}, ports {session.port_base}+",
                        title=f"Started session {session.number}", markup=False)
            for warning in result.warnings:  # type: ignore[attr-defined]
                self.notify(warning, title="Session started with a warning", severity="warning", timeout=8)
            self.sessions.wake()

        self.app.push_screen(
            NewSessionScreen(kinds, start=start, default_kind=manager.config.sessions.default_agent,
                             base=manager.config.sessions.base, task=task, task_dir=task_dir,
                             hosts=list(manager.hosts)),
            started,
        )

    def new_session_for_task(self, task: str, folder: Path) -> None:
        self.action_new_session(task, folder)

    def action_send(self) -> None:
        chosen = self._chosen()
        if chosen is None or self._ready() is None:
            return
        session, _ = chosen
        self._ask_and_send([session], f"Send to session {session.number} ({session.agent} · {session.task})")

    def action_broadcast(self) -> None:
        if self._ready() is None:
            return
        marked = [t.session_id for t in self.tiles() if t.marked]
        live = [s for s in self.snapshots.values() if s.live]
        targets = [s.session for s in live if not marked or s.session.id in marked]
        if not targets:
            self.notify("No running session to send to.", severity="warning")
            return
        numbers = ", ".join(str(s.number) for s in targets)
        which = "marked" if marked else "all running (mark tiles with space to choose)"
        self._ask_and_send(targets, f"Broadcast to sessions {numbers}: {which}")

    def _ask_and_send(self, targets: list[Session], title: str) -> None:
        def send(request: SendRequest | None) -> None:
            if request is not None:
                self._send(targets, request)

        from tui.dialogs.send_text import SendMessageScreen

        threads = self.app.services.threads
        self.app.push_screen(SendMessageScreen(title, references=threads.reference_candidates), send)

    @work(thread=True, exit_on_error=False, group="sessions-send")
    def _send(self, targets: list[Session], request: SendRequest) -> None:
        assert self.manager is not None
        from tui.references import expand_for_model

        # @task/artifact references: the agent gets the artifact's content, as chat's model does.
        expansion = expand_for_model(request.text, self.app.services.threads.tasks_dir)
        for problem in expansion.problems:
            self.notify(problem, title="Reference not attached", severity="warning", markup=False)
        try:
            outcomes = self.manager.send(targets, expansion.text, when_idle=request.when_idle)
        except Exception as exc:  # noqa: BLE001 - shown to the user, nothing else to undo
            self.notify(str(exc), title="Not sent", severity="error")
            return
        sent = [str(o.session.number) for o in outcomes if o.delivered]
        queued = [str(o.session.number) for o in outcomes if o.queued]
        parts = []
        if sent:
            parts.append(f"sent to {', '.join(sent)}")
        if queued:
            parts.append(f"queued for {', '.join(queued)} until idle")
        self.notify("; ".join(parts).capitalize() + ".")
        self.sessions.wake()

    def action_maximise(self) -> None:
        if isinstance(self.screen.maximized, SessionTile):
            self.screen.minimize()
        else:
            tile = self.focused_tile()
            if tile is not None:
                self.screen.maximize(tile, container=False)
        self.call_after_refresh(self._update_visible)

    @on(SessionTile.Activated)
    def _activated(self, message: SessionTile.Activated) -> None:
        message.stop()
        snapshot = self.snapshots.get(message.tile.session_id)
        if snapshot is not None and self.manager is not None:
            self.attach(snapshot.session)

    def attach(self, session: Session) -> None:
        """Hand the terminal to the session's host (`tmux attach`); detaching brings loupe back
        as it was."""
        assert self.manager is not None
        try:
            command = self.manager.attach_command(session)
        except LoupeError as exc:
            self.notify(str(exc), title=f"Cannot attach to session {session.number}", severity="error")
            return
        try:
            with self.app.suspend():
                code = self.attach_runner(command.argv, command.env)
        except SuspendNotSupported:
            self.notify(f"This terminal cannot be handed over; attach from another one with: "
                        f"{shlex.join(command.argv)}",
                        severity="warning", timeout=10, markup=False)
            return
        if code != 0:
            self.notify(f"tmux attach ended with exit {code}; the session may have ended.",
                        severity="warning")
        self.sessions.wake()

    def action_diff(self) -> None:
        chosen = self._chosen()
        manager = self._ready()
        if chosen is None or manager is None:
            return
        session, _ = chosen
        from tui.views.documents import DocumentsView
        from tui.views.session_diff import SessionDiffPane

        documents = self.screen.query(DocumentsView)
        if not documents:
            self.notify("There is no document area to show the diff in.", severity="warning")
            return
        made: list[SessionDiffPane] = []
        pane = documents.first().open_pane(f"session-diff:{session.id}", f"Δ {session.number} {session.task}",
                                           lambda: made.append(SessionDiffPane(session)) or made[0])
        if isinstance(pane, SessionDiffPane) and not made:
            pane.action_reload()  # a new pane computes its diff once mounted

    def action_stop(self) -> None:
        chosen = self._chosen()
        if chosen is None or self._ready() is None:
            return
        session, snapshot = chosen
        if not snapshot.live:
            self.notify(f"Session {session.number} has already exited.")
            return
        body = (f"Ends {session.agent} and every process it started (SIGTERM and SIGHUP, SIGKILL after 5 s). "
                "The worktree, branch and last screen stay; remove them separately.")
        self.app.push_screen(ConfirmScreen(f"Stop session {session.number}?", body, confirm="Stop"),
                             lambda yes: self._stop_sessions([session]) if yes else None)

    @work(thread=True, exit_on_error=False, group="sessions-stop")
    def _stop_sessions(self, sessions: list[Session]) -> None:
        notify_stopped(self, sessions, self.sessions.stop(sessions))

    def action_land(self, mode: str = "merge") -> None:
        chosen = self._chosen()
        if chosen is None or self._ready() is None:
            return
        self._plan_land(chosen[0], mode)

    @work(thread=True, exit_on_error=False, group="sessions-land")
    def _plan_land(self, session: Session, mode: str) -> None:
        assert self.manager is not None
        try:
            plan = self.manager.plan_land(session, mode)
        except Exception as exc:  # noqa: BLE001
            self.notify(str(exc), title="Cannot land", severity="error")
            return
        lines = plan.describe(session)
        if plan.conflicts or not plan.commits:
            self.notify("\n".join(lines), title="Nothing landed", severity="warning", timeout=10)
            return
        self._confirm_from_thread(
            ConfirmScreen(f"Land session {session.number} onto {plan.onto}?", "\n".join(lines),
                          confirm="Land", danger=False),
            lambda: self._land(session, mode),
        )

    @work(thread=True, exit_on_error=False, group="sessions-land")
    def _land(self, session: Session, mode: str) -> None:
        assert self.manager is not None
        try:
            result = self.manager.land(session, mode)
        except Exception as exc:  # noqa: BLE001
            self.notify(str(exc), title="Nothing landed", severity="error", timeout=10)
            return
        self.notify(f"{result.recovered} {len(result.landed)} commit(s) from {session.branch} are on "
                    f"{result.plan.onto} (now {result.new_tip[:10]}).".strip(), title=f"Landed session {session.number}")
        self.sessions.wake(refresh_stats=session.id)

    def action_remove(self) -> None:
        chosen = self._chosen()
        if chosen is None or self._ready() is None:
            return
        self._plan_remove(chosen[0])

    @work(thread=True, exit_on_error=False, group="sessions-remove")
    def _plan_remove(self, session: Session) -> None:
        assert self.manager is not None
        try:
            risks = self.manager.removal_risks(session)
        except Exception as exc:  # noqa: BLE001
            self.notify(str(exc), title="Cannot remove", severity="error")
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
                                  lambda: self._remove(session))

    @work(thread=True, exit_on_error=False, group="sessions-remove")
    def _remove(self, session: Session) -> None:
        assert self.manager is not None
        try:
            result = self.manager.remove(session, confirm=True)
        except Exception as exc:  # noqa: BLE001
            self.notify(str(exc), title="Not removed", severity="error")
            return
        saved = f" Leftovers saved to {result.saved_ref}." if result.saved_ref else ""
        self.notify(f"Worktree removed; branch {session.branch} kept.{saved}",
                    title=f"Removed session {session.number}")
        self.sessions.wake()

    def action_stop_all(self) -> None:
        if self._ready() is None:
            return
        live = [s.session for s in self.snapshots.values() if s.live]
        if not live:
            self.notify("No session is running.")
            return
        numbers = ", ".join(str(s.number) for s in live)
        body = (f"Ends the agents of sessions {numbers} and every process they started. Worktrees, "
                "branches and last screens stay.")
        self.app.push_screen(ConfirmScreen(f"Stop {len(live)} running session(s)?", body, confirm="Stop all"),
                             lambda yes: self._stop_sessions(live) if yes else None)

    def live_sessions(self) -> list[Snapshot]:
        return [s for s in self.snapshots.values() if s.live]

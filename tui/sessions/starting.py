"""Starting a session: a new worktree on its host, the agent's command line, its window.

`SessionStarter` belongs to a `SessionManager`, which hands it what a start uses: the
repository, the config and agent kinds, the store, a way to find a host by name, and what to
call once the store changed. Nothing is left behind when a start fails half way.
"""

from __future__ import annotations

import os
import secrets
import shlex
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from tui.config import Config
from tui.sessions import agents, hooks, pausepoints, worktrees
from tui.sessions.errors import SessionError
from tui.sessions.host import Launch, SessionHost
from tui.sessions.model import LOCAL_HOST, Session
from tui.sessions.store import SessionStore

DEFAULT_SIZE = (160, 48)


@dataclass
class StartResult:
    session: Session
    warnings: list[str] = field(default_factory=list)
    copied: list[str] = field(default_factory=list)
    # The first prompt, queued to be typed in once the agent shows its input prompt (kinds
    # that cannot take it on their command line); None when it went on the command line.
    queue_id: int | None = None


class SessionStarter:
    def __init__(
        self,
        root: Path,
        config: Config,
        kinds: dict[str, agents.AgentKind],
        store: SessionStore,
        *,
        host: Callable[[str], SessionHost],
        changed: Callable[[], None],
    ) -> None:
        self.root = root
        self.config = config
        self.kinds = kinds
        self.store = store
        # The host of a name (`UnknownHost` when none is configured), and what to call
        # whenever a start changed the store.
        self._host = host
        self._changed = changed

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
        """Start an agent in a new worktree from `base`, on `host`.

        `agent_args` are appended (shell-quoted) to the agent's command line, e.g.
        `["--thread", id]` for a fork of the built-in agent. `recorded_base` is the base that
        diff and land use when the worktree starts somewhere else (a fork starts from a
        snapshot commit whose parent is its origin session's base).

        A task phase (`tui.phases`) passes its `phase` and `output` artifact to be recorded,
        and its prompt is sent as it is: it carries only the phase's inputs, so it is not
        told where the task's notes are. `worktree=False` runs the agent in `task_dir`
        itself, in the host's main checkout, on no branch (documents-only phases).
        """
        settings = self.config.sessions
        kind = agents.get_kind(self.kinds, agent or settings.default_agent)
        place = self._host(host)
        place.check_ready()
        task = task.strip() or "session"
        if not worktree and task_dir is None:
            raise SessionError("a session without a worktree runs in a task folder; give its task_dir")
        if task_dir is not None and prompt.strip() and not phase:
            prompt = f"{prompt.rstrip()}\n\nThe task's notes are in {task_dir}."
        probe = Session(id=self._new_id(), repo=self.root, number=0, agent=kind.name,
                        status_source=kind.status, task=task, branch="", worktree=self.root,
                        worktree_name="", base_commit="", base_branch="",
                        tmux_socket=place.tmux_socket, port_base=0, prompt=prompt,
                        task_dir=task_dir, host=place.name, phase=phase, output=output)
        if not worktree:
            probe.worktree = task_dir  # type: ignore[assignment] - checked above
        env = place.agent_environment(probe).env
        # Before anything exists: a missing agent must not leave a worktree behind.
        place.check_agent(self._command(place, kind, probe, prompt, env, agent_args), env)
        session = probe
        session.start_pid = os.getpid()
        # The record goes in first, as the start's journal: whatever the start makes from
        # here on (worktree, branch, window) is listed under it, and a start killed half way
        # reads "start interrupted" (its `start_pid` is gone) until `rm` takes it all back.
        self.store.add(session, port_start=settings.port_range_start)
        self._changed()
        try:
            if worktree:
                self._make_worktree(place, session, task, base or settings.base, fetch, recorded_base)
            else:
                # No fetch, worktree or branch: the folder must be there, and where the checkout
                # stands is the base its diff is taken from.
                session.worktree = place.task_folder(task_dir)  # type: ignore[arg-type] - checked above
                session.base_commit = place.resolve_base("HEAD").commit
                self.store.update(session.id, worktree=session.worktree, base_commit=session.base_commit)
            pausepoints.reached("start:launching")
            result = self._launch(place, session, kind, prompt, size, agent_args)
        except BaseException:
            self.store.delete(session.id)
            place.discard(session)
            raise
        finally:
            self._changed()
        return result

    def _make_worktree(self, place: SessionHost, session: Session, task: str, base: str,
                       fetch: bool | None, recorded_base: worktrees.Base | None) -> None:
        if fetch if fetch is not None else self.config.sessions.fetch:
            place.fetch()
        resolved = place.resolve_base(base)

        def reserve(created: worktrees.NewWorktree) -> None:
            # Recorded before the branch and folder exist (the host holds its worktree lock),
            # so no kill can leave them unlisted.
            session.worktree, session.branch, session.worktree_name = created.path, created.branch, created.name
            session.base_commit, session.base_branch = resolved.commit, resolved.branch
            self.store.update(session.id, worktree=created.path, branch=created.branch,
                              worktree_name=created.name, base_commit=resolved.commit,
                              base_branch=resolved.branch)

        reserve(place.create_worktree(task, resolved.commit, reserve=reserve, session_id=session.id))
        pausepoints.reached("start:worktree-created")
        if recorded_base is not None:
            session.base_commit, session.base_branch = recorded_base.commit, recorded_base.branch
        session.base_ref = base
        self.store.update(session.id, base_commit=session.base_commit, base_branch=session.base_branch,
                          base_ref=session.base_ref)

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
        hook = hooks.hook_command(place.loupe_command(), session.id)
        # A setup script prepares a checkout of the code; a task folder is not one.
        setup_script = "" if session.in_place else self.config.sessions.setup_script
        launched = place.launch(session, Launch(
            command=session.command, env=prep.env, setup_script=setup_script,
            claude_hook=hook if kind.status == "claude" else [],
            opencode_hook=hook if kind.status == "opencode" else [], size=size, guard_dir=prep.guard_dir,
            status_line=f" loupe {session.number} · {session.task[:30]} · detach: prefix d "))
        session.launched_at = time.time()
        self.store.update(session.id, launched_at=session.launched_at)
        queue_id = None
        if prompt.strip() and not kind.takes_prompt_argument:
            queue_id = self.store.enqueue(session.id, prompt)
        return StartResult(session=session, warnings=[*prep.warnings, *launched.warnings],
                           copied=launched.copied, queue_id=queue_id)


def starter_alive(session: Session) -> bool:
    """Whether the process starting `session` may still be at it (True when unknown)."""
    if session.start_pid is None:
        return True
    try:
        os.kill(session.start_pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

"""One poll of a host's sessions over SSH: the commands of its batch, and reading the answer.

The whole poll is one round trip (`SshConnection.batch`) of plain tmux and cat, with no
Python started there:

- per tmux socket, ONE tmux process that lists every pane and captures the screens asked
  for (commands joined with `;`, each screen after a separator line, as the local poll does);
- per session, a `cat` of its status file, under the loupe data folder of the far side's
  login (the path `tui.locations.data_dir` gives there, worked out by the shell).

tmux stops a `;` chain at the first command that fails: a session that ended between two
polls loses its capture and those after it on this tick only (its pane is listed first, and
the next poll captures only what was listed).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from tui import secrets
from tui.remote.shell import Command, Completed, join, quote
from tui.sessions.errors import TmuxError
from tui.sessions.host import Observed
from tui.sessions.model import Session
from tui.sessions.status_file import parse_status
from tui.sessions.tmux import PANE_FORMAT, PaneInfo, parse_panes

# Printed before each screen. capture-pane turns control characters into spaces, so no
# screen can hold this line.
SEPARATOR = "\x1floupe-screen\x1f"

# `tui.locations.data_dir()` as the far side's shell works it out.
DATA_DIR = ('if [ -n "${LOUPE_DATA_DIR-}" ]; then d=$LOUPE_DATA_DIR; else case "${XDG_DATA_HOME-}" in '
            '/*) d=$XDG_DATA_HOME/loupe ;; *) d=$HOME/.local/share/loupe ;; esac; fi')


@dataclass
class PollMemory:
    """What one host remembers between polls: the windows that existed at the last one, by
    socket (only they are captured, so a chain rarely meets a session that is gone)."""

    alive: dict[str, set[str]] = field(default_factory=dict)
    polled: bool = False


@dataclass(frozen=True)
class PollPlan:
    commands: list[Command]
    # Per socket, the sessions whose screens its chain captures, in order.
    captured: dict[str, list[str]]
    sockets: list[str]
    sessions: list[Session]


def plan(sessions: Sequence[Session], capture: Collection[str] | None, memory: PollMemory) -> PollPlan:
    sockets = sorted({s.tmux_socket for s in sessions})
    captured: dict[str, list[str]] = {}
    commands: list[Command] = []
    for socket in sockets:
        seen = memory.alive.get(socket, set())
        names = [s.tmux_session for s in sessions if s.tmux_socket == socket
                 and (capture is None or s.id in capture) and (s.tmux_session in seen or not memory.polled)]
        chain = ["tmux", "-L", socket, "list-panes", "-a", "-F", PANE_FORMAT]
        for name in names:
            chain += [";", "display-message", "-p", SEPARATOR, ";", "capture-pane", "-pJe", "-t", f"={name}:"]
        captured[socket] = names
        commands.append(chain)
    commands += [f"{DATA_DIR}; exec cat -- \"$d\"/sessions/{quote(s.id)}/status.json" for s in sessions]
    return PollPlan(commands, captured, sockets, list(sessions))


def read(poll: PollPlan, results: Sequence[Completed], memory: PollMemory) -> dict[str, Observed]:
    """The sessions as the batch's answer shows them, by id; `memory` learns what is alive."""
    panes: dict[str, PaneInfo] = {}
    screens: dict[str, str] = {}
    for socket, done in zip(poll.sockets, results, strict=False):
        found, captured = _chain(socket, done, poll.captured[socket])
        panes.update(found)
        screens.update(captured)
        memory.alive[socket] = set(found)
    memory.polled = True
    redactor = secrets.Redactor(secrets.secret_values())
    reports = results[len(poll.sockets):]
    observed: dict[str, Observed] = {}
    for session, report in zip(poll.sessions, reports, strict=True):
        screen = screens.get(session.tmux_session)
        observed[session.id] = Observed(
            pane=settled(panes.get(session.tmux_session)),
            screen=redactor.redact(screen) if screen is not None else None,
            reported=parse_status(report.stdout) if report.ok else None,
        )
    return observed


def _chain(socket: str, done: Completed, names: list[str]) -> tuple[dict[str, PaneInfo], dict[str, str]]:
    chunks = done.stdout.split(SEPARATOR + "\n")
    if not done.ok:
        if _no_server(done.stderr) and len(chunks) == 1:
            return {}, {}
        if len(chunks) == 1:
            raise TmuxError(f"tmux -L {socket} list-panes failed on the host: {done.stderr.strip()}")
        # The last capture failed (its session had just gone): keep what came before it.
        chunks = chunks[:-1]
    return parse_panes(chunks[0]), dict(zip(names, chunks[1:], strict=False))


def settled(pane: PaneInfo | None) -> PaneInfo | None:
    """A dead pane whose exit tmux has not collected yet counts as alive (see the local host's
    `_settled`): its code comes on a later poll, once tmux has reaped the process."""
    if pane is None or not pane.dead or pane.exit_known:
        return pane
    return dataclasses.replace(pane, dead=False)


def _no_server(stderr: str) -> bool:
    text = stderr.lower()
    return "no server running" in text or "error connecting" in text or "no such file" in text


def tmux_argv(socket: str, *args: str) -> list[str]:
    return ["tmux", "-L", socket, *args]


def tmux_line(socket: str, *args: str) -> str:
    return join(tmux_argv(socket, *args))

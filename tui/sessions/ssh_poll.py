"""One poll of a host's sessions over SSH: the script it runs there, and reading its answer.

The whole poll is one command over the shared connection (one round trip), a POSIX sh
script of plain tmux and shell builtins, with no Python started there and no process per
session:

- per tmux socket, ONE tmux process that lists every pane and captures the screens asked
  for (commands joined with `;`, each screen after a separator line, as the local poll
  does), then its exit status; only when it failed, a second tmux says why (no server is
  no sessions; anything else is an error);
- the status file of each session, read with `read` (a builtin), from the loupe data folder
  of the far side's login (the path `tui.locations.data_dir` gives there, worked out by
  the shell).

Each part starts with a mark line holding the control character 0x1f, which no part can
contain: capture-pane drops control characters from screens, JSON escapes them in status
files, and tmux's messages have none. tmux stops a `;` chain at the first command that
fails: a session that ended between two polls loses its capture and those after it on
this tick only (its pane is listed first, and the next poll captures only what was listed).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

from tui import secrets
from tui.remote.shell import join, quote
from tui.sessions.errors import TmuxError
from tui.sessions.host import Observed
from tui.sessions.model import Session
from tui.sessions.status_file import parse_status
from tui.sessions.tmux import PANE_FORMAT, PaneInfo, parse_panes

# Printed before each screen (by tmux's display-message, inside the chain).
SCREEN = "\x1floupe-screen\x1f"
_MARK = re.compile(r"^\x1floupe-(chain|tmux|status) ?([^\x1f]*)\x1f$", re.MULTILINE)

# `tui.locations.data_dir()` as the far side's shell works it out.
DATA_DIR = ('if [ -n "${LOUPE_DATA_DIR-}" ]; then d=$LOUPE_DATA_DIR; else case "${XDG_DATA_HOME-}" in '
            '/*) d=$XDG_DATA_HOME/loupe ;; *) d=$HOME/.local/share/loupe ;; esac; fi')
# Prints a file's lines with builtins only (a last line without a newline too).
_READ = 'while IFS= read -r l || [ -n "$l" ]; do printf \'%s\\n\' "$l"; done <"$f"'


@dataclass
class PollMemory:
    """What one host remembers between polls: the windows that existed at the last one, by
    socket (only they are captured, so a chain rarely meets a session that is gone)."""

    alive: dict[str, set[str]] = field(default_factory=dict)
    polled: bool = False


@dataclass(frozen=True)
class PollPlan:
    script: str
    # Per socket, the sessions whose screens its chain captures, in order.
    captured: dict[str, list[str]]
    sockets: list[str]
    sessions: list[Session]


def plan(sessions: Sequence[Session], capture: Collection[str] | None, memory: PollMemory) -> PollPlan:
    sockets = sorted({s.tmux_socket for s in sessions})
    captured: dict[str, list[str]] = {}
    # The first line names the script in messages (a connection lost while it ran).
    lines = [f"# loupe: the poll of {len(sessions)} session{'' if len(sessions) == 1 else 's'}", DATA_DIR]
    for socket in sockets:
        seen = memory.alive.get(socket, set())
        names = [s.tmux_session for s in sessions if s.tmux_socket == socket
                 and (capture is None or s.id in capture) and (s.tmux_session in seen or not memory.polled)]
        chain = tmux_argv(socket, "list-panes", "-a", "-F", PANE_FORMAT)
        for name in names:
            chain += [";", "display-message", "-p", SCREEN, ";", "capture-pane", "-pJe", "-t", f"={name}:"]
        captured[socket] = names
        lines += [
            f"printf '\\037loupe-chain\\037\\n'; {join(chain)} 2>/dev/null; s=$?",
            "printf '\\037loupe-tmux %s\\037\\n' \"$s\"",
            f'[ "$s" -eq 0 ] || {tmux_line(socket, "list-panes", "-a", "-F", "x")} 2>&1 >/dev/null',
        ]
    for session in sessions:
        lines.append(f"printf '\\037loupe-status\\037\\n'; f=\"$d\"/sessions/{quote(session.id)}/status.json; "
                     f'[ -r "$f" ] && {_READ}')
    lines.append("exit 0")
    return PollPlan("\n".join(lines) + "\n", captured, sockets, list(sessions))


def read(poll: PollPlan, stdout: str, memory: PollMemory) -> dict[str, Observed]:
    """The sessions as the script's output shows them, by id; `memory` learns what is alive."""
    parts = _parts(stdout)
    chains = [text for kind, _, text in parts if kind == "chain"]
    ends = [(value, text) for kind, value, text in parts if kind == "tmux"]
    reports = [text for kind, _, text in parts if kind == "status"]
    if len(chains) != len(poll.sockets) or len(ends) != len(poll.sockets) or len(reports) != len(poll.sessions):
        raise TmuxError("the host's answer to a poll was not complete; it is tried again on the next one")
    panes: dict[str, PaneInfo] = {}
    screens: dict[str, str] = {}
    for socket, chain, (status, why) in zip(poll.sockets, chains, ends, strict=True):
        found, shown = _chain(socket, chain, status, why, poll.captured[socket])
        panes.update(found)
        screens.update(shown)
        memory.alive[socket] = set(found)
    memory.polled = True
    redactor = secrets.Redactor(secrets.secret_values())
    observed: dict[str, Observed] = {}
    for session, report in zip(poll.sessions, reports, strict=True):
        screen = screens.get(session.tmux_session)
        observed[session.id] = Observed(
            pane=settled(panes.get(session.tmux_session)),
            screen=redactor.redact(screen) if screen is not None else None,
            reported=parse_status(report) if report else None,
        )
    return observed


def _parts(stdout: str) -> list[tuple[str, str, str]]:
    """(kind, value, text after the mark up to the next) for every mark in `stdout`."""
    marks = list(_MARK.finditer(stdout))
    return [(mark.group(1), mark.group(2), stdout[mark.end() + 1:marks[n + 1].start() if n + 1 < len(marks) else None])
            for n, mark in enumerate(marks)]


def _chain(socket: str, text: str, status: str, why: str,
           names: list[str]) -> tuple[dict[str, PaneInfo], dict[str, str]]:
    chunks = text.split(SCREEN + "\n")
    if status != "0":
        if len(chunks) == 1 and _no_server(why):
            return {}, {}
        if len(chunks) == 1:
            raise TmuxError(f"tmux -L {socket} list-panes failed on the host: {why.strip() or 'exit ' + status}")
        # The last capture failed (its session had just gone): keep what came before it.
        chunks = chunks[:-1]
    return parse_panes(chunks[0]), dict(zip(names, chunks[1:], strict=False))


def settled(pane: PaneInfo | None) -> PaneInfo | None:
    """A dead pane whose exit tmux has not collected yet counts as alive (see the local host's
    `_settled`): its code comes on a later poll, once tmux has reaped the process."""
    if pane is None or not pane.dead or pane.exit_known:
        return pane
    return dataclasses.replace(pane, dead=False)


def _no_server(said: str) -> bool:
    text = said.lower()
    return "no server running" in text or "error connecting" in text or "no such file" in text


def tmux_argv(socket: str, *args: str) -> list[str]:
    """tmux on `socket` for what loupe reads or sends (-u: see `Tmux.argv`)."""
    return ["tmux", "-u", "-L", socket, *args]


def tmux_line(socket: str, *args: str) -> str:
    return join(tmux_argv(socket, *args))

"""`loupe host-op OP`: the far side of an SSH host, run there by loupe over ssh.

A session on another machine is that machine's local session: its worktree, window,
files, guard, diff and land are the local host's code, run there. The SSH host
(`tui.sessions.ssh_host`) sends each operation as one command, `loupe host-op OP`, with a
JSON request on stdin (which is where the user's API keys travel, never a command line),
and reads one JSON line back (`tui.sessions.wire`). Polling does not come here: it is
plain tmux and cat, with no Python started per tick.

Every request names the repository's clone on this machine (`repo`, `~` meaning this
home folder), the tmux socket for new sessions, and the `[sessions]` settings that
matter here; a session comes as its record, with `repo` meaning that clone.

Hidden from `loupe --help`: it is a protocol between two loupes, not a command for people.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from tui import __version__, locations
from tui.config import SessionsConfig
from tui.errors import LoupeError
from tui.sessions import agents, environment, pausepoints, reservations, wire
from tui.sessions.errors import SessionError, WorktreeError
from tui.sessions.host import Launch
from tui.sessions.local_host import LocalHost
from tui.sessions.tmux import find_tmux
from tui.sessions.worktrees import NewWorktree, main_repo_root

SUMMARY = "the far side of a session host reached over SSH (used by loupe itself)"
USAGE = "usage: loupe host-op OP  (a JSON request on stdin; one JSON line back)"


class _Request:
    """One request: the host built from it, and the session it names."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        repo = str(data.get("repo") or "")
        if not repo:
            raise WorktreeError("no repository is set for this host; set repo in its [hosts.NAME] table")
        found = main_repo_root(Path(repo).expanduser())
        if found is None:
            raise WorktreeError(f"{repo} is not a git repository on this host; clone it there, or fix "
                                "repo in its [hosts.NAME] table")
        self.root = found.resolve()
        settings = SessionsConfig(disposable=list(data.get("disposable") or SessionsConfig().disposable),
                                  setup_script=str(data.get("setup_script") or ""))
        self.host = LocalHost(self.root, str(data.get("tmux_socket") or "loupe"), settings)
        self.reserved = False
        # The user's keys from the other side: the agent's environment, and what its output
        # log hides, are built from this process's environment.
        forwarded = data.get("env") or {}
        os.environ.update({str(name): str(value) for name, value in forwarded.items()})

    def session(self) -> Any:
        # With the worktree made for it here if its start was killed before it heard the names.
        given = wire.session_from_wire(self.data["session"], self.root)
        found = reservations.recall(given)
        self.reserved = found is not given
        return found


def _info(request: _Request) -> dict[str, Any]:
    find_tmux()
    return {"root": str(request.root), "data_dir": str(locations.data_dir()), "version": __version__,
            "shell": os.environ.get("SHELL", ""), "loupe": locations.loupe_command()}


def _check_agent(request: _Request) -> None:
    agents.check_installed(str(request.data["command"]), os.environ.get("PATH", os.defpath))


def _launch(request: _Request) -> Any:
    session = request.session()
    spec = wire.from_wire(Launch, request.data["launch"])
    prep = environment.session_env(session)
    launched = request.host.launch(session, replace(spec, env=prep.env, guard_dir=prep.guard_dir))
    launched.warnings[:0] = prep.warnings
    # Its start heard the names long ago (it sent them back here): nothing left to recall.
    reservations.forget(session.id)
    return launched


def _remove_worktree(request: _Request) -> Any:
    session = request.session()
    saved = request.host.remove_worktree(session)
    if request.reserved:
        # Known only from the reservation: its start was killed before the agent ran, so its
        # branch, still at its base, goes too (as `remove` does for a start it knows of).
        request.host.discard(session)
    return saved


def _run(request: _Request) -> Any:
    return request.host.run(request.session(), [str(word) for word in request.data["argv"]],
                            timeout=float(request.data.get("command_timeout", 600.0)))


def _create_worktree(request: _Request) -> Any:
    session_id, base = str(request.data.get("session_id") or ""), str(request.data["base_commit"])

    def reserve(created: NewWorktree) -> None:
        reservations.reserve(session_id, created, base)

    created = request.host.create_worktree(str(request.data["task"]), base, reserve if session_id else None)
    pausepoints.reached("host-op:worktree-created")
    return created


def _diff_stats(request: _Request) -> dict[str, Any]:
    """The diff sizes of several sessions at once (the app asks for all it shows)."""
    found: dict[str, Any] = {}
    for record in request.data["sessions"]:
        session = wire.session_from_wire(record, request.root)
        try:
            found[session.id] = request.host.diff_stat(session)
        except LoupeError as exc:
            found[session.id] = wire.error_to_wire(exc)
    return found


OPERATIONS: dict[str, Callable[[_Request], Any]] = {
    "info": _info,
    "check-agent": _check_agent,
    "fetch": lambda r: r.host.fetch(),
    "resolve-base": lambda r: r.host.resolve_base(str(r.data["base"])),
    "create-worktree": _create_worktree,
    "launch": _launch,
    "discard": lambda r: r.host.discard(r.session()),
    "stop": lambda r: r.host.stop(r.session(), grace=float(r.data.get("grace", 5.0))),
    "processes": lambda r: r.host.processes(r.session()),
    "left-running": lambda r: r.host.left_running(r.session()),
    "run": _run,
    "last-screen": lambda r: r.host.last_screen(r.session()),
    "save-last-screen": lambda r: r.host.save_last_screen(r.session()),
    "removal-risks": lambda r: r.host.removal_risks(r.session(), live=bool(r.data.get("live"))),
    "remove-worktree": _remove_worktree,
    "diff": lambda r: r.host.diff(r.session()),
    "diff-stats": _diff_stats,
    "read-texts": lambda r: r.host.read_texts(r.session(), [str(path) for path in r.data["paths"]]),
    "plan-land": lambda r: r.host.plan_land(r.session(), str(r.data["mode"]), r.data.get("onto")),
    "land": lambda r: r.host.land(r.session(), str(r.data["mode"]), r.data.get("onto")),
}


def main(argv: list[str]) -> int:
    if len(argv) != 1 or argv[0] not in OPERATIONS:
        print(f"loupe: {USAGE}; OP is one of {', '.join(OPERATIONS)}", file=sys.stderr)
        return 2
    try:
        data = json.loads(sys.stdin.read() or "{}")
        if not isinstance(data, dict):
            raise ValueError("the request is not a JSON object")
    except ValueError as exc:
        print(f"loupe: host-op: the request is not JSON ({exc})", file=sys.stderr)
        return 2
    if data.get("protocol") != wire.PROTOCOL:
        answer: dict[str, Any] = wire.error_to_wire(wire.WireError(
            f"loupe {__version__} here speaks host protocol {wire.PROTOCOL}, the other side "
            f"{data.get('protocol')}; install the same loupe version on both machines"))
    else:
        try:
            answer = {"result": wire.to_wire(OPERATIONS[argv[0]](_Request(data)))}
        except LoupeError as exc:
            answer = wire.error_to_wire(exc)
        except OSError as exc:
            answer = wire.error_to_wire(SessionError(f"{argv[0]} failed on this host: {exc}"))
    sys.stdout.write("\n" + json.dumps(answer) + "\n")
    return 1 if "error" in answer else 0

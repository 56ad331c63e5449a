"""`loupe hook <session> <event> [payload]`: agents' hooks report their state here.

Called by Claude Code hooks (JSON on stdin), by Codex's `notify` and loupe's opencode plugin
(JSON as the last argument), and by any script that wants to say what its session is doing
(`loupe hook "$LOUPE_SESSION" needs-input`). It writes the session's status file and nothing
else, prints nothing (Claude adds a hook's output to its context), and always exits 0 on a
known session so a hook can never break the agent.
"""

from __future__ import annotations

import io
import json
import os
import re
import select
import sys
from pathlib import Path
from typing import Any

from tui.sessions import hooks
from tui.sessions.status_file import ENV_VAR, State, Status, write_status

SUMMARY = "report a session's state (called by agents' hooks)"

AGENT_DOC = """\
## loupe hook

`loupe hook SESSION EVENT [PAYLOAD]` records what an agent session is doing, so loupe shows
it. Inside a session, SESSION is `$LOUPE_SESSION`. EVENT is one of `working`, `needs-input`,
`idle`, a Claude Code hook event name (JSON payload on stdin), `codex` (Codex `notify`
JSON as PAYLOAD), or `opencode` (an event from loupe's opencode plugin as PAYLOAD). Example: `loupe hook "$LOUPE_SESSION" needs-input` before asking the user
a question. It prints nothing and exits 0.
"""

USAGE = "usage: loupe hook SESSION EVENT [PAYLOAD]"
# Beside the status file: the Codex thread the session's own turns run in.
THREAD_FILE = "codex-thread"


def _stdin_payload() -> dict[str, Any]:
    if sys.stdin is None or sys.stdin.isatty():
        return {}
    try:
        # Claude always writes the payload; a caller that leaves stdin open but silent
        # must not hang the hook.
        ready, _, _ = select.select([sys.stdin], [], [], 0.5)
    except (OSError, ValueError, io.UnsupportedOperation):
        ready = [sys.stdin]
    try:
        text = sys.stdin.read() if ready else ""
    except (OSError, ValueError):
        return {}
    return _parse(text)


def _parse(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text) if text.strip() else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _codex(status_file: Path, payload: dict[str, Any]) -> State | None:
    """The state a Codex notify means, remembering the session's own thread next to its
    status file (each notify is a new process)."""
    from tui.sessions.presets import PRESETS

    codex = PRESETS.get("codex")
    side_turns = [re.compile(p) for p in (codex.side_turns if codex else ())]
    memory = status_file.with_name(THREAD_FILE)
    try:
        own = memory.read_text(encoding="utf-8").strip() or None
    except OSError:
        own = None
    state, thread = hooks.codex_state(payload, side_turns=side_turns, own_thread=own)
    if thread is not None and thread != own:
        memory.write_text(thread, encoding="utf-8")
    return state


def status_path(session_id: str) -> Path:
    """The status file of a session on this machine (hooks run where their agent runs)."""
    from tui.sessions.local_files import session_files

    # Inside the session the variable is set; from elsewhere the id finds the folder.
    if os.environ.get("LOUPE_SESSION") == session_id and os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    return session_files(session_id).status_file


def main(argv: list[str]) -> int:
    if argv[:1] in (["-h"], ["--help"]):
        print(USAGE)
        print(AGENT_DOC)
        return 0
    if len(argv) < 2:
        print(f"loupe: {USAGE}", file=sys.stderr)
        return 2
    session_id, event, *rest = argv
    if not session_id.replace("-", "").isalnum():
        print(f"loupe: '{session_id}' is not a session id", file=sys.stderr)
        return 2
    path = status_path(session_id)
    if not path.parent.is_dir():
        print(f"loupe: no session '{session_id}' (no folder {path.parent})", file=sys.stderr)
        return 1
    detail = ""
    if event in hooks.GENERIC_STATES:
        state: State | None = hooks.GENERIC_STATES[event]
        source = "hook"
        detail = " ".join(rest)
    elif event == "codex":
        state = _codex(path, _parse(rest[-1]) if rest else {})
        source = "codex-notify"
    elif event == "opencode":
        payload = _parse(rest[-1]) if rest else {}
        state = hooks.opencode_state(payload)
        source = "opencode-plugin"
        detail = str(payload.get("title", ""))[:200] if state is State.NEEDS_INPUT else ""
    else:
        payload = _stdin_payload()
        state = hooks.claude_state(event, payload)
        source = "claude-hook"
        detail = str(payload.get("message", ""))[:200]
    if state is None:
        return 0
    write_status(path, Status(state, event=event, source=source, detail=detail))
    return 0

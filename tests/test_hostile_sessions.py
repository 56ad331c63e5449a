"""Agents' text in the session grid is shown as text (DESIGN decision 9): real tmux sessions.

A task named like markup (`fix [/api/login] redirect`) crashed the app at every start while
the session was listed; an agent asking `Overwrite [/etc/hosts]? [y/N]` crashed it when the
needs-you notification came up. (tmux itself drops the control characters an agent prints:
its screen reaches the tile without them, see test_screen_preview.)
"""

from __future__ import annotations

import pytest

from tests.fixtures.sessions import SessionsHarness
from tests.helpers import wait_until
from tests.terminal_output import assert_no_injection, drawn, screen_text
from tui.app import LoupeApp
from tui.config import AgentKindConfig
from tui.sessions.status_file import State
from tui.workspace import open_workspace
from widgets.session_tile import SessionTile

pytestmark = pytest.mark.slow

TASK = "fix [/api/login] redirect"
# The agent's second question looks like markup: a link, and closing tags with nothing open.
ASKER = r"""
printf 'ready? [y/n] '
read first
printf '[link=https://evil]x[/link] Overwrite [/etc/hosts]? [y/N] '
read second
read rest
"""


async def test_markup_task_names_questions_and_controls_in_the_grid(sessions: SessionsHarness) -> None:
    kind = sessions.script_kind("hostile", ASKER)
    session = sessions.start(kind, task=TASK)
    sessions.wait_state(session, State.NEEDS_INPUT)
    workspace = open_workspace(sessions.repo.path)
    workspace.config.sessions.tmux_socket = sessions.socket
    workspace.config.agents[kind] = AgentKindConfig(command=f"sh {sessions.scripts / 'hostile.sh'}")
    app = LoupeApp(workspace, remember_theme=False)
    async with app.run_test(size=(150, 44), notifications=True) as pilot:
        def tile() -> SessionTile | None:
            found = app.screen_stack[0].query(f"#tile-{session.id}")
            return found.first(SessionTile) if found else None

        await wait_until(pilot, lambda: tile() is not None, "the session's tile")
        await wait_until(pilot, lambda: f"{kind} · {TASK}" in screen_text(app), "the task's name on the tile")
        sessions.manager.send([session], "y")
        question = "[link=https://evil]x[/link] Overwrite [/etc/hosts]? [y/N]"
        await wait_until(pilot, lambda: any(question in n.message for n in app._notifications), "the needs-you toast")
        await wait_until(pilot, lambda: "Overwrite [/etc/hosts]? [y/N]" in screen_text(app), "the toast is drawn")
        assert app.is_running
        assert_no_injection(drawn(app))

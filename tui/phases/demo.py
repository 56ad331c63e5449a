"""Phases in the demo: the built-in agent on the demo's offline scripted model.

The demo's model server runs inside the app, on a port chosen at start, so no config file
can name it. The app registers this agent kind with its session manager once the server is
up, and starts demo phases with it: the research phase of the demo's stats-command task
then writes `02-research.md` live, through the agent's apply_patch tool
(`tui/model/demo_script.json`).

    manager.kinds[DEMO_AGENT] = demo_agent_kind(server.base_url)
"""

from __future__ import annotations

import shlex

from tui.model.demo import DEMO_MODEL
from tui.sessions.agents import AgentKind

DEMO_AGENT = "loupe-demo"


def demo_agent_kind(base_url: str) -> AgentKind:
    return AgentKind(
        DEMO_AGENT,
        f"{{loupe}} agent --base-url {shlex.quote(base_url)} --model {DEMO_MODEL} [--prompt {{prompt}}]",
        status="loupe",
        description="loupe's built-in agent on the demo's offline scripted model",
    )

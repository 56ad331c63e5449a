"""The offline model behind `loupe --demo`: the scripted server with replies about the demo
project (the quarry job queue), exposed as an endpoint named "demo".

    server = start_demo_endpoint(config)   # the app owns `server` and calls server.stop()

The UI shows `DEMO_LABEL` next to the model name and `CONNECT_HINT` to say how to use a real
endpoint instead.
"""

from __future__ import annotations

from tui.config import Config, EndpointConfig
from tui.model.script import demo_script
from tui.model.scripted_server import ScriptedServer

DEMO_ENDPOINT = "demo"
DEMO_MODEL = "loupe-demo"
DEMO_LABEL = "offline demo model with scripted replies"
# Short: it sits above the chat in the demo (two lines in a half-height pane, not four).
CONNECT_HINT = (
    "For a real model, set OPENAI_API_KEY and OPENAI_MODEL (and OPENAI_BASE_URL), or add "
    "[endpoints.<name>] to ~/.config/loupe/config.toml (see the README)."
)


def start_demo_endpoint(config: Config) -> ScriptedServer:
    """Start the demo server and add the "demo" endpoint to `config` (in memory only).

    It becomes the default endpoint unless the user chose one with `[models] default_endpoint`.
    """
    server = ScriptedServer(script=demo_script()).start()
    config.endpoints[DEMO_ENDPOINT] = EndpointConfig(
        base_url=server.base_url, api_key_env="", model=DEMO_MODEL, label=DEMO_LABEL
    )
    if not config.models.default_endpoint:
        config.models.default_endpoint = DEMO_ENDPOINT
    return server

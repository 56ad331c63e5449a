"""The chat threads' part of the app's services: the store, the running replies, endpoints.

`await threads.ready()` opens the store off the UI loop (and, in the demo, starts the
scripted model server first); `close()` stops the replies and closes what was opened. The
threads list and the chat panes share this one object (`app.services.threads`).

Store location: the user's threads live in one store in the data folder
(`tui.threads.store.default_path`), shared by every repository and by `loupe thread`. The
demo workspace gets its own store in its data folder, so trying the demo never mixes
scripted conversations into real ones.
"""

from __future__ import annotations

import asyncio
import copy
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from tui.config import Config
from tui.errors import LoupeError
from tui.events import Emit, nowhere
from tui.references import candidates, expand_for_model
from tui.workspace import Workspace

if TYPE_CHECKING:
    from tui.model.endpoints import Endpoint
    from tui.model.scripted_server import ScriptedServer
    from tui.tasks import TaskScanner
    from tui.threads.model import Message
    from tui.threads.replies import ReplyManager
    from tui.threads.store import ThreadStore


@dataclass(frozen=True)
class EndpointStatus:
    """Which model a thread will talk to, or why it cannot talk to any."""

    endpoint: Endpoint | None
    problem: str = ""

    @property
    def is_demo(self) -> bool:
        from tui.model.demo import DEMO_ENDPOINT

        return self.endpoint is not None and self.endpoint.name == DEMO_ENDPOINT


class ThreadServices:
    def __init__(self, workspace: Workspace, emit: Emit = nowhere) -> None:
        self.workspace = workspace
        self._emit = emit
        # A copy: the demo adds its endpoint without touching the workspace's config.
        self.config: Config = copy.deepcopy(workspace.config)
        self.store: ThreadStore | None = None
        self.replies: ReplyManager | None = None
        self.problem: str = ""
        self._demo_server: ScriptedServer | None = None
        self._opening: asyncio.Future[None] | None = None
        self._closed = False
        self._scanner: TaskScanner | None = None
        self._scan_lock = threading.Lock()
        self._agent_store: ThreadStore | None = None
        self._agent_lock = threading.Lock()

    @property
    def is_demo(self) -> bool:
        return self.workspace.is_demo

    async def ready(self) -> bool:
        """Open the store (once). False, with `problem` set, if it cannot be opened."""
        if self._opening is None:
            self._opening = asyncio.ensure_future(self._open())
        await asyncio.shield(self._opening)
        return self.store is not None

    async def _open(self) -> None:
        from tui.threads.replies import ReplyManager

        try:
            if self.is_demo:
                await asyncio.to_thread(self._start_demo_server)
            store = await asyncio.to_thread(self._open_store)
        except LoupeError as exc:
            self.problem = str(exc)
            return
        except OSError as exc:
            self.problem = f"cannot open the thread store: {exc}"
            return
        if self._closed:
            # The app quit while the store was opening: close() ran before there was
            # anything to close, so what was opened meanwhile is closed here.
            store.close()
            self._stop_demo_server()
            self.problem = "the app is closing"
            return
        self.store = store
        self.replies = ReplyManager(self.store, self.config, self._emit, expand=self.expand)

    def _open_store(self) -> ThreadStore:
        from tui.threads.store import ThreadStore

        if self.is_demo:
            return ThreadStore(self.workspace.data_dir / "threads.sqlite")
        return ThreadStore()

    def _start_demo_server(self) -> None:
        from tui.model.demo import start_demo_endpoint

        self._demo_server = start_demo_endpoint(self.config)

    def agent_store(self) -> ThreadStore:
        """Where `loupe agent` records its conversations: the user's store, which is the
        open one except in the demo. Call after `ready()`, off the UI loop."""
        from tui.threads.store import ThreadStore, default_path

        if self.store is not None and self.store.path == default_path():
            return self.store
        with self._agent_lock:
            if self._closed:
                raise LoupeError("the app is closing")
            if self._agent_store is None:
                self._agent_store = ThreadStore()
            return self._agent_store

    def close(self) -> None:
        """Stop replies (saved as cancelled), close the stores, stop the demo server."""
        if self.replies is not None:
            self.replies.shutdown()
        self._closed = True
        if self.store is not None:
            self.store.close()
            self.store = None
        with self._agent_lock:
            if self._agent_store is not None:
                self._agent_store.close()
                self._agent_store = None
        self._stop_demo_server()

    def _stop_demo_server(self) -> None:
        if self._demo_server is not None:
            self._demo_server.stop()
            self._demo_server = None

    # -- endpoints -----------------------------------------------------------------------

    def endpoint_status(self, endpoint: str | None = None, model: str | None = None) -> EndpointStatus:
        """The endpoint a thread would use (its own, else the default). No I/O."""
        from tui.model.endpoints import resolve_endpoint
        from tui.model.errors import ModelConfigError

        try:
            return EndpointStatus(resolve_endpoint(self.config, endpoint, model=model))
        except ModelConfigError as exc:
            if endpoint:
                # The thread's endpoint may have been removed from config: try the default.
                try:
                    fallback = resolve_endpoint(self.config, None)
                except ModelConfigError:
                    return EndpointStatus(None, str(exc))
                return EndpointStatus(fallback)
            return EndpointStatus(None, str(exc))

    # -- @references ---------------------------------------------------------------------

    @property
    def tasks_dir(self) -> Path:
        return self.workspace.tasks_dir

    def expand(self, message: Message) -> str:
        """A message as the model gets it: user messages with their @artifacts attached.

        Runs on the reply's thread, so reading artifacts never blocks the UI."""
        if message.role != "user":
            return message.content
        return expand_for_model(message.content, self.tasks_dir).text

    def reference_candidates(self) -> list[str]:
        """For `@` completion; reads the tasks folder, so call it from a worker thread."""
        from tui.tasks import TaskScanner

        with self._scan_lock:
            # One scanner, kept: it re-reads only files that changed since the last `@`.
            if self._scanner is None or self._scanner.tasks_dir != self.tasks_dir:
                self._scanner = TaskScanner(self.tasks_dir)
            return candidates(self._scanner.scan().tasks)

"""Switch a chat thread to another configured endpoint, from the palette.

`EndpointPicker` is owned by the pane and reaches it only as a `ChatHost`; later replies
use the new endpoint and model, earlier ones keep theirs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

from tui.views.chat_host import ChatHost


class EndpointPicker:
    def __init__(self, pane: ChatHost, run: Callable[[Callable[[], Awaitable[None]]], object]) -> None:
        """`run` starts a coroutine function as the pane's worker (a palette command returns
        at once; the switch reads and writes the store off the loop)."""
        self._pane = pane
        self._run = run

    def commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        """A palette command per other usable endpoint."""
        from tui.model.endpoints import available_endpoints

        pane = self._pane
        thread = pane.snapshot.thread if pane.snapshot else None
        current = pane.services.endpoint_status(thread.endpoint if thread else None, thread.model if thread else None)
        commands: list[tuple[str, str, Callable[[], object]]] = []
        for name in available_endpoints(pane.services.config):
            endpoint = pane.services.endpoint_status(name).endpoint
            if endpoint is None or (current.endpoint is not None and current.endpoint.name == name):
                continue
            commands.append(
                (
                    f"Thread: talk to {endpoint.model} on {name}",
                    "Later replies in this thread use this endpoint; earlier ones keep theirs",
                    partial(self._run, partial(self.use, name, endpoint.model)),
                )
            )
        return commands

    async def use(self, endpoint: str, model: str) -> None:
        pane = self._pane
        store = pane.services.store
        if store is None:
            return
        if await pane.store_call(store.set_model, pane.thread_id, endpoint, model) is not None:
            await pane.reload()
            pane.notify(f"This thread now talks to {model} on {endpoint}.", timeout=4, markup=False)

"""Switch a chat thread to another configured endpoint, from the palette.

A mixin of `ChatPane`, like `chat_branches`; later replies use the new endpoint and model,
earlier ones keep theirs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual import work

if TYPE_CHECKING:
    from tui.views.chat import ChatPane

    _Base = ChatPane
else:
    _Base = object


class EndpointActions(_Base):
    def _endpoint_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        from tui.model.endpoints import available_endpoints

        thread = self.snapshot.thread if self.snapshot else None
        current = self.services.endpoint_status(thread.endpoint if thread else None, thread.model if thread else None)
        commands: list[tuple[str, str, Callable[[], object]]] = []
        for name in available_endpoints(self.services.config):
            status = self.services.endpoint_status(name)
            endpoint = status.endpoint
            if endpoint is None or (current.endpoint is not None and current.endpoint.name == name):
                continue
            commands.append(
                (
                    f"Thread: talk to {endpoint.model} on {name}",
                    "Later replies in this thread use this endpoint; earlier ones keep theirs",
                    lambda endpoint=endpoint: self._use_endpoint(endpoint.name, endpoint.model),
                )
            )
        return commands

    @work(group="chat-action")
    async def _use_endpoint(self, endpoint: str, model: str) -> None:
        store = self.services.store
        if store is None:
            return
        if await self._store_call(store.set_model, self.thread_id, endpoint, model) is not None:
            await self.reload()
            self.notify(f"This thread now talks to {model} on {endpoint}.", timeout=4, markup=False)

"""The model client from synchronous code: a CLI, or a plain (non-asyncio) thread.
(`tui.threads.reply.reply_sync` streams into a thread the same way.)

Each call runs its own event loop (so it must not be called from inside one; use the async
API there) and closes the client's connections before returning. Ctrl-C cancels the call
like a task cancel: the stream is closed and a reply being stored is kept as "cancelled".
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from tui.model.accumulator import ChatResult
from tui.model.client import ModelClient, StreamEvent

T = TypeVar("T")


def run(client: ModelClient, make: Callable[[], Awaitable[T]]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        pass
    else:
        raise RuntimeError("inside an event loop, await the async API instead of the sync one")

    async def main() -> T:
        try:
            return await make()
        finally:
            await client.aclose()

    return asyncio.run(main())


def complete_sync(
    client: ModelClient,
    messages: list[dict[str, Any]],
    *,
    on_event: Callable[[StreamEvent], None] | None = None,
    **params: Any,
) -> ChatResult:
    """Stream a completion, calling `on_event` for each event; returns the whole reply."""

    async def go() -> ChatResult:
        async with client.stream(messages, **params) as stream:
            async for event in stream:
                if on_event is not None:
                    on_event(event)
        return stream.result

    return run(client, go)


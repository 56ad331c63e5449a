"""Stream a model's reply into a thread: the one place that joins the store and the client.

    message = await reply(store, client, thread_id, on_event=show)

- A streaming assistant message is added at the thread's head (or under `parent_id`: a
  regenerate is `parent_id=<the redone reply's parent>`, a retry after an error likewise),
  or an existing streaming message is filled (`message_id=`, e.g. a reduce synthesis from
  `store.merge(..., status="streaming")`).
- The request is the history up to that message (`to_chat_messages`), unless `messages` is
  given; `expand` may rewrite a message's content for the model (e.g. @references).
- Deltas are saved at a bounded rate (`flush_interval`) while `on_event` sees each one.
- The end is always recorded: "complete"; "error" with the reason (including a stream cut
  short, or an error in mid-stream) and the partial text; "cancelled" with the partial text
  when the task is cancelled (the stream is closed, then the cancel goes on).
- A reply whose text and tool-call arguments pass `client.max_reply_chars` is cut there: the
  stream is closed and the text up to the limit saved as an "error" that names the setting.

`on_event` receives `ReplyStarted(message)`, the client's events (TextDelta, ToolCallDelta,
UsageReport, Finished), `ReplySaved(length)` after each save, and `ReplyEnded(message, error)`; it may be a function or a coroutine
function. `reply` returns the finished message and does not raise `ModelError`: the error is
on the message (`status`, `error`).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from tui.model.client import ModelClient, StreamEvent, TextDelta, ToolCallDelta, UsageReport
from tui.model.errors import ModelError
from tui.model.sync import run
from tui.threads.model import Message, Role, Status
from tui.threads.store import AT_HEAD, ThreadStore


@dataclass(frozen=True)
class ReplyStarted:
    message: Message


@dataclass(frozen=True)
class ReplySaved:
    """The first `length` characters of the reply's streamed text are in the store now.

    A view that shows only saved text can promise that a crash loses nothing it showed."""

    length: int


@dataclass(frozen=True)
class ReplyEnded:
    message: Message
    # The model error that ended the reply, if any: callers that retry (the built-in agent)
    # need its `retryable` and `status`, which the stored message only has as text.
    error: ModelError | None = None


ReplyEvent = ReplyStarted | StreamEvent | ReplySaved | ReplyEnded
EventHandler = Callable[[ReplyEvent], Awaitable[None] | None]


def to_chat_messages(
    history: Sequence[Message], *, expand: Callable[[Message], str] | None = None
) -> list[dict[str, Any]]:
    """Chat Completions messages for a history.

    Failed replies with nothing in them are left out (servers reject empty assistant
    messages), and tool calls of an unfinished reply are dropped (they never ran).
    """
    out: list[dict[str, Any]] = []
    for message in history:
        content = expand(message) if expand is not None else message.content
        if message.role is Role.ASSISTANT:
            calls = message.tool_calls if message.status is Status.COMPLETE else None
            if not content and not calls:
                continue
            item: dict[str, Any] = {"role": "assistant", "content": content or None}
            if calls:
                item["tool_calls"] = calls
            out.append(item)
        elif message.role is Role.TOOL:
            out.append({"role": "tool", "tool_call_id": message.tool_call_id, "content": content})
        else:
            out.append({"role": str(message.role), "content": content})
    return out


async def reply(
    store: ThreadStore,
    client: ModelClient,
    thread_id: str,
    *,
    parent_id: str | None = AT_HEAD,
    message_id: str | None = None,
    messages: list[dict[str, Any]] | None = None,
    tools: list[dict[str, Any]] | None = None,
    expand: Callable[[Message], str] | None = None,
    on_event: EventHandler | None = None,
    flush_interval: float = 0.2,
    **params: Any,
) -> Message:
    endpoint = client.endpoint
    if message_id is None:
        message = await asyncio.to_thread(
            store.start_reply, thread_id, model=endpoint.model, endpoint=endpoint.name, parent_id=parent_id
        )
    else:
        message = await asyncio.to_thread(store.message, message_id)
    writer = store.stream_writer(message.id, interval=flush_interval)

    async def emit(event: ReplyEvent) -> None:
        if on_event is not None:
            result = on_event(event)
            if inspect.isawaitable(result):
                await result

    await emit(ReplyStarted(message))
    if messages is None:
        history = await asyncio.to_thread(store.chain, message.id)
        messages = to_chat_messages(history[:-1], expand=expand)
    usage = None
    failure: ModelError | None = None

    async def finish(status: Status, **fields: Any) -> Message:
        # Off the event loop (another process may hold the write lock for a moment), and
        # shielded so that a second cancel cannot leave the reply "streaming".
        if saver is not None:
            saver.cancel()
        return await asyncio.shield(asyncio.to_thread(writer.finish, status, usage=usage, **fields))

    saver: asyncio.Task[None] | None = None

    async def save() -> None:
        await asyncio.to_thread(writer.flush)
        await emit(ReplySaved(writer.saved_length))

    async def save_soon() -> None:
        # Text that arrived just before the stream paused is saved within `flush_interval`
        # even if no further delta comes to trigger it: a crash in the pause keeps it.
        await asyncio.sleep(writer.wait())
        await save()

    limit = client.max_reply_chars
    size = 0  # characters of text and tool-call arguments so far
    try:
        async with client.stream(messages, tools=tools, **params) as stream:
            async for event in stream:
                if isinstance(event, TextDelta):
                    if len(event.text) > limit - size:
                        event = TextDelta(event.text[: limit - size])
                        size = limit + 1
                    else:
                        size += len(event.text)
                    writer.add(event.text)
                elif isinstance(event, ToolCallDelta):
                    size += len(event.arguments_delta)
                elif isinstance(event, UsageReport):
                    usage = event.usage
                await emit(event)
                if size > limit:
                    break  # leaving the `async with` closes the stream
                if isinstance(event, TextDelta):
                    if writer.due():
                        await save()
                    elif saver is None or saver.done():
                        saver = asyncio.ensure_future(save_soon())
        result = stream.result
        usage = result.usage or usage
        if size > limit:
            final = await finish(Status.ERROR, error=_too_long(limit), model=result.model)
        elif result.complete:
            final = await finish(Status.COMPLETE, tool_calls=result.tool_calls or None, model=result.model)
        else:
            final = await finish(Status.ERROR, error=result.incomplete_reason, model=result.model)
    except ModelError as exc:
        failure = exc
        final = await finish(Status.ERROR, error=str(exc))
    except (asyncio.CancelledError, KeyboardInterrupt):
        await finish(Status.CANCELLED, error="cancelled by the user")
        raise
    except BaseException as exc:
        # Never leave a reply "streaming" behind a bug; then let the bug surface.
        await finish(Status.ERROR, error=f"internal error: {type(exc).__name__}: {exc}")
        raise
    await emit(ReplyEnded(final, failure))
    return final


def reply_sync(store: ThreadStore, client: ModelClient, thread_id: str, **kwargs: Any) -> Message:
    """`reply` for synchronous callers (a CLI, a plain thread); see `tui.model.sync.run`."""
    return run(client, lambda: reply(store, client, thread_id, **kwargs))


def _too_long(limit: int) -> str:
    return (
        f"the reply reached {limit:,} characters, the limit set by `max_reply_chars` in the "
        "[models] section of the config, and was stopped there"
    )

"""Model replies that run off the UI loop and outlive the pane that started them.

A map starts several replies in threads nobody has open; closing a chat tab must not stop a
reply either. So replies belong to one `ReplyManager` per app, which runs them on its own
event loop in a background thread: the openai SDK's SSE parsing, the store's writes and the
@reference expansion never touch the UI loop. Panes and the threads list register as
listeners and are called on the UI loop:

- `reply_started(thread_id, message)`: the streaming message exists in the store;
- `reply_text(thread_id, message_id, text)`: more text (batched by `ReplyPump`), and only
  text already saved in the store, so a crash never loses a word that was on screen (saves
  come every `FLUSH_INTERVAL`, the pace the markdown view repaints at anyway);
- `reply_ended(thread_id, message)`: the final message (complete, error or cancelled).

Cancelling (`cancel`) cancels the reply's task on the background loop: the SDK closes the
HTTP stream (the server sees the disconnect) and the partial reply is saved as cancelled.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from tui.config import Config
from tui.model.client import ModelClient, TextDelta
from tui.threads.model import Message
from tui.threads.reply import ReplyEnded, ReplyEvent, ReplySaved, ReplyStarted, reply
from tui.threads.store import AT_HEAD, ThreadStore
from tui.views.reply_pump import ReplyPump


# Seconds between saves of a streaming reply; the screen shows text once it is saved.
FLUSH_INTERVAL = 0.1


class ReplyListener(Protocol):
    def reply_started(self, thread_id: str, message: Message) -> None: ...

    def reply_text(self, thread_id: str, message_id: str, text: str) -> None: ...

    def reply_ended(self, thread_id: str, message: Message | None) -> None: ...


@dataclass
class Run:
    thread_id: str
    pump: ReplyPump
    message_id: str | None = None
    # Everything received so far, for a pane opened while the reply streams.
    chunks: list[str] = field(default_factory=list)
    # The reply's task on the background loop (set there once it is created).
    task: asyncio.Task[Message] | None = None
    cancel_requested: bool = False
    ended: bool = False
    # On the background loop: text received from the model, and how much of it was handed
    # to the UI (only what the store has).
    received: list[str] = field(default_factory=list)
    released: int = 0

    def release(self, length: int | None = None) -> str:
        """Text up to `length` (all when None) not handed out yet. Background loop only."""
        if len(self.received) > 1:
            self.received[:] = ["".join(self.received)]
        text = self.received[0] if self.received else ""
        end = len(text) if length is None else min(length, len(text))
        chunk, self.released = text[self.released : end], max(self.released, end)
        return chunk

    @property
    def text(self) -> str:
        if len(self.chunks) > 1:
            self.chunks[:] = ["".join(self.chunks)]
        return self.chunks[0] if self.chunks else ""


class ReplyManager:
    """Create on the UI loop. Every public method is for the UI loop."""

    def __init__(
        self,
        store: ThreadStore,
        config: Config,
        *,
        expand: Callable[[Message], str] | None = None,
        on_error: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self._on_error = on_error
        self.config = config
        self._expand = expand
        self._ui_loop = asyncio.get_running_loop()
        self._context = contextvars.copy_context()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runs: dict[str, Run] = {}
        self._listeners: list[ReplyListener] = []

    # -- listeners -----------------------------------------------------------------------

    def listen(self, listener: ReplyListener) -> None:
        if listener not in self._listeners:
            self._listeners.append(listener)

    def unlisten(self, listener: ReplyListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    # -- runs ----------------------------------------------------------------------------

    def running(self, thread_id: str) -> Run | None:
        return self._runs.get(thread_id)

    def running_threads(self) -> set[str]:
        return set(self._runs)

    def live_text(self, message_id: str) -> str | None:
        """What a streaming reply has received so far (the store may lag behind)."""
        for run in self._runs.values():
            if run.message_id == message_id:
                return run.text
        return None

    def start(
        self,
        thread_id: str,
        *,
        endpoint: str | None = None,
        model: str | None = None,
        parent_id: str | None = AT_HEAD,
        message_id: str | None = None,
        messages: list[dict[str, Any]] | None = None,
    ) -> Run:
        """Start a reply in `thread_id`. Raises `ModelConfigError` (nothing started) when no
        endpoint is usable, with a message that says how to configure one."""
        if thread_id in self._runs:
            raise RuntimeError(f"thread {thread_id} already has a reply streaming")
        client = ModelClient.from_config(self.config, endpoint, model=model)
        run = Run(thread_id, ReplyPump(lambda text: self._text(thread_id, text)))
        self._runs[thread_id] = run

        def on_event(event: ReplyEvent) -> None:
            # On the background loop.
            if isinstance(event, TextDelta):
                run.received.append(event.text)
            elif isinstance(event, ReplySaved):
                run.pump.push(run.release(event.length))
            elif isinstance(event, ReplyStarted):
                self._to_ui(self._started, run, event.message)
            elif isinstance(event, ReplyEnded):
                # The final save holds everything received.
                run.pump.push(run.release())
                self._to_ui(self._ended, run, event.message)

        async def go() -> Message:
            try:
                return await reply(
                    self.store,
                    client,
                    thread_id,
                    parent_id=parent_id,
                    message_id=message_id,
                    messages=messages,
                    expand=self._expand,
                    on_event=on_event,
                    flush_interval=FLUSH_INTERVAL,
                )
            finally:
                await client.aclose()

        def create() -> None:
            # On the background loop. The task's done callback fires only once the reply has
            # really ended, after its final status is in the store (a cancel included).
            run.task = asyncio.ensure_future(go())
            run.task.add_done_callback(lambda task: self._to_ui(self._finished, run, task))
            if run.cancel_requested:
                run.task.cancel()

        self._background_loop().call_soon_threadsafe(create)
        return run

    def cancel(self, thread_id: str) -> bool:
        """Stop a reply; it ends (saved as cancelled) shortly after, then listeners hear."""
        run = self._runs.get(thread_id)
        if run is None or self._loop is None:
            return False

        def cancel() -> None:
            run.cancel_requested = True
            if run.task is not None:
                run.task.cancel()

        self._loop.call_soon_threadsafe(cancel)
        return True

    def shutdown(self, timeout: float = 3.0) -> None:
        """Cancel every reply (they are saved as cancelled) and stop the background loop."""
        runs = list(self._runs.values())
        self._runs.clear()
        for run in runs:
            run.pump.close()
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return

        async def drain() -> None:
            for run in runs:
                run.cancel_requested = True
                if run.task is not None:
                    run.task.cancel()
            # A cancelled reply records its status in a shielded store write; let it finish.
            pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            if pending:
                await asyncio.wait(pending, timeout=timeout)

        try:
            asyncio.run_coroutine_threadsafe(drain(), loop).result(timeout + 1)
        except (concurrent.futures.TimeoutError, RuntimeError):
            pass
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout)
        self._loop = self._thread = None

    # -- plumbing ------------------------------------------------------------------------

    def _background_loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()
                loop.close()

            self._thread = threading.Thread(target=run, name="loupe-replies", daemon=True)
            self._thread.start()
            ready.wait()
            self._loop = loop
        return self._loop

    def _to_ui(self, callback: Callable[..., None], *args: object) -> None:
        try:
            self._ui_loop.call_soon_threadsafe(lambda: callback(*args), context=self._context)
        except RuntimeError:
            pass  # the app is gone

    def _text(self, thread_id: str, text: str) -> None:
        run = self._runs.get(thread_id)
        if run is None or run.message_id is None:
            return
        run.chunks.append(text)
        for listener in list(self._listeners):
            listener.reply_text(thread_id, run.message_id, text)

    def _started(self, run: Run, message: Message) -> None:
        run.message_id = message.id
        for listener in list(self._listeners):
            listener.reply_started(run.thread_id, message)

    def _ended(self, run: Run, message: Message) -> None:
        run.pump.flush()
        run.ended = True
        if self._runs.get(run.thread_id) is run:
            del self._runs[run.thread_id]
        for listener in list(self._listeners):
            listener.reply_ended(run.thread_id, message)

    def _finished(self, run: Run, task: asyncio.Task[Message]) -> None:
        # After a normal end `_ended` already told the listeners; this covers cancels and
        # failures, whose final state is in the store by now.
        if not task.cancelled() and task.exception() is not None and self._on_error:
            error = task.exception()
            self._on_error(f"The reply failed: {type(error).__name__}: {error}")
        if run.ended:
            return
        run.pump.flush()
        run.ended = True
        if self._runs.get(run.thread_id) is run:
            del self._runs[run.thread_id]
        for listener in list(self._listeners):
            listener.reply_ended(run.thread_id, None)

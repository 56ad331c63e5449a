"""Model replies that run off the UI loop and outlive the pane that started them.

A map starts several replies in threads nobody has open, and closing a chat tab must not
stop a reply either, so replies belong to the app's services. Each reply runs in its own
thread on its own event loop (`asyncio.run`): the openai SDK's SSE parsing, the store's
writes and the @reference expansion never touch the UI loop, and no reply waits for another.
It reports through the services' sink (`tui.events`):

- `ReplyStreaming(thread_id, message)`: the streaming message exists in the store;
- `ReplyProgress(thread_id, message_id, content)`: after each save (every `FLUSH_INTERVAL`,
  the pace the markdown view repaints at anyway), the content as saved, so the screen
  shows only text a crash cannot lose;
- `ReplyFinished(thread_id, message)`: the final state is in the store (complete, error,
  or cancelled, then `message` is None).

`cancel` cancels the reply's task on its loop: the SDK closes the HTTP stream (the server
sees the disconnect) and the partial reply is saved as cancelled.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tui.config import Config
from tui.events import Emit, Notice, ReplyFinished, ReplyProgress, ReplyStreaming
from tui.model.client import ModelClient, TextDelta
from tui.threads.model import Message
from tui.threads.reply import ReplyEnded, ReplyEvent, ReplySaved, ReplyStarted, reply
from tui.threads.store import AT_HEAD, ThreadStore

# Seconds between saves of a streaming reply; the screen shows text once it is saved.
FLUSH_INTERVAL = 0.1


@dataclass
class Run:
    thread_id: str
    message_id: str | None = None
    # The reply's content as last saved: all a view may show. Replaced whole, never mutated,
    # so any thread may read it.
    saved: str = ""
    cancel_requested: bool = False
    thread: threading.Thread | None = None
    # Set on the reply's own thread once its task runs (under `lock`).
    loop: asyncio.AbstractEventLoop | None = None
    task: asyncio.Task[Any] | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)


class ReplyManager:
    """Start and cancel from any one thread (the UI loop); events come from reply threads."""

    def __init__(
        self,
        store: ThreadStore,
        config: Config,
        emit: Emit,
        *,
        expand: Callable[[Message], str] | None = None,
    ) -> None:
        self.store = store
        self.config = config
        self._emit = emit
        self._expand = expand
        self._lock = threading.Lock()
        self._runs: dict[str, Run] = {}

    def running(self, thread_id: str) -> Run | None:
        with self._lock:
            return self._runs.get(thread_id)

    def running_threads(self) -> set[str]:
        with self._lock:
            return set(self._runs)

    def live_text(self, message_id: str) -> str | None:
        """The saved content of a reply still streaming (a view may lag behind it)."""
        with self._lock:
            runs = list(self._runs.values())
        return next((run.saved for run in runs if run.message_id == message_id), None)

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
        client = ModelClient.from_config(self.config, endpoint, model=model)
        run = Run(thread_id)
        with self._lock:
            if thread_id in self._runs:
                raise RuntimeError(f"thread {thread_id} already has a reply streaming")
            self._runs[thread_id] = run
        options = {"parent_id": parent_id, "message_id": message_id, "messages": messages}
        run.thread = threading.Thread(
            target=self._run, args=(run, client, options), name=f"loupe-reply-{thread_id[:8]}", daemon=True
        )
        run.thread.start()
        return run

    def cancel(self, thread_id: str) -> bool:
        """Stop a reply; it ends (saved as cancelled) shortly after, then `ReplyFinished`."""
        run = self.running(thread_id)
        if run is None:
            return False
        with run.lock:
            run.cancel_requested = True
            loop, task = run.loop, run.task
        if loop is not None and task is not None:
            try:
                loop.call_soon_threadsafe(task.cancel)
            except RuntimeError:
                pass  # its loop just closed: the reply has ended anyway
        return True

    def shutdown(self, timeout: float = 3.0) -> None:
        """Cancel every reply (they are saved as cancelled) and wait for their threads."""
        with self._lock:
            runs = list(self._runs.values())
        for run in runs:
            self.cancel(run.thread_id)
        deadline = time.monotonic() + timeout
        for run in runs:
            if run.thread is not None:
                run.thread.join(max(0.0, deadline - time.monotonic()))

    # -- on the reply's own thread --------------------------------------------------------

    def _run(self, run: Run, client: ModelClient, options: dict[str, Any]) -> None:
        final: Message | None = None
        try:
            final = asyncio.run(self._reply(run, client, options))
        except asyncio.CancelledError:
            pass  # saved as cancelled by `reply`
        except Exception as exc:  # a bug, not a model error (those end up on the message)
            self._emit(Notice(f"The reply failed: {type(exc).__name__}: {exc}", severity="error", timeout=10))
        finally:
            with self._lock:
                if self._runs.get(run.thread_id) is run:
                    del self._runs[run.thread_id]
            self._emit(ReplyFinished(run.thread_id, final))

    async def _reply(self, run: Run, client: ModelClient, options: dict[str, Any]) -> Message:
        with run.lock:
            if run.cancel_requested:
                raise asyncio.CancelledError
            run.loop, run.task = asyncio.get_running_loop(), asyncio.current_task()
        received: list[str] = []
        base = ""

        def streamed(length: int | None = None) -> str:
            if len(received) > 1:
                received[:] = ["".join(received)]
            text = received[0] if received else ""
            return text if length is None else text[:length]

        def on_event(event: ReplyEvent) -> None:
            nonlocal base
            if isinstance(event, TextDelta):
                received.append(event.text)
            elif isinstance(event, ReplyStarted):
                run.message_id, base = event.message.id, event.message.content
                run.saved = base
                self._emit(ReplyStreaming(run.thread_id, event.message))
            elif isinstance(event, ReplySaved) and run.message_id is not None:
                run.saved = base + streamed(event.length)
                self._emit(ReplyProgress(run.thread_id, run.message_id, run.saved))
            elif isinstance(event, ReplyEnded):
                # The final save holds everything received.
                run.saved = event.message.content
                self._emit(ReplyProgress(run.thread_id, event.message.id, run.saved))

        try:
            return await reply(
                self.store,
                client,
                run.thread_id,
                expand=self._expand,
                on_event=on_event,
                flush_interval=FLUSH_INTERVAL,
                **options,
            )
        finally:
            await client.aclose()

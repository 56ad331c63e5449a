"""The one way background work reaches the screen: domain events become Textual messages.

    reply thread ─┐
    monitor loop ─┼─ emit(event) ─▶ Channel ══ UI loop ══▶ Received[Event] ─▶ subscribed widgets
    file watcher ─┘   any thread     (app.call_later)        one message type per event type

`emit` may be called from any thread and never blocks: it queues the event on the app. On
the UI loop the channel posts a `Received` message to every widget subscribed to the
event's type, in the order events were emitted. A widget subscribes once it is mounted:

    self.app.channel.subscribe(self, ReplyProgress, ReplyFinished)

    @on(received(ReplyProgress))
    def _progress(self, message: Received[ReplyProgress]) -> None: ...

Subscriptions end by themselves: a widget that is no longer in the DOM gets nothing more
and is dropped (the channel holds it weakly, so it never keeps a closed tab alive).

A widget's own thread worker that only hands its result back to that widget does not need
the channel: `post_message` (or `call_later`) on the widget is thread-safe.
"""

from __future__ import annotations

import weakref
from typing import Any, Generic, TypeVar

from textual.app import App
from textual.dom import DOMNode
from textual.message import Message
from textual.worker import Worker, get_current_worker

from tui.events import Emit, Event, Loop

E = TypeVar("E", bound=Event)


class Received(Message, Generic[E], bubble=False):
    """A domain event, delivered on the UI loop to a widget that subscribed to its type."""

    def __init__(self, event: E) -> None:
        super().__init__()
        self.event = event


_MESSAGE_TYPES: dict[type[Event], type[Received[Any]]] = {}


def received(event_type: type[E]) -> type[Received[E]]:
    """The message type that carries `event_type`: one per event type, named after it (so
    `on_reply_finished` works as a handler name too)."""
    found = _MESSAGE_TYPES.get(event_type)
    if found is None:
        namespace = {"__module__": __name__, "__qualname__": event_type.__name__}
        found = type(event_type.__name__, (Received,), namespace, bubble=False)
        _MESSAGE_TYPES[event_type] = found
    return found


class Channel:
    def __init__(self, app: App[Any]) -> None:
        self._app = app
        # UI loop only.
        self._subscribers: dict[type[Event], weakref.WeakSet[DOMNode]] = {}

    def emit(self, event: Event) -> None:
        """Deliver `event` to its subscribers on the UI loop. Any thread; never blocks; events
        emitted while the app closes are dropped."""
        try:
            self._app.call_later(self._deliver, event)
        except RuntimeError:
            pass  # the app's loop is closed: nobody is left to show it

    def subscribe(self, node: DOMNode, *event_types: type[Event]) -> None:
        """On the UI loop, once `node` is mounted: deliver these events to it from now on."""
        for event_type in event_types:
            self._subscribers.setdefault(event_type, weakref.WeakSet()).add(node)

    def unsubscribe(self, node: DOMNode, *event_types: type[Event]) -> None:
        """Stop delivering `event_types` (every type when none is named) to `node`."""
        for event_type in event_types or tuple(self._subscribers):
            self._subscribers.get(event_type, weakref.WeakSet()).discard(node)

    def subscribers(self, event_type: type[Event]) -> list[DOMNode]:
        return list(self._subscribers.get(event_type, ()))

    def _deliver(self, event: Event) -> None:
        nodes = self._subscribers.get(type(event))
        if not nodes:
            return
        message_type = received(type(event))
        for node in list(nodes):
            if node.is_running and node.is_attached:
                node.post_message(message_type(event))
            else:
                nodes.discard(node)


def run_loop(node: DOMNode, loop: Loop, emit: Emit, *, name: str, group: str) -> Worker[None]:
    """Run a domain loop (`loop(stop, emit)`) as a Textual thread worker of `node`.

    `stop` is the worker's own cancellation event, so the loop ends when the worker is
    cancelled: when `node` is removed, or when the app exits (it cancels every worker).
    """

    def work() -> None:
        loop(get_current_worker().cancelled_event, emit)

    return node.run_worker(work, name=name, group=group, thread=True, exit_on_error=False)

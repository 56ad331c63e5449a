"""What the chat pane's helpers (map/reduce, endpoints, export) may use of the pane.

The helpers are objects the pane owns, not mixins of it: each is given the pane as a
`ChatHost` and reaches only these names, so they neither import the pane's module (no
import cycle) nor depend on its private state.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, TypeVar

from textual.message import Message
from textual.notifications import SeverityLevel

from tui.app_base import AppBase
from tui.services.threads import ThreadServices
from tui.threads.chat_data import ThreadSnapshot
from widgets.chat.chat_log import ChatLog

T = TypeVar("T")


class ChatHost(Protocol):
    thread_id: str

    @property
    def app(self) -> AppBase: ...

    @property
    def services(self) -> ThreadServices: ...

    @property
    def snapshot(self) -> ThreadSnapshot | None: ...

    @property
    def log(self) -> ChatLog: ...

    @property
    def is_streaming(self) -> bool: ...

    async def reload(self, *, select: str | None = None, follow: bool = False, replying: bool = False) -> None:
        """Read the thread again and show it."""
        ...

    async def store_call(self, function: Callable[..., T], *args: object, **kwargs: object) -> T | None:
        """Run a store operation off the loop; show its error (and return None) instead of raising."""
        ...

    def can_reach_model(self) -> bool:
        """Whether the thread's endpoint is usable; if not, say why."""
        ...

    def start_reply(self, **options: object) -> bool:
        """Start a reply in this thread with the thread's endpoint."""
        ...

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None: ...

    def post_message(self, message: Message) -> bool: ...

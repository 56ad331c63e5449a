"""Whether a host can be reached, and when to try again after it could not.

    UNKNOWN --ok--> CONNECTED --failure--> UNREACHABLE (since T, next try at T + delay)
                        ^                        |  failure: delay doubles, up to a cap
                        +---------ok-------------+

While a host is unreachable, polls and commands fail at once with the reason and the time
of the next try, instead of each waiting for ssh's connect timeout; the first call after
that time tries for real. The clock is injected, so tests move time instead of waiting.
"""

from __future__ import annotations

import enum
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


class LinkState(enum.Enum):
    UNKNOWN = "unknown"
    CONNECTED = "connected"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class Link:
    """The state at one moment, for display and decisions (times are the clock's)."""

    state: LinkState
    # When it became unreachable, and when the next try is allowed (None unless unreachable).
    since: float | None = None
    next_try: float | None = None
    # Failed tries in a row, and the reason for the last one.
    failures: int = 0
    reason: str = ""


class Reachability:
    """The connection state of one host. Thread-safe: polls and user commands share it."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, *, first_delay: float = 1.0,
        max_delay: float = 60.0,
    ) -> None:
        if first_delay <= 0 or max_delay < first_delay:
            raise ValueError("backoff delays must be positive, and the cap at least the first delay")
        self.clock = clock
        self.first_delay = first_delay
        self.max_delay = max_delay
        self._lock = threading.Lock()
        self._link = Link(LinkState.UNKNOWN)

    def link(self) -> Link:
        with self._lock:
            return self._link

    def may_try(self) -> bool:
        """True unless the host is unreachable and its next try is still to come."""
        with self._lock:
            link = self._link
            return link.next_try is None or self.clock() >= link.next_try

    def wait_left(self) -> float:
        """Seconds until the next try is allowed (0 when it is now)."""
        with self._lock:
            if self._link.next_try is None:
                return 0.0
            return max(0.0, self._link.next_try - self.clock())

    def succeeded(self) -> None:
        with self._lock:
            self._link = Link(LinkState.CONNECTED)

    def failed(self, reason: str) -> Link:
        """Record a failed try; the delay before the next one doubles with each failure."""
        with self._lock:
            now = self.clock()
            previous = self._link
            failures = previous.failures + 1
            delay = min(self.max_delay, self.first_delay * 2 ** (failures - 1))
            since = previous.since if previous.state is LinkState.UNREACHABLE else now
            self._link = Link(LinkState.UNREACHABLE, since, now + delay, failures, reason)
            return self._link

    def retry_now(self) -> None:
        """Allow the next try at once (the user asked), keeping the failure count."""
        with self._lock:
            if self._link.next_try is not None:
                self._link = Link(self._link.state, self._link.since, self.clock(),
                                  self._link.failures, self._link.reason)

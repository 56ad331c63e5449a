"""Time-sortable ids for messages and threads (ULID layout, Crockford base32, 26 characters).

Sorting ids sorts by creation time, so "siblings in the order they were written" is
`ORDER BY id`. Within one process ids are strictly increasing even inside one millisecond
(the random part is incremented), which is what keeps siblings created back to back in
order; millisecond timestamps alone tie and scramble them.
"""

from __future__ import annotations

import os
import threading
import time

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_RANDOM_BITS = 80
_lock = threading.Lock()
_last_ms = -1
_last_random = 0


def new_id() -> str:
    global _last_ms, _last_random
    with _lock:
        now_ms = time.time_ns() // 1_000_000
        if now_ms <= _last_ms:
            # Same (or an earlier, after a clock step back) millisecond: stay monotonic.
            now_ms = _last_ms
            _last_random += 1
            if _last_random >= 1 << _RANDOM_BITS:
                now_ms += 1
                _last_random = int.from_bytes(os.urandom(10), "big") >> 1
        else:
            # Leave headroom so increments within the millisecond do not overflow.
            _last_random = int.from_bytes(os.urandom(10), "big") >> 1
        _last_ms = now_ms
        value = (now_ms << _RANDOM_BITS) | _last_random
    chars = []
    for _ in range(26):
        chars.append(_ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def id_time_ms(value: str) -> int:
    """The millisecond timestamp encoded in an id made by `new_id`."""
    number = 0
    for char in value[:10]:
        number = number * 32 + _ALPHABET.index(char)
    return number

"""Secrets loupe must never store or show: API keys and tokens, and credentials in URLs.

    redact(text)                      # with this process's environment
    Redactor(secret_values()).redact(text)
    StreamRedactor(secret_values())   # .feed(chunk) / .close() for output that comes in pieces

Which environment variables hold secrets:

- every variable an endpoint names in `api_key_env` (`config.load` reports them with
  `remember_names`), and the values of endpoint headers that carry credentials
  (`remember_values`);
- the usual token variables: names ending in _TOKEN, _SECRET, _API_KEY, _PASSWORD,
  _ACCESS_KEY, ... (`SECRET_NAME`), such as GH_TOKEN, GITHUB_TOKEN, AWS_SECRET_ACCESS_KEY.

Values shorter than `MIN_SECRET_CHARS` are left alone: hiding "1" or "true" everywhere would
mangle the text and protect nothing. A hidden value reads `[redacted:NAME]`, so the reader
still knows what was there. `user:password@` in a URL becomes `***@`
(`tui.guard.credentials`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

from tui.guard.credentials import hide_url_credentials

MIN_SECRET_CHARS = 8
SECRET_NAME = re.compile(
    r"(?:^|_)(?:TOKEN|SECRET|SECRET_KEY|PASSWORD|PASSWD|PASSPHRASE|API_?KEY|ACCESS_KEY|"
    r"PRIVATE_KEY|CREDENTIALS?|AUTH)$",
    re.IGNORECASE,
)
# Header names whose values are credentials (`Authorization: Bearer ...`, `X-Api-Key`).
SECRET_HEADER = re.compile(r"auth|key|token|secret|password|cookie", re.IGNORECASE)
# Names and values learnt from config in this process (see the module docstring).
_NAMES: set[str] = set()
_VALUES: set[str] = set()


def remember_names(names: Iterable[str]) -> None:
    """Treat these environment variables as secrets from now on (an endpoint's api_key_env)."""
    _NAMES.update(name for name in names if name)


def remember_values(values: Iterable[str]) -> None:
    """Treat these literal values as secrets from now on (credentials in endpoint headers)."""
    for value in values:
        # "Bearer sk-..." leaks nothing as "Bearer", everything as "sk-...".
        _VALUES.update(part for part in (value, value.split(" ", 1)[-1]) if len(part) >= MIN_SECRET_CHARS)


def header_secrets(headers: Mapping[str, str]) -> list[str]:
    """The values of the headers that carry credentials."""
    return [value for name, value in headers.items() if SECRET_HEADER.search(name)]


def is_secret_name(name: str) -> bool:
    return name in _NAMES or bool(SECRET_NAME.search(name))


def secret_values(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Secret value -> the name shown in its place, from `environ` (default: this process's)."""
    env = os.environ if environ is None else environ
    found: dict[str, str] = {}
    for name, value in env.items():
        if len(value) >= MIN_SECRET_CHARS and is_secret_name(name):
            found.setdefault(value, name)
    for value in _VALUES:
        found.setdefault(value, "header")
    return found


def marker(name: str) -> str:
    return f"[redacted:{name}]"


class Redactor:
    """Replaces every occurrence of the given secret values (value -> name) in text."""

    def __init__(self, secrets: Mapping[str, str]) -> None:
        self.secrets = dict(secrets)
        self._pattern = _pattern(tuple(sorted(self.secrets)))

    def redact(self, text: str) -> str:
        if self._pattern is not None and text:
            text = self._pattern.sub(lambda match: marker(self.secrets[match.group(0)]), text)
        return hide_url_credentials(text)


@lru_cache(maxsize=8)
def _pattern(values: tuple[str, ...]) -> re.Pattern[str] | None:
    if not values:
        return None
    # Longest first, so a secret that contains another is hidden whole.
    return re.compile("|".join(re.escape(v) for v in sorted(values, key=len, reverse=True)))


def redact(text: str, environ: Mapping[str, str] | None = None) -> str:
    """`text` without the secrets of `environ` (default: this process's environment)."""
    return Redactor(secret_values(environ)).redact(text)


class StreamRedactor:
    """Redacts bytes that arrive in chunks, where a secret may be split between two chunks.

    The end of each chunk that could be the start of a secret is held back until the next
    chunk shows whether it is; everything else is passed on at once.
    """

    def __init__(self, secrets: Mapping[str, str]) -> None:
        self._names = {value.encode(): name for value, name in secrets.items()}
        ordered = sorted(self._names, key=len, reverse=True)
        self._pattern = re.compile(b"|".join(re.escape(v) for v in ordered)) if ordered else None
        self._held = b""

    def feed(self, chunk: bytes) -> bytes:
        if self._pattern is None:
            return chunk
        data = self._pattern.sub(lambda m: marker(self._names[m.group(0)]).encode(), self._held + chunk)
        keep = self._partial_secret_at_end(data)
        self._held = data[len(data) - keep:] if keep else b""
        return data[: len(data) - keep]

    def close(self) -> bytes:
        """What is still held back: the start of a secret that never finished."""
        held, self._held = self._held, b""
        return marker("partial").encode() if len(held) >= 4 else held

    def _partial_secret_at_end(self, data: bytes) -> int:
        """Length of the longest end of `data` that is the start of a secret."""
        best = 0
        for value in self._names:
            for length in range(min(len(value) - 1, len(data)), best, -1):
                if data.endswith(value[:length]):
                    best = length
                    break
        return best

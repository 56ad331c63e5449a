"""Streamed Chat Completions against any OpenAI-compatible endpoint.

    client = ModelClient.from_config(config)             # or ModelClient(endpoint, ...)
    async with client.stream(messages, tools=tools) as stream:
        async for event in stream:
            match event:
                case TextDelta(text): ...                # show it
                case ToolCallDelta(): ...                # a call being written
                case UsageReport(usage): ...
                case Finished(result): ...               # always last; result.complete
    stream.result                                        # the same ChatResult

Leaving the `async with` early (break, an exception, or the task being cancelled) closes the
HTTP stream, and the server sees the disconnect: that is how a reply is cancelled.

Failures raise `ModelError` subclasses (tui.model.errors) with the HTTP status and the
server's message: `RateLimited` after the retries, `ModelTimeout` when nothing arrives
within the read timeout, `ModelStreamError` for an error in mid-stream (never retried:
part of the reply was already shown), `ModelAuthError` for 401/403. A stream that simply
ends without a finish reason is not an exception: `Finished.result.complete` is False.

The SDK retries connection errors, 408, 409, 429 and 5xx itself (`max_retries`, honouring
`retry-after`). Usage is requested with `stream_options.include_usage`; a server that
rejects that parameter is asked again without it, and remembered.

`openai` is imported on first use, never at module import (it costs ~0.75 s).
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tui.model.accumulator import ChatResult, ReplyAccumulator
from tui.model.endpoints import Endpoint, resolve_endpoint
from tui.model.errors import (
    ModelAuthError,
    ModelConnectionError,
    ModelError,
    ModelStreamError,
    ModelTimeout,
    RateLimited,
)
from tui.model.wire import Usage

if TYPE_CHECKING:
    from tui.config import Config

CONNECT_TIMEOUT = 10.0
# The `[models] max_reply_chars` default, for clients made without a config.
DEFAULT_MAX_REPLY_CHARS = 1_000_000
WRITE_TIMEOUT = 30.0

# Base URLs whose server rejected `stream_options`; not asked again in this process.
_NO_STREAM_OPTIONS: set[str] = set()


@dataclass(frozen=True)
class TextDelta:
    text: str


@dataclass(frozen=True)
class ToolCallDelta:
    """Part of a tool call: `slot` numbers the calls of this reply from 0."""

    slot: int
    id: str | None
    name: str
    arguments_delta: str


@dataclass(frozen=True)
class UsageReport:
    usage: Usage


@dataclass(frozen=True)
class Finished:
    """The last event of every stream that was not cancelled or failed."""

    result: ChatResult


StreamEvent = TextDelta | ToolCallDelta | UsageReport | Finished


class ModelClient:
    def __init__(
        self,
        endpoint: Endpoint,
        *,
        read_timeout: float = 60.0,
        max_retries: int = 2,
        connect_timeout: float = CONNECT_TIMEOUT,
        include_usage: bool = True,
        max_reply_chars: int = DEFAULT_MAX_REPLY_CHARS,
    ) -> None:
        self.endpoint = endpoint
        self.read_timeout = read_timeout
        self.max_retries = max_retries
        # Enforced by whoever saves the reply (`tui.threads.reply`), which stops the stream.
        self.max_reply_chars = max_reply_chars
        self.connect_timeout = connect_timeout
        self.include_usage = include_usage
        self._sdk: Any = None
        self._sdk_loop: asyncio.AbstractEventLoop | None = None

    @classmethod
    def from_config(
        cls, config: Config, endpoint: str | None = None, *, model: str | None = None
    ) -> ModelClient:
        """A client for the named (or default) endpoint, with `[models]` timeouts, retries and
        reply size limit."""
        return cls(
            resolve_endpoint(config, endpoint, model=model),
            read_timeout=config.models.read_timeout,
            max_retries=config.models.max_retries,
            max_reply_chars=config.models.max_reply_chars,
        )

    @property
    def model(self) -> str:
        return self.endpoint.model

    def _client(self) -> Any:
        loop = asyncio.get_running_loop()
        # An httpx2 connection pool belongs to one event loop.
        if self._sdk is None or self._sdk_loop is not loop:
            import httpx2
            import openai

            self._sdk = openai.AsyncOpenAI(
                api_key=self.endpoint.api_key(),
                base_url=self.endpoint.base_url,
                timeout=httpx2.Timeout(
                    self.read_timeout, connect=self.connect_timeout, write=WRITE_TIMEOUT,
                    pool=self.connect_timeout,
                ),
                max_retries=self.max_retries,
                default_headers=self.endpoint.headers or None,
            )
            self._sdk_loop = loop
        return self._sdk

    async def aclose(self) -> None:
        if self._sdk is not None and self._sdk_loop is asyncio.get_running_loop():
            await self._sdk.close()
        self._sdk = None
        self._sdk_loop = None

    def stream(
        self,
        messages: list[dict[str, Any]],
        *,
        model: str | None = None,
        tools: list[dict[str, Any]] | None = None,
        **params: Any,
    ) -> ChatStream:
        """A streamed completion; use as `async with ... as stream: async for event in stream`."""
        return ChatStream(self, messages, model or self.model, tools, params)

    async def complete(
        self,
        messages: list[dict[str, Any]],
        *,
        model: str | None = None,
        tools: list[dict[str, Any]] | None = None,
        **params: Any,
    ) -> ChatResult:
        """The whole reply (streamed underneath, so the read timeout applies per chunk)."""
        async with self.stream(messages, model=model, tools=tools, **params) as stream:
            async for _event in stream:
                pass
        return stream.result

    async def list_models(self) -> list[str]:
        try:
            page = await self._client().models.list()
        except Exception as exc:
            raise translate_error(exc, self.endpoint) from exc
        return sorted(model.id for model in page.data)


class ChatStream:
    """One streamed reply (see `ModelClient.stream`)."""

    def __init__(
        self,
        client: ModelClient,
        messages: list[dict[str, Any]],
        model: str,
        tools: list[dict[str, Any]] | None,
        params: dict[str, Any],
    ) -> None:
        self._client = client
        self._messages = messages
        self._model = model
        self._tools = tools
        self._params = params
        self._sdk_stream: Any = None
        self._iterator: Any = None
        self._accumulator = ReplyAccumulator()
        self._pending: deque[StreamEvent] = deque()
        self._done = False
        self.result: ChatResult = self._accumulator.result

    async def __aenter__(self) -> ChatStream:
        self._sdk_stream = await self._open()
        self._iterator = self._sdk_stream.__aiter__()
        return self

    async def _open(self) -> Any:
        endpoint = self._client.endpoint
        request: dict[str, Any] = {"model": self._model, "messages": self._messages, "stream": True}
        if self._tools:
            request["tools"] = self._tools
        request.update(self._params)
        use_options = self._client.include_usage and endpoint.base_url not in _NO_STREAM_OPTIONS
        if use_options and "stream_options" not in request:
            request["stream_options"] = {"include_usage": True}
        sdk = self._client._client()
        try:
            return await sdk.chat.completions.create(**request)
        except Exception as exc:
            if use_options and _rejects_stream_options(exc):
                _NO_STREAM_OPTIONS.add(endpoint.base_url)
                request.pop("stream_options", None)
                try:
                    return await sdk.chat.completions.create(**request)
                except Exception as retry_exc:
                    raise translate_error(retry_exc, endpoint) from retry_exc
            raise translate_error(exc, endpoint) from exc

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP stream (the server sees the disconnect if it was still sending)."""
        if self._sdk_stream is not None:
            stream, self._sdk_stream = self._sdk_stream, None
            # Shielded: closing must finish even when we are here because of a cancel.
            await asyncio.shield(stream.close())

    def __aiter__(self) -> ChatStream:
        return self

    async def __anext__(self) -> StreamEvent:
        while not self._pending:
            if self._done:
                raise StopAsyncIteration
            if self._iterator is None:
                raise RuntimeError("use `async with client.stream(...) as stream` before iterating")
            try:
                chunk = await self._iterator.__anext__()
            except StopAsyncIteration:
                self._done = True
                self.result = self._accumulator.finish()
                self._pending.append(Finished(self.result))
                break
            except Exception as exc:
                self._done = True
                self.result = self._accumulator.finish()
                raise translate_error(exc, self._client.endpoint, mid_stream=True) from exc
            text, updates, usage = self._accumulator.feed(chunk)
            if text:
                self._pending.append(TextDelta(text))
            for update in updates:
                self._pending.append(
                    ToolCallDelta(update.slot, update.id, update.name, update.arguments_delta)
                )
            if usage is not None:
                self._pending.append(UsageReport(usage))
        return self._pending.popleft()

    @property
    def partial(self) -> ChatResult:
        """What has arrived so far (after an error or a cancel, too)."""
        return self.result if self._done else self._accumulator.snapshot()


def _rejects_stream_options(exc: Exception) -> bool:
    import openai

    return isinstance(exc, openai.BadRequestError) and "stream_options" in str(exc)


def translate_error(exc: BaseException, endpoint: Endpoint, *, mid_stream: bool = False) -> ModelError:
    """The SDK's exception as a `ModelError` whose message a user can act on (key masked)."""
    import openai

    if isinstance(exc, ModelError):
        return exc
    name = endpoint.name
    if isinstance(exc, openai.APITimeoutError):
        return ModelTimeout(
            f"no reply within the read timeout; the server may be overloaded, or raise "
            "[models] read_timeout", endpoint=name, retryable=True,
        )
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__ or exc
        return ModelConnectionError(
            f"cannot talk to {endpoint.base_url} ({_mask(str(cause) or type(cause).__name__, endpoint)}); "
            "is the server running and the base_url right?", endpoint=name, retryable=True,
        )
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        detail = _mask(_server_message(exc), endpoint)
        if isinstance(exc, (openai.AuthenticationError, openai.PermissionDeniedError)):
            return ModelAuthError(
                f"{detail} (the key comes from ${endpoint.api_key_env or '<none>'})",
                status=status, endpoint=name,
            )
        if isinstance(exc, openai.RateLimitError):
            return RateLimited(f"{detail}; try again in a moment", status=status, endpoint=name, retryable=True)
        if isinstance(exc, openai.NotFoundError):
            return ModelError(
                f"{detail} (is model {endpoint.model!r} served at {endpoint.base_url}?)",
                status=status, endpoint=name,
            )
        return ModelError(detail, status=status, endpoint=name, retryable=status >= 500)
    if isinstance(exc, openai.APIError):
        return ModelStreamError(
            _mask(_server_message(exc), endpoint) + (" (in mid-stream)" if mid_stream else ""),
            endpoint=name, retryable=True,
        )
    if isinstance(exc, (ValueError, TypeError)) and mid_stream:
        return ModelStreamError(f"the server sent a malformed chunk ({exc})", endpoint=name, retryable=True)
    return ModelError(_mask(f"{type(exc).__name__}: {exc}", endpoint), endpoint=name)


def _server_message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        message = body.get("message") or (body.get("error") or {}).get("message")
        if isinstance(message, str) and message:
            return message
    return str(getattr(exc, "message", "") or exc)


def _mask(text: str, endpoint: Endpoint) -> str:
    try:
        key = endpoint.api_key()
    except Exception:
        return text
    if key and len(key) >= 4:
        text = text.replace(key, "***")
    return text

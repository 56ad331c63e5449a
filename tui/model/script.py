"""Scripted replies for the scripted model server, and the OpenAI-shaped chunks they become.

A `Reply` describes what the server answers to one chat request: text, tool calls, pacing,
and the failures real servers produce (a status code, an error in mid-stream, a stream cut
short, a hang) and their quirks (tool-call deltas without `index`, several calls on index 0,
arguments sent as JSON objects, `finish_reason` "stop" on a tool turn).

Scripts can be JSON (for `python -m tui.model.scripted_server --script FILE` and the demo)::

    {"models": ["demo-model"],
     "replies": [{"match": "retry", "text": "The backoff doubles...", "keep": true},
                 {"tool_calls": [{"name": "read_file", "arguments": {"path": "a.py"}}]}],
     "default": {"text": "I only know scripted answers."}}

A reply with `match` answers only a request whose last user message contains that text
(case-insensitive); the others answer in order. A reply is used once unless `keep` is true.
Matching reads the user's own words (`asked_words`): what loupe attaches for an
`@task/artifact` reference is left out, and so are the references themselves unless no rule
matches without them. A request identical to an earlier one (a regenerate, a retry) gets the
reply's next `variants` text in turn, if it has any.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field, fields, replace
from importlib import resources
from pathlib import Path
from typing import Any

QUIRKS = frozenset({"no_index", "index_reuse", "dict_arguments", "stop_finish", "repeat_name"})
_TOKEN = re.compile(r"\s*\S+\s*|\s+")


@dataclass
class ToolCallSpec:
    name: str
    arguments: Any = field(default_factory=dict)  # a dict (sent as JSON) or a raw string
    id: str | None = None

    def arguments_text(self) -> str:
        return self.arguments if isinstance(self.arguments, str) else json.dumps(self.arguments)


@dataclass
class Reply:
    text: str = ""
    tool_calls: list[ToolCallSpec] = field(default_factory=list)
    # Explicit stream chunks; by default the text is streamed a word at a time.
    chunks: list[str] | None = None
    # Pace of the stream; None streams as fast as the socket takes it.
    tokens_per_second: float | None = None
    # Seconds before the response starts.
    delay: float = 0.0
    # A status other than 200 answers with an OpenAI-shaped error body instead.
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    error_message: str = ""
    # Stream: after this many chunks, send `data: {"error": ...}` and close.
    error_after: int | None = None
    # Stream: after this many chunks, close without a finish reason or [DONE].
    truncate_after: int | None = None
    # Seconds to send nothing: before the response (or after `hang_after` chunks).
    hang: float | None = None
    hang_after: int | None = None
    quirks: set[str] = field(default_factory=set)
    finish_reason: str | None = None
    usage: dict[str, int] | None = None
    # Answer only a request whose last user message contains this (case-insensitive).
    match: str | None = None
    keep: bool = False
    # Use HTTP chunked transfer encoding for the stream instead of closing to end it.
    chunked: bool = False
    # Other texts for the same question: the nth repeat of a request gets `variants[n - 1]`,
    # cycling back to `text` after the last.
    variants: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        unknown = set(self.quirks) - QUIRKS
        if unknown:
            raise ValueError(f"unknown quirks {sorted(unknown)}; known: {sorted(QUIRKS)}")
        self.tool_calls = [
            call if isinstance(call, ToolCallSpec) else ToolCallSpec(**call) for call in self.tool_calls
        ]
        self.quirks = set(self.quirks)

    @classmethod
    def from_value(cls, value: Reply | dict[str, Any] | str) -> Reply:
        if isinstance(value, Reply):
            return value
        if isinstance(value, str):
            return cls(text=value)
        known = {f.name for f in fields(cls)}
        unknown = set(value) - known
        if unknown:
            raise ValueError(f"unknown reply keys {sorted(unknown)}; known: {sorted(known)}")
        return cls(**value)

    def variant(self, repeat: int) -> Reply:
        """This reply as sent to the `repeat`th repeat of a request (0: the first time)."""
        texts = [self.text, *self.variants]
        if repeat % len(texts) == 0:
            return self
        return replace(self, text=texts[repeat % len(texts)], chunks=None)

    def text_chunks(self) -> list[str]:
        if self.chunks is not None:
            return list(self.chunks)
        return _TOKEN.findall(self.text)

    def finish(self) -> str:
        if self.finish_reason:
            return self.finish_reason
        if self.tool_calls and "stop_finish" not in self.quirks:
            return "tool_calls"
        return "stop"


@dataclass
class Script:
    replies: list[Reply] = field(default_factory=list)
    default: Reply | None = None
    models: list[str] = field(default_factory=lambda: ["scripted-model"])


def load_script(path: Path) -> Script:
    """Read a JSON script file (see the module docstring for its shape)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if isinstance(data, list):
        data = {"replies": data}
    default = data.get("default")
    return Script(
        replies=[Reply.from_value(item) for item in data.get("replies", [])],
        default=Reply.from_value(default) if default is not None else None,
        models=list(data.get("models") or ["scripted-model"]),
    )


def demo_script() -> Script:
    """The replies of `loupe --demo` (about the demo project), shipped with the package."""
    with resources.as_file(resources.files("tui.model") / "demo_script.json") as path:
        return load_script(path)


def last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                return " ".join(part.get("text", "") for part in content if isinstance(part, dict))
            return str(content or "")
    return ""


# What loupe appends after the user's words for each `@task/artifact` reference
# (`tui.references.attachment`, and the note for one that could not be attached).
_ATTACHMENT = re.compile(r"\n\n(?:Attached artifact @|\(@\S+ could not be attached)")
_REFERENCE = re.compile(r"(?<![\w@.])@[A-Za-z0-9][\w.-]*/[\w./-]*")


def asked_words(body: dict[str, Any]) -> tuple[str, str]:
    """The last user message's own words: without the artifacts attached for its
    `@references`, and then (second) without the references either."""
    text = last_user_text(body)
    attached = _ATTACHMENT.search(text)
    if attached is not None:
        text = text[: attached.start()]
    return _REFERENCE.sub(" ", text), text


def request_key(body: dict[str, Any]) -> str:
    """Equal for requests that ask the same thing with the same history."""
    return json.dumps(body.get("messages"), sort_keys=True)


def estimate_tokens(body: dict[str, Any]) -> int:
    return sum(len(str(m.get("content") or "").split()) + 4 for m in body.get("messages") or [])


class ChunkMaker:
    """Builds the `chat.completion.chunk` payloads of one streamed reply."""

    def __init__(self, reply: Reply, model: str, prompt_tokens: int, serial: int) -> None:
        self.reply = reply
        self.model = model
        self.prompt_tokens = prompt_tokens
        self.id = f"chatcmpl-scripted-{serial}"
        self.created = int(time.time())
        self.completion_tokens = 0

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": self.id, "object": "chat.completion.chunk", "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    def chunks(self) -> list[dict[str, Any]]:
        """Every chunk before the final one (the one with the finish reason)."""
        out = [self._chunk({"role": "assistant", "content": ""})]
        for token in self.reply.text_chunks():
            out.append(self._chunk({"content": token}))
            self.completion_tokens += 1
        for number, call in enumerate(self.reply.tool_calls):
            out.extend(self._tool_call_chunks(number, call))
        return out

    def _tool_call_chunks(self, number: int, call: ToolCallSpec) -> list[dict[str, Any]]:
        quirks = self.reply.quirks
        call_id = call.id or f"call_scripted_{number}"
        index = 0 if "index_reuse" in quirks else number

        def delta(body: dict[str, Any]) -> dict[str, Any]:
            if "no_index" not in quirks:
                body = {"index": index, **body}
            return self._chunk({"tool_calls": [body]})

        if "dict_arguments" in quirks:
            arguments = call.arguments if not isinstance(call.arguments, str) else json.loads(call.arguments)
            self.completion_tokens += 1
            return [delta({"id": call_id, "type": "function",
                           "function": {"name": call.name, "arguments": arguments}})]
        text = call.arguments_text()
        third = max(1, len(text) // 3)
        pieces = [text[i : i + third] for i in range(0, len(text), third)] or [""]
        out = [delta({"id": call_id, "type": "function", "function": {"name": call.name, "arguments": ""}})]
        for piece in pieces:
            body: dict[str, Any] = {"function": {"arguments": piece}}
            if "repeat_name" in quirks:
                body = {"id": call_id, "type": "function", "function": {"name": call.name, "arguments": piece}}
            out.append(delta(body))
            self.completion_tokens += 1
        return out

    def final(self) -> dict[str, Any]:
        return self._chunk({}, self.reply.finish())

    def usage(self) -> dict[str, Any]:
        return {
            "id": self.id, "object": "chat.completion.chunk", "created": self.created,
            "model": self.model, "choices": [], "usage": self.usage_numbers(),
        }

    def usage_numbers(self) -> dict[str, int]:
        if self.reply.usage is not None:
            return dict(self.reply.usage)
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.prompt_tokens + self.completion_tokens,
        }

    def completion(self) -> dict[str, Any]:
        """The whole reply as one non-streamed `chat.completion`."""
        self.chunks()  # counts tokens
        message: dict[str, Any] = {"role": "assistant", "content": self.reply.text or None}
        if self.reply.tool_calls:
            message["tool_calls"] = [
                {"id": call.id or f"call_scripted_{n}", "type": "function",
                 "function": {"name": call.name, "arguments": call.arguments_text()}}
                for n, call in enumerate(self.reply.tool_calls)
            ]
        return {
            "id": self.id, "object": "chat.completion", "created": self.created, "model": self.model,
            "choices": [{"index": 0, "message": message, "finish_reason": self.reply.finish()}],
            "usage": self.usage_numbers(),
        }


def error_body(status: int, message: str) -> dict[str, Any]:
    kinds = {400: "invalid_request_error", 401: "authentication_error", 404: "not_found_error",
             429: "rate_limit_error"}
    return {"error": {"message": message or f"scripted error {status}",
                      "type": kinds.get(status, "server_error"), "code": None, "param": None}}

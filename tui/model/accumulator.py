"""Assembling a streamed reply from Chat Completions chunks, tolerant of real servers' quirks.

Servers differ from OpenAI's canonical stream in ways that break strict parsers (and the
SDK's own `.stream()` helper):

- tool-call deltas without `index` (ollama): a delta without index continues the last call
  unless it brings a new id;
- several parallel calls all on `index` 0 with different ids (litellm): a new id on a used
  index starts a new call;
- `arguments` sent as a JSON object instead of string fragments: serialised;
- the name repeated in every delta: kept once;
- `finish_reason` "stop" on a tool turn (vLLM, Gemini's layer): the calls decide, not the
  finish reason;
- a stream that just ends, without a finish reason: incomplete, and its tool calls must not
  run.

Chunks may be SDK objects or plain dicts; both are read the same way.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from tui.model.wire import ToolCall, Usage


def field_of(obj: Any, name: str) -> Any:
    """`obj.name` or `obj[name]`, None when absent (SDK objects built without validation
    lack attributes the server did not send)."""
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj.get(name)
    return getattr(obj, name, None)


@dataclass
class _Slot:
    id: str | None = None
    name: str = ""
    arguments: str = ""


@dataclass(frozen=True)
class ToolCallUpdate:
    """What one tool-call delta changed: slot number, and new name/arguments text."""

    slot: int
    id: str | None
    name: str
    arguments_delta: str


class ToolCallAccumulator:
    def __init__(self) -> None:
        self._slots: list[_Slot] = []
        self._by_index: dict[int, _Slot] = {}

    def add(self, delta: Any) -> ToolCallUpdate:
        index = field_of(delta, "index")
        call_id = field_of(delta, "id") or None
        function = field_of(delta, "function")
        slot = self._by_index.get(index) if index is not None else None
        if index is None and self._slots and not call_id:
            slot = self._slots[-1]
        if index is None and call_id:
            slot = next((s for s in self._slots if s.id == call_id), None)
        if slot is None or (call_id and slot.id and call_id != slot.id):
            slot = _Slot(id=call_id)
            self._slots.append(slot)
            if index is not None:
                self._by_index[index] = slot
        if call_id and not slot.id:
            slot.id = call_id
        new_name = ""
        arguments = ""
        if function is not None:
            name = field_of(function, "name")
            if name and not slot.name:
                slot.name = new_name = name
            arguments = field_of(function, "arguments") or ""
            if isinstance(arguments, (dict, list)):
                arguments = json.dumps(arguments, ensure_ascii=False)
            slot.arguments += arguments
        return ToolCallUpdate(self._slots.index(slot), slot.id, new_name, arguments)

    def __bool__(self) -> bool:
        return bool(self._slots)

    def calls(self) -> list[ToolCall]:
        """The calls in Chat Completions shape; a missing id gets a fresh `call_...` one."""
        out: list[ToolCall] = []
        for slot in self._slots:
            if slot.id is None:
                slot.id = f"call_{uuid.uuid4().hex}"
            out.append({
                "id": slot.id,
                "type": "function",
                "function": {"name": slot.name, "arguments": slot.arguments},
            })
        return out


@dataclass(frozen=True)
class ParsedToolCall:
    id: str
    name: str
    arguments: dict[str, Any] | None
    # Why the arguments could not be used; send it back to the model as the tool result.
    error: str | None = None


@dataclass
class ChatResult:
    """A whole reply, as far as it arrived."""

    content: str = ""
    tool_calls: list[ToolCall] = field(default_factory=list)
    # None when the stream ended without one: the reply is incomplete.
    finish_reason: str | None = None
    usage: Usage | None = None
    model: str | None = None

    @property
    def complete(self) -> bool:
        return self.finish_reason is not None

    @property
    def incomplete_reason(self) -> str | None:
        if self.finish_reason is None:
            return "the stream ended before the model finished its reply"
        if self.finish_reason == "length":
            return "the reply was cut at the token limit"
        return None

    def parsed_tool_calls(self) -> list[ParsedToolCall]:
        """Tool calls with their arguments decoded (`{}` when empty)."""
        parsed = []
        for call in self.tool_calls:
            function = call["function"]
            text = function.get("arguments") or ""
            name = function.get("name") or ""
            try:
                arguments = json.loads(text) if text.strip() else {}
                error = None if isinstance(arguments, dict) else "the arguments are not a JSON object"
            except ValueError as exc:
                arguments, error = None, f"the arguments are not valid JSON ({exc})"
            if not name:
                error = "the tool call has no function name"
            parsed.append(ParsedToolCall(call["id"], name, arguments if error is None else None, error))
        return parsed


class ReplyAccumulator:
    """Folds chunks into a `ChatResult`; `feed` returns what each chunk added."""

    def __init__(self) -> None:
        self.result = ChatResult()
        self._text: list[str] = []
        self._tools = ToolCallAccumulator()

    def feed(self, chunk: Any) -> tuple[str, list[ToolCallUpdate], Usage | None]:
        text_parts: list[str] = []
        updates: list[ToolCallUpdate] = []
        model = field_of(chunk, "model")
        if model:
            self.result.model = model
        usage = field_of(chunk, "usage")
        new_usage = None
        if usage:
            data = usage if isinstance(usage, dict) else {
                name: field_of(usage, name) for name in ("prompt_tokens", "completion_tokens", "total_tokens")
            }
            new_usage = self.result.usage = Usage.from_dict(data)
        for choice in field_of(chunk, "choices") or []:
            delta = field_of(choice, "delta")
            content = field_of(delta, "content")
            if isinstance(content, str) and content:
                text_parts.append(content)
            for call in field_of(delta, "tool_calls") or []:
                updates.append(self._tools.add(call))
            finish = field_of(choice, "finish_reason")
            if finish:
                self.result.finish_reason = finish
        text = "".join(text_parts)
        if text:
            self._text.append(text)
        return text, updates, new_usage

    def snapshot(self) -> ChatResult:
        """The text so far, without tool calls (they are unusable until the reply ends)."""
        r = self.result
        return ChatResult("".join(self._text), [], r.finish_reason, r.usage, r.model)

    def finish(self) -> ChatResult:
        self.result.content = "".join(self._text)
        self.result.tool_calls = self._tools.calls()
        return self.result

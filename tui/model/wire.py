"""What Chat Completions servers send besides text: tool calls and token usage.

The model client reads them off the stream; the thread store keeps them on messages (so
`tui.threads.model` re-exports both: the store depends on the client's shapes, never the
other way round).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# In the Chat Completions shape, ready to send back:
# {"id": "call_1", "type": "function", "function": {"name": "shell", "arguments": "{...}"}}
ToolCall = dict[str, Any]


@dataclass(frozen=True)
class Usage:
    """Token counts reported by the server (absent when the server does not report them)."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    total_tokens: int = 0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Usage:
        prompt = int(data.get("prompt_tokens") or 0)
        completion = int(data.get("completion_tokens") or 0)
        total = int(data.get("total_tokens") or prompt + completion)
        return cls(prompt, completion, total)

    def to_dict(self) -> dict[str, int]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
        }

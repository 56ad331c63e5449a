"""The thread data model: immutable messages in a tree, threads as named pointers into it.

- A `Message` has one parent (None for a root). Messages are never rewritten once finished;
  an edit or a regenerate adds a sibling under the same parent.
- A `Thread` points at its head message. Its history is the chain from the head up to the
  root. A fork is a new thread pointing at an existing message: nothing is copied.
- `MessageSource` rows record which branches a merge/reduce message summarises.

Roles follow Chat Completions: "system", "user", "assistant", "tool". Tool calls are stored
in the Chat Completions shape, ready to send back:
`[{"id": "call_1", "type": "function", "function": {"name": "shell", "arguments": "{...}"}}]`.

Statuses:
- "streaming": a reply being written; its content may still grow.
- "complete": finished normally.
- "error": the model call failed (see `error`); content holds what arrived before.
- "cancelled": the user stopped it; content holds what arrived before.
- "interrupted": the process writing it died (found on the next open); content holds what
  was saved before the crash.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

# The client's shapes, kept on messages; imported from here by the store's modules.
from tui.model.wire import ToolCall as ToolCall
from tui.model.wire import Usage as Usage


class Role(StrEnum):
    SYSTEM = "system"
    USER = "user"
    ASSISTANT = "assistant"
    TOOL = "tool"


class Status(StrEnum):
    STREAMING = "streaming"
    COMPLETE = "complete"
    ERROR = "error"
    CANCELLED = "cancelled"
    INTERRUPTED = "interrupted"

    @property
    def finished(self) -> bool:
        return self is not Status.STREAMING


@dataclass(frozen=True)
class Message:
    id: str
    parent_id: str | None
    root_id: str
    depth: int
    role: Role
    content: str
    status: Status
    created_at: datetime
    # The thread that wrote this message; it may since have been deleted.
    thread_id: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None
    model: str | None = None
    endpoint: str | None = None
    usage: Usage | None = None
    error: str | None = None
    # Git tree oid of the agent's worktree after this message (built-in agent only).
    snapshot: str | None = None
    finished_at: datetime | None = None

    @property
    def finished(self) -> bool:
        return self.status is not Status.STREAMING

    @property
    def has_tool_calls(self) -> bool:
        return bool(self.tool_calls)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (used by `loupe thread ... --json` and exports)."""
        return {
            "id": self.id,
            "parent_id": self.parent_id,
            "root_id": self.root_id,
            "depth": self.depth,
            "thread_id": self.thread_id,
            "role": str(self.role),
            "content": self.content,
            "tool_calls": self.tool_calls,
            "tool_call_id": self.tool_call_id,
            "status": str(self.status),
            "model": self.model,
            "endpoint": self.endpoint,
            "usage": self.usage.to_dict() if self.usage else None,
            "error": self.error,
            "snapshot": self.snapshot,
            "created_at": self.created_at.isoformat(),
            "finished_at": self.finished_at.isoformat() if self.finished_at else None,
        }


@dataclass(frozen=True)
class Thread:
    id: str
    title: str
    head_id: str | None
    created_at: datetime
    updated_at: datetime
    forked_from: str | None = None
    fork_point_id: str | None = None
    endpoint: str | None = None
    model: str | None = None
    # "chat" for threads made in the app or CLI, "agent" for `loupe agent` conversations.
    kind: str = "chat"
    archived: bool = False
    # Free-form JSON object for the owner of the thread (e.g. the agent's working directory).
    meta: dict[str, Any] = field(default_factory=dict)
    # Messages from the root to the head (0 for an empty thread).
    length: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "head_id": self.head_id,
            "forked_from": self.forked_from,
            "fork_point_id": self.fork_point_id,
            "endpoint": self.endpoint,
            "model": self.model,
            "kind": self.kind,
            "archived": self.archived,
            "meta": self.meta,
            "length": self.length,
            "created_at": self.created_at.isoformat(),
            "updated_at": self.updated_at.isoformat(),
        }


@dataclass(frozen=True)
class SiblingPosition:
    """Where a message sits among its parent's children: `index` of `count`, 1-based."""

    index: int
    count: int
    previous_id: str | None
    next_id: str | None


@dataclass(frozen=True)
class MessageSource:
    """One branch a merge or reduce message summarises."""

    message_id: str
    target_thread_id: str
    source_thread_id: str
    source_head_id: str
    kind: str  # "merge" | "reduce"


@dataclass(frozen=True)
class FamilyMember:
    """A thread in a fork family, `level` forks below the family's root thread."""

    thread: Thread
    level: int


@dataclass(frozen=True)
class SearchHit:
    message: Message
    snippet: str
    # Where to open it: the thread that wrote it; if that thread was deleted, the threads
    # whose history still contains it. Archived threads are left out unless asked for.
    thread_ids: list[str]


def dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, separators=(",", ":"))

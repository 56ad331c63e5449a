"""What the model is sent on each turn: instructions, the original ask, and a history that fits.

Every request starts with a system message that carries the original user prompt inside
`<original-user-prompt>` tags, so after many tool calls the model still sees the ask first.
When the conversation's estimated size passes the token budget, old tool outputs are
shortened (head and tail kept), then replaced by a one-line stub, oldest first. User messages
and the latest turn (the last assistant message and what follows it) are never touched by
those first two passes; only if they alone overflow the budget are the latest tool outputs
cut down to head and tail excerpts. No message is ever removed, so every tool call keeps its
result and the request stays valid.

Messages here are Chat Completions dicts (`role`, `content`, `tool_calls`, `tool_call_id`);
the stored thread is never changed, only the copy sent.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

Message = dict[str, Any]

# A rough, dependency-free estimate; real tokenizers average 3.5-4.5 characters per token
# on code and English.
CHARS_PER_TOKEN = 4
EXCERPT_LINES = 20
EXCERPT_CHARS = 2_000
AGENTS_FILES = ("AGENTS.md", "CLAUDE.md")
AGENTS_FILE_CAP = 16_384


def estimate_tokens(messages: list[Message]) -> int:
    return sum(len(json.dumps(m, ensure_ascii=False)) for m in messages) // CHARS_PER_TOKEN


def system_prompt(root: Path, original_prompt: str, *, approval: str, shell_timeout_ms: int) -> str:
    parts = [
        f"You are loupe's coding agent. You work in the directory {root} (usually a git worktree "
        "of its own) and can only read and write inside it.",
        "Work until the task is done, then reply with a short summary of what you changed and "
        "how you checked it, without calling a tool.",
        "- Look before you change: list_dir, grep_files and read_file.",
        "- Edit files only with apply_patch; never rewrite a file through the shell.",
        "- Run the project's tests or checks with shell after changing code.",
        f"- Shell commands run without a terminal or stdin and are killed after {shell_timeout_ms} ms "
        "unless you pass timeout_ms. Set workdir instead of using cd.",
    ]
    if approval == "on-request":
        parts.append("- The user approves each shell command; if one is declined, do not retry it.")
    guidance = _project_guidance(root)
    if guidance:
        parts.append(guidance)
    parts.append(
        "The user's original request, repeated on every turn so it is never lost:\n"
        f"<original-user-prompt>\n{original_prompt}\n</original-user-prompt>"
    )
    return "\n".join(parts)


def _project_guidance(root: Path) -> str:
    for name in AGENTS_FILES:
        path = root / name
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if len(text) > AGENTS_FILE_CAP:
            text = text[:AGENTS_FILE_CAP] + "\n[... truncated]"
        return (
            f"The project's instructions for agents ({name}):\n"
            f"<project-instructions>\n{text.strip()}\n</project-instructions>"
        )
    return ""


def build_request(history: list[Message], system: str, token_budget: int) -> list[Message]:
    """The messages to send: the system message, then the history shortened to fit."""
    messages = [{"role": "system", "content": system}]
    messages += [dict(m) for m in history if m.get("role") != "system"]
    return fit_budget(messages, token_budget)


def fit_budget(messages: list[Message], token_budget: int) -> list[Message]:
    budget_chars = token_budget * CHARS_PER_TOKEN
    size = sum(len(json.dumps(m, ensure_ascii=False)) for m in messages)
    if size <= budget_chars:
        return messages
    latest = _latest_turn_start(messages)
    originals = {i: _text(m) for i, m in enumerate(messages[:latest]) if m.get("role") == "tool"}
    for shorten in (_excerpt, _stub):
        for index, original in originals.items():
            if size <= budget_chars:
                return messages
            size += _replace(messages, index, shorten(original))
    new_tools = [i for i, m in enumerate(messages) if i >= latest and m.get("role") == "tool"]
    if size > budget_chars and new_tools:
        over = size - budget_chars
        for index in new_tools:
            text = _text(messages[index])
            keep = max(EXCERPT_CHARS, len(text) - over)
            if keep < len(text):
                over += _replace(messages, index, _excerpt(text, keep))
                size = budget_chars + over
    return messages


def _latest_turn_start(messages: list[Message]) -> int:
    for index in range(len(messages) - 1, -1, -1):
        if messages[index].get("role") == "assistant":
            return index
    return len(messages)


def _text(message: Message) -> str:
    content = message.get("content")
    return content if isinstance(content, str) else json.dumps(content)


def _replace(messages: list[Message], index: int, text: str) -> int:
    """Swap a message's content; return the change in serialized size."""
    before = len(json.dumps(messages[index], ensure_ascii=False))
    messages[index] = {**messages[index], "content": text}
    return len(json.dumps(messages[index], ensure_ascii=False)) - before


def _excerpt(text: str, max_chars: int = EXCERPT_CHARS) -> str:
    if len(text) <= max_chars:
        return text
    lines = text.splitlines()
    half = max_chars // 2
    head = "\n".join(lines[:EXCERPT_LINES])[:half]
    tail = "\n".join(lines[-EXCERPT_LINES:])[-half:] if len(lines) > EXCERPT_LINES else text[-half:]
    return (
        f"Total output lines: {len(lines)}\n"
        "[shortened to fit the context budget: the first and last lines]\n"
        f"{head}\n[...]\n{tail}"
    )


def _stub(text: str) -> str:
    lines = text.count("\n") + 1
    return f"[tool output of {lines} lines omitted to fit the context budget; run the tool again if you need it]"

"""Talking to OpenAI-compatible models (no textual; `openai` is imported only when used).

- `endpoints`: which server, key (by env var name only) and model to use, from config.
- `client.ModelClient`: streamed Chat Completions as an async stream of events, with a
  tolerant tool-call accumulator (`accumulator`), read timeout, retries and cancellation.
- `sync`: the same from a plain thread or a CLI.
- `wire`: tool calls and token usage as servers send them (the thread store keeps them too;
  `tui.threads` imports `tui.model`, never the other way round).
- `scripted_server`: an offline OpenAI-compatible server replaying scripted replies.
"""

"""loupe's built-in coding agent: codex-style tools and a tool-calling loop over Chat Completions.

Nothing here imports textual: the agent runs as `loupe agent` inside a tmux session, like any
other coding agent, and the app only reads what it leaves behind (status file, thread store).
"""

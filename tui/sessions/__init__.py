"""Agent sessions: tmux-hosted agents in their own git worktrees."""

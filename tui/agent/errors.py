"""Errors raised by the built-in agent and its tools."""

from __future__ import annotations

from tui.errors import LoupeError


class AgentError(LoupeError):
    """The agent cannot go on; the message says why and what to do."""


class ToolError(LoupeError):
    """A tool call failed in a way the model can fix (bad path, bad patch, bad arguments).

    The loop sends the message back to the model as the tool's result instead of stopping.
    """


class PathEscapeError(ToolError):
    """A path points outside the working directory, directly or through a symlink."""


class PatchError(ToolError):
    """A patch does not parse or does not apply; nothing was written."""

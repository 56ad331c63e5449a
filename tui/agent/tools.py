"""The agent's tool registry: JSON schemas for the model and dispatch of its calls.

Argument names and output shapes follow codex's tools, since models are tuned on them. Every
mistake the model can fix (bad JSON, an unknown tool, a missing argument, a path outside the
workspace, a patch that does not apply) comes back as the tool's result, marked as an error,
and the loop carries on; only the user or the model ends a run.
"""

from __future__ import annotations

import json
import os
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui import secrets
from tui.agent import fs_tools
from tui.agent.apply_patch import apply_patch
from tui.agent.errors import ToolError
from tui.agent.paths import Workspace
from tui.agent.shell import run_shell

# Asked before a shell command runs (argv, workdir shown to the user); False declines it.
Approver = Callable[[list[str], str], bool]

PATCH_INSTRUCTIONS = """\
Edit files with a patch in this format (paths relative to the working directory):
*** Begin Patch
*** Add File: path/new.py
+every line of a new file starts with +
*** Update File: path/old.py
*** Move to: path/renamed.py   (optional)
@@ def function_the_change_is_in():   (optional, repeatable; narrows the position)
 three context lines before, unchanged (space prefix)
-a removed line
+an added line
 three context lines after
*** Delete File: path/obsolete.py
*** End Patch
Either every change applies or none does; on failure the error names the hunk and why."""

def _function(
    name: str, description: str, properties: dict[str, tuple[str, str]], required: list[str]
) -> dict[str, Any]:
    """A Chat Completions function tool; `properties` maps an argument to (JSON type, help)."""
    schema: dict[str, Any] = {}
    for arg, (kind, help_text) in properties.items():
        schema[arg] = {"type": kind, "description": help_text}
        if kind == "array":
            schema[arg]["items"] = {"type": "string"}
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": description,
            "parameters": {
                "type": "object",
                "properties": schema,
                "required": required,
                "additionalProperties": False,
            },
        },
    }


SCHEMAS: list[dict[str, Any]] = [
    _function(
        "shell",
        "Run a command and return its exit code and output. `command` is an argv array passed to "
        "execvp; prefix shell syntax with [\"bash\", \"-lc\", \"...\"]. Always set `workdir` "
        "instead of using cd. Commands are killed after timeout_ms (exit 124).",
        {
            "command": ("array", "The argv to run."),
            "workdir": ("string", "Working directory (default: the workspace)."),
            "timeout_ms": ("integer", "Kill the command after this many ms."),
        },
        ["command"],
    ),
    _function("apply_patch", PATCH_INSTRUCTIONS, {"input": ("string", "The whole patch text.")}, ["input"]),
    _function(
        "read_file",
        "Read a text file; each line comes back as `L{n}: text`.",
        {
            "file_path": ("string", "Path of the file."),
            "offset": ("integer", "First line, 1-based (default 1)."),
            "limit": ("integer", "Number of lines (default 2000)."),
        },
        ["file_path"],
    ),
    _function(
        "list_dir",
        "List a directory as a tree: `/` marks folders, `@` symlinks.",
        {
            "dir_path": ("string", "Directory (default: the workspace)."),
            "offset": ("integer", "First entry, 1-based (default 1)."),
            "limit": ("integer", "Number of entries (default 25)."),
            "depth": ("integer", "Levels to descend (default 2)."),
        },
        [],
    ),
    _function(
        "grep_files",
        "Find files whose contents match a regex; returns paths, newest first.",
        {
            "pattern": ("string", "Regular expression."),
            "include": ("string", "Glob of files to search, e.g. *.{py,md}."),
            "path": ("string", "Directory or file to search (default: the workspace)."),
            "limit": ("integer", "Most paths to return (default 100, max 2000)."),
        },
        ["pattern"],
    ),
]

DECLINED = "The user declined to run this command. Do not retry it; ask or do something else."

TOOL_NAMES = tuple(schema["function"]["name"] for schema in SCHEMAS)


@dataclass
class ToolOutcome:
    content: str
    ok: bool = True
    # Shell exit code, for the transcript line.
    exit_code: int | None = None


class Toolbox:
    def __init__(
        self,
        workspace: Workspace,
        *,
        shell_timeout_ms: int = 10_000,
        output_cap_bytes: int = 1 << 20,
        approve: Approver | None = None,
        on_shell_output: Callable[[bytes], None] | None = None,
    ) -> None:
        self.workspace = workspace
        self.shell_timeout_ms = shell_timeout_ms
        self.output_cap_bytes = output_cap_bytes
        self.approve = approve
        self.on_shell_output = on_shell_output

    def schemas(self) -> list[dict[str, Any]]:
        return SCHEMAS

    def run(self, name: str, arguments: str) -> ToolOutcome:
        """The call's result with every secret hidden: it is stored in the thread and sent to
        the model, and an agent's `env` or `cat .env` must not put API keys in either."""
        outcome = self._run(name, arguments)
        outcome.content = secrets.redact(outcome.content)
        return outcome

    def _run(self, name: str, arguments: str) -> ToolOutcome:
        try:
            args = parse_arguments(arguments)
            if name == "shell":
                return self._shell(args)
            if name == "apply_patch":
                return ToolOutcome(apply_patch(_str(args, "input"), self.workspace).for_model())
            if name == "read_file":
                return ToolOutcome(
                    fs_tools.read_file(
                        self.workspace, _str(args, "file_path"), _int(args, "offset", 1), _int(args, "limit", 2000)
                    )
                )
            if name == "list_dir":
                return ToolOutcome(
                    fs_tools.list_dir(
                        self.workspace, _str(args, "dir_path", "."), _int(args, "offset", 1),
                        _int(args, "limit", 25), _int(args, "depth", 2),
                    )
                )
            if name == "grep_files":
                include = args.get("include")
                if include is not None and not isinstance(include, str):
                    raise ToolError("include must be a string glob")
                return ToolOutcome(
                    fs_tools.grep_files(
                        self.workspace, _str(args, "pattern"), include or None,
                        _str(args, "path", "."), _int(args, "limit", 100),
                    )
                )
            raise ToolError(f"there is no tool named {name!r}; the tools are {', '.join(TOOL_NAMES)}")
        except ToolError as exc:
            return ToolOutcome(f"Error: {exc}", ok=False)
        except OSError as exc:
            # Whatever the file system does (a tree changing under the tool included), the
            # model gets a result and the agent goes on.
            return ToolOutcome(f"Error: {name} failed: {exc.strerror or exc}", ok=False)

    def _shell(self, args: dict[str, Any]) -> ToolOutcome:
        command = args.get("command")
        if isinstance(command, str):
            # Some models send one string; run it the way they meant it.
            command = ["bash", "-lc", command]
        if not isinstance(command, list) or not command or not all(isinstance(a, str) for a in command):
            raise ToolError('command must be a non-empty array of strings, e.g. ["bash", "-lc", "ls"]')
        if command[0] == "apply_patch" and len(command) == 2:
            # codex models sometimes call the patch tool through the shell.
            return ToolOutcome(apply_patch(command[1], self.workspace).for_model())
        timeout_ms = _int(args, "timeout_ms", self.shell_timeout_ms)
        if timeout_ms < 1:
            raise ToolError("timeout_ms must be at least 1")
        folder, parts = self.workspace.open_dir(_str(args, "workdir", "."))
        try:
            if self.approve is not None and not self.approve(command, self.workspace.relative(parts)):
                return ToolOutcome(DECLINED, ok=False)
            # The folder as opened (not its name, which a swap could redirect): the child
            # changes into it through its inherited descriptor.
            result = run_shell(
                command, cwd=Path(f"/proc/self/fd/{folder}"), timeout_ms=timeout_ms,
                cap_bytes=self.output_cap_bytes, on_output=self.on_shell_output,
            )
        finally:
            os.close(folder)
        return ToolOutcome(result.for_model(), ok=result.exit_code == 0, exit_code=result.exit_code)


def parse_arguments(arguments: str) -> dict[str, Any]:
    text = arguments.strip() if arguments else ""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ToolError(
            f"the arguments are not valid JSON ({exc.msg} at character {exc.pos}); send a JSON object"
        ) from exc
    if not isinstance(value, dict):
        raise ToolError("the arguments must be a JSON object")
    return value


def describe_call(name: str, arguments: str) -> str:
    """One line for the transcript: what the model asked for, without the bulky parts."""
    try:
        args = parse_arguments(arguments)
    except ToolError:
        return f"{name} (unparsable arguments)"
    if name == "shell":
        command = args.get("command")
        is_argv = isinstance(command, list) and all(isinstance(a, str) for a in command)
        line = shlex.join(command) if is_argv else str(command)
        workdir = args.get("workdir")
        return f"$ {line}" + (f"   (in {workdir})" if workdir and workdir != "." else "")
    if name == "apply_patch":
        text = args.get("input") if isinstance(args.get("input"), str) else ""
        files = [line.split(": ", 1)[1] for line in str(text).splitlines() if line.startswith("*** ") and ": " in line]
        return f"apply_patch {', '.join(files)}" if files else "apply_patch"
    shown = ", ".join(f"{k}={v!r}" for k, v in args.items())
    return f"{name}({shown})"


def _str(args: dict[str, Any], key: str, default: str | None = None) -> str:
    value = args.get(key, default)
    if value is None:
        raise ToolError(f"missing the required argument {key!r}")
    if not isinstance(value, str):
        raise ToolError(f"{key} must be a string")
    return value


def _int(args: dict[str, Any], key: str, default: int) -> int:
    value = args.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or int(value) != value:
        raise ToolError(f"{key} must be an integer")
    return int(value)

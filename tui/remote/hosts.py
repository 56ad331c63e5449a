"""`[hosts.NAME]` tables: machines that run sessions over SSH.

    [hosts.gpu]
    ssh = "me@gpu.example.com"      # user@host, host, or any alias of your ssh_config
    repo = "~/src/app"              # the repository's clone there
    tmux_socket = "loupe"           # `tmux -L <socket>` there
    loupe = "loupe"                 # how to run loupe there (its guard and hooks need it)
    idle_stop_minutes = 0           # stop its idle sessions after this long; 0: never

A repository's config may define hosts only once trusted (`tui.trust`): a cloned repo must
not make loupe ssh anywhere. `loupe host add` writes to the user's config, never a repo's.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui import locations
from tui.errors import LoupeError, UsageError

# The name "local" is this machine's host.
RESERVED = frozenset({"local"})
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
_SOCKET = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass
class HostConfig:
    # How ssh reaches the host: "user@host", "host", or an alias of your ssh_config.
    ssh: str = ""
    # The repository's clone on the host: absolute, "~/..." or relative to the login folder.
    repo: str = ""
    # tmux server socket name there (`tmux -L <name>`).
    tmux_socket: str = "loupe"
    # The command that runs loupe there; a full path when it is not on the non-interactive PATH.
    loupe: str = "loupe"
    # Stop sessions there that have been idle this many minutes (0: never).
    idle_stop_minutes: int = 0
    # An ssh_config file to use instead of ~/.ssh/config (`ssh -F`); "" for ssh's own.
    ssh_config: str = ""

    def loupe_argv(self) -> list[str]:
        return shlex.split(self.loupe)

    def ssh_config_file(self) -> Path | None:
        """The `-F` file: this host's, else `$LOUPE_SSH_CONFIG`, else none (ssh's defaults)."""
        chosen = self.ssh_config or os.environ.get("LOUPE_SSH_CONFIG", "")
        return Path(chosen).expanduser() if chosen else None


def name_problem(name: str) -> str | None:
    if name in RESERVED:
        return f"'{name}' is this machine's name in loupe; give the host another name"
    if not _NAME.fullmatch(name):
        return (f"{name!r} is not a usable host name: use up to 32 letters, digits, '-' and '_', "
                "starting with a letter or digit")
    return None


def target_problem(target: str) -> str | None:
    """Why `target` cannot be an ssh destination, or None. A leading '-' would be read by ssh
    as an option (`-oProxyCommand=...` runs a command here)."""
    if not target:
        return 'is empty; give "user@host" or an alias from your ssh_config'
    if target.startswith("-") or _CONTROL.search(target) or any(c.isspace() for c in target):
        return (f"{target!r} is not an ssh destination: give \"user@host\", \"host\" or an alias "
                "from your ssh_config, without spaces or a leading '-'")
    return None


def problems(name: str, values: dict[str, object]) -> list[tuple[str, str]]:
    """What is wrong in one `[hosts.NAME]` table, as (key, message); key "" is the table itself.

    `values` has the keys whose types were right; a key named here falls back to its default.
    """
    bad_name = name_problem(name)
    if bad_name:
        return [("", bad_name + "; this host is ignored")]
    found: list[tuple[str, str]] = []
    if "ssh" in values and (why := target_problem(str(values["ssh"]))):
        found.append(("ssh", why))
    for key in ("repo", "ssh_config"):
        if key in values and _CONTROL.search(str(values[key])):
            found.append((key, "a path cannot hold control characters (newlines, tabs, escapes)"))
    socket = values.get("tmux_socket")
    if socket is not None and not _SOCKET.fullmatch(str(socket)):
        found.append(("tmux_socket", f"{socket!r} is not a socket name: use letters, digits, '.', '-', '_'"))
    if "loupe" in values and (why := _command_problem(str(values["loupe"]))):
        found.append(("loupe", why))
    minutes = values.get("idle_stop_minutes")
    if isinstance(minutes, int) and minutes < 0:
        found.append(("idle_stop_minutes", "must be 0 (never) or a number of minutes"))
    return [(key, message + ("" if key == "" else "; using the default")) for key, message in found]


def _command_problem(command: str) -> str | None:
    try:
        words = shlex.split(command)
    except ValueError as exc:
        return f"{command!r} is not a command line ({exc})"
    if not words or _CONTROL.search(command):
        return f"{command!r} is not a command line: give e.g. \"loupe\" or \"/opt/loupe/bin/loupe\""
    return None


def add_to_user_config(name: str, target: str, *, repo: str = "") -> Path:
    """Append `[hosts.NAME]` to the user's config file; refuse a name that is already there.

    The file is checked to parse after the change before it replaces the old one, so a
    mistake here can never leave the user with a config loupe cannot read.
    """
    for why in (name_problem(name), target_problem(target)):
        if why:
            raise UsageError(why)
    if _CONTROL.search(repo):
        raise UsageError("the repo path cannot hold control characters (newlines, tabs, escapes)")
    path = locations.user_config_file()
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    existing = _parsed(old, path).get("hosts", {})
    if not isinstance(existing, dict):
        raise LoupeError(f"'hosts' in {path} is not a table; fix it before adding a host")
    if name in existing:
        raise LoupeError(f"host '{name}' is already in {path}; edit it there")
    table = [f"[hosts.{name}]", f"ssh = {_toml(target)}"] + ([f"repo = {_toml(repo)}"] if repo else [])
    new = old + ("\n" if old and not old.endswith("\n") else "") + ("\n" if old.strip() else "")
    new += "\n".join(table) + "\n"
    if _parsed(new, path).get("hosts", {}).get(name, {}).get("ssh") != target:
        raise LoupeError(f"could not add host '{name}' to {path} safely; add the table by hand")
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(new, encoding="utf-8")
    if path.exists():
        os.chmod(temporary, path.stat().st_mode & 0o777)
    os.replace(temporary, path)
    return path


def _parsed(text: str, path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise LoupeError(f"{path} is not valid TOML ({exc}); fix it before adding a host") from exc


def _toml(value: str) -> str:
    # A JSON string is a TOML basic string (the control characters it escapes were refused).
    return json.dumps(value, ensure_ascii=False)

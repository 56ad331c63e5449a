"""Trusting a repository's config: which settings need it, and who gave it.

A cloned repository's `.loupe/config.toml` is written by whoever wrote the repository. Some
of its settings would let them act as the user: an endpoint (where prompts, code and the key
in `api_key_env` are sent), headers, an agent's command, a setup script, hooks, the editor
command, the agent's approval mode, a host to ssh into. Those apply only once the user has
trusted that exact file, as direnv's `allow` does: trust is recorded per repository and per
SHA-256 of the file's bytes, so any change to the file needs a new yes.

    risky_settings(raw)              # what in a parsed repo config needs trust
    verdict(repo_root, data)         # TRUSTED, UNTRUSTED or CHANGED for these bytes
    trusted_part(raw, data, root)    # what config may use, and the notice for the rest
    allow(repo_root, data) / revoke(repo_root)

Records live in the data folder (`trusted.json`, 0600), keyed by the repository's main
worktree, so a session's worktree of a trusted repository is trusted while its config file
is the one the user read.
"""

from __future__ import annotations

import copy
import enum
import hashlib
import json
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tui import locations, private_files

# Keys that, anywhere in the file, run something or send something somewhere.
RISKY_NAMES = frozenset({"command", "setup_script", "hooks", "editor", "base_url", "api_key_env", "headers"})
_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
# Keys risky where they are: every endpoint, and switching off approval of agent commands.
RISKY_PATHS = frozenset({("agent", "approval")})


class Verdict(enum.Enum):
    TRUSTED = "trusted"
    UNTRUSTED = "untrusted"
    # Trusted once, but the file has changed since.
    CHANGED = "changed"


@dataclass(frozen=True)
class RiskySetting:
    path: tuple[str, ...]
    value: Any

    @property
    def key(self) -> str:
        """The dotted key as TOML writes it: odd names quoted, control characters escaped
        (a repository chooses these names; they are shown, never interpreted)."""
        return ".".join(part if _BARE_KEY.fullmatch(part) else json.dumps(part) for part in self.path)


def risky_settings(raw: dict[str, Any]) -> list[RiskySetting]:
    """The settings of a parsed config that need trust, in file order."""
    found: list[RiskySetting] = []

    def walk(table: dict[str, Any], path: tuple[str, ...]) -> None:
        for key, value in table.items():
            here = (*path, str(key))
            if _risky(here, value):
                found.append(RiskySetting(here, value))
            elif isinstance(value, dict):
                walk(value, here)

    walk(raw, ())
    return found


def _risky(path: tuple[str, ...], value: Any) -> bool:
    # A host is where loupe sshes and what it runs there: all of it, or none, needs trust.
    if path[0] in ("endpoints", "hosts"):
        return len(path) == 2 or not isinstance(value, dict)
    return path[-1] in RISKY_NAMES or path in RISKY_PATHS


@dataclass(frozen=True)
class Ignored:
    """Settings left out of a repository's config, and the notice that says so."""

    settings: list[RiskySetting]
    message: str


def trusted_part(raw: dict[str, Any], data: bytes, repo_root: Path) -> tuple[dict[str, Any], Ignored | None]:
    """`raw` (the parsed `data`) without the settings that need trust, unless the user
    trusted these bytes; and what was left out, if anything."""
    risky = risky_settings(raw)
    if not risky:
        return raw, None
    found = verdict(repo_root, data)
    if found is Verdict.TRUSTED:
        return raw, None
    why = "changed since you trusted it" if found is Verdict.CHANGED else "not trusted"
    message = (
        f"this repository's config is {why}, so these settings are ignored: "
        f"{', '.join(setting.key for setting in risky)}. Run `loupe trust` in {repo_root} to "
        "review them and trust this file"
    )
    return without(raw, risky), Ignored(risky, message)


def without(raw: dict[str, Any], settings: list[RiskySetting]) -> dict[str, Any]:
    """A copy of `raw` with these settings taken out."""
    out = copy.deepcopy(raw)
    for setting in settings:
        table = out
        for key in setting.path[:-1]:
            table = table.get(key, {})
        if isinstance(table, dict):
            table.pop(setting.path[-1], None)
    return out


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def identity(repo_root: Path) -> Path:
    """The repository a folder belongs to: its main worktree, also for linked worktrees."""
    root = repo_root.resolve()
    marker = root / ".git"
    if not marker.is_file():
        return root
    try:
        line = marker.read_text(encoding="utf-8").strip()
        gitdir = (root / line.removeprefix("gitdir:").strip()).resolve()
        common = (gitdir / (gitdir / "commondir").read_text(encoding="utf-8").strip()).resolve()
    except OSError:
        return root
    # A linked worktree's common git folder is the main worktree's `.git`.
    return common.parent if common.name == ".git" else root


def records_file() -> Path:
    return locations.data_dir() / "trusted.json"


def _records() -> dict[str, dict[str, Any]]:
    try:
        data = json.loads(records_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    repos = data.get("repos") if isinstance(data, dict) else None
    return {str(k): v for k, v in repos.items() if isinstance(v, dict)} if isinstance(repos, dict) else {}


def _save(records: dict[str, dict[str, Any]]) -> None:
    private_files.data_dir()
    private_files.write_private(records_file(), json.dumps({"repos": records}, indent=2, sort_keys=True) + "\n")


def verdict(repo_root: Path, data: bytes) -> Verdict:
    record = _records().get(str(identity(repo_root)))
    if record is None:
        return Verdict.UNTRUSTED
    return Verdict.TRUSTED if record.get("sha256") == digest(data) else Verdict.CHANGED


def allow(repo_root: Path, data: bytes) -> None:
    """Trust the repository's config file whose bytes are `data` (and no other content)."""
    records = _records()
    records[str(identity(repo_root))] = {"sha256": digest(data), "trusted_at": time.time()}
    _save(records)


def revoke(repo_root: Path) -> bool:
    """Forget the trust given to the repository's config; whether there was any."""
    records = _records()
    if records.pop(str(identity(repo_root)), None) is None:
        return False
    _save(records)
    return True

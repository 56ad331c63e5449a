"""`loupe trust [PATH] [--yes | --revoke]`: review and trust a repository's `.loupe/config.toml`.

It shows the settings of the file that need trust (see `tui.trust`), with their values as
data (JSON, so control characters show as escapes), asks, and records the answer for this
repository and this exact content. A changed file is untrusted again.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tomllib
from pathlib import Path
from typing import Any

from tui import locations, trust
from tui.errors import LoupeError, UsageError

SUMMARY = "review a repository's .loupe/config.toml and trust its endpoints, commands and scripts"

AGENT_DOC = """\
## loupe trust

A repository's `.loupe/config.toml` may not set endpoints, API keys, headers, agent commands,
setup scripts, hooks, the editor, the approval mode or ssh hosts until the human trusts that exact
file with `loupe trust` (per repository and content hash; any edit needs a new yes). Until
then loupe ignores those settings and says so. Trust is the human's decision: never run
`loupe trust` yourself; if a setting is ignored, tell the user.
"""


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="loupe trust", description=SUMMARY)
    parser.add_argument("path", nargs="?", type=Path, help="the repository (default: the current folder)")
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument("--yes", action="store_true", help="trust without asking")
    choice.add_argument("--revoke", action="store_true", help="forget the trust given to this repository")
    args = parser.parse_args(argv)
    try:
        return _run(args)
    except UsageError as exc:
        print(f"loupe: trust: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    if os.environ.get("LOUPE_SESSION"):
        raise LoupeError(
            "loupe trust records a person's decision; run it in your own terminal, not inside "
            "an agent session (LOUPE_SESSION is set)"
        )
    root = _repo_root(args.path)
    if args.revoke:
        if trust.revoke(root):
            print(f"{root}: trust revoked; its config's endpoints, commands and scripts are ignored again")
        else:
            print(f"{root}: was not trusted; nothing to revoke")
        return 0
    return _review(root, assume_yes=args.yes)


def _repo_root(path: Path | None) -> Path:
    from tui.workspace import find_repo_root

    folder = (path or Path.cwd()).expanduser()
    if not folder.is_dir():
        raise UsageError(f"{folder} is not a folder; give the repository whose config to trust")
    return find_repo_root(folder) or folder.resolve()


def _review(root: Path, *, assume_yes: bool) -> int:
    file = locations.repo_config_file(root)
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        print(f"{root} has no .loupe/config.toml; there is nothing to trust")
        return 0
    except OSError as exc:
        raise LoupeError(f"cannot read {file}: {exc.strerror}") from exc
    try:
        raw = tomllib.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise LoupeError(f"{file} is not valid TOML ({exc}); fix it before trusting it") from exc
    risky = trust.risky_settings(raw)
    if not risky:
        print(f"{file} sets nothing that needs trust; it applies as it is")
        return 0
    verdict = trust.verdict(root, data)
    state = {
        trust.Verdict.TRUSTED: "trusted",
        trust.Verdict.CHANGED: "CHANGED since you trusted it; not trusted",
        trust.Verdict.UNTRUSTED: "not trusted",
    }[verdict]
    print(f"{file} (sha256 {trust.digest(data)[:16]}, {state}) sets:")
    for setting in risky:
        print(f"  {setting.key} = {_shown(setting.value)}")
        for consequence in _consequences(setting):
            print(f"      {consequence}")
    if verdict is trust.Verdict.TRUSTED:
        return 0
    if not assume_yes and not _ask():
        print("not trusted; these settings stay ignored")
        return 1
    trust.allow(root, data)
    print(f"trusted: {root}'s config applies as shown until the file changes")
    return 0


def _shown(value: Any) -> str:
    """The value as JSON: strings quoted, control characters and escapes visible."""
    return json.dumps(value, ensure_ascii=True, default=str)


def _consequences(setting: trust.RiskySetting) -> list[str]:
    """What a setting would do, in words, for the settings that send or run something."""
    value = setting.value
    if setting.path[0] == "endpoints" and isinstance(value, dict):
        url = value.get("base_url") or "https://api.openai.com/v1"
        key = value.get("api_key_env", "OPENAI_API_KEY")
        sent = f"the value of ${key}" if key else "no key"
        return [f"-> sends your prompts, code and {_shown(sent)[1:-1]} to {_shown(url)}"]
    if setting.path[0] == "hosts" and isinstance(value, dict):
        return [f"-> logs in with ssh to {_shown(value.get('ssh', ''))} as you and runs agents there"]
    if setting.path[-1] in ("command", "setup_script", "editor") and isinstance(value, str):
        return [f"-> runs {_shown(value)} as you"]
    return []


def _ask() -> bool:
    if not sys.stdin.isatty():
        raise LoupeError("not trusted: answer in a terminal, or run `loupe trust --yes` after reading the above")
    try:
        answer = input("Trust these settings? [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")

"""The guard's slow path: the `git` shim sends pushes, plumbing that pushes, aliases and
commands that run nested git here.

It refuses what the pre-push hook cannot see (`--no-verify`, `--mirror` deletions, plumbing
that runs no hooks, a custom receive-pack), then runs the real git with the guard's hooks as
`core.hooksPath`, passed as the LAST `-c` so no other config source (repo config, `-c`,
`--config-env`, `GIT_CONFIG_*`) can override it. The hook then checks every ref update.

Standard library only (copied into each guard install, run with `python -IS`).
"""

from __future__ import annotations

import os

from .gitargs import CommandLine, parse_bool, parse_push, split_cmdline, split_globals, unresolved_is_sensitive
from .refusal import COMMAND_ENV, CWD_ENV, OUTER_ENV, encode_command, refuse, session_name
from .settings import MARKER, REPO_HOOKS_CWD_ENV, REPO_HOOKS_ENV, Settings
from .spawn import capture

# Builtins that can change a remote or run other commands: never on the shim's fast path.
ROUTED_BUILTINS = frozenset({"push", "send-pack", "rebase"})
# Commands git runs itself on behalf of a push that already went through the hook.
_HELPER_FLAGS = ("--stateless-rpc", "--helper-status")
_DEFAULT_RECEIVE_PACK = ("git-receive-pack", "git receive-pack")
_MAX_ALIAS_DEPTH = 16


class Refused(Exception):
    def __init__(self, what: str, reason: str, remote: str | None = None) -> None:
        super().__init__(reason)
        self.what = what  # a few words for lists: "--no-verify", "send-pack"
        self.reason = reason
        self.remote = remote


def main(argv: list[str], settings: Settings) -> int:
    line = split_globals(argv)
    command = ["git", *argv]
    if line.exec_path is not None:
        return refuse(
            settings.audit_log,
            command,
            f"--exec-path={line.exec_path} would let nested git commands skip the guard.",
            what="--exec-path",
            session=session_name(settings.real_git, line.globals),
        )
    if line.command is None:
        _exec_real(settings, argv)  # no subcommand: git prints usage or help
    try:
        dry_run = _check(line, settings, depth=0, seen=set())
        if line.unknown_options:  # a newer git's option: it may take a value, check that too
            other = split_globals(argv, unknown_takes_value=True)
            if other.command is not None:
                dry_run = _check(other, settings, depth=0, seen=set()) and dry_run
    except Refused as refused:
        return refuse(settings.audit_log, command, refused.reason, remote=refused.remote, what=refused.what,
                      session=session_name(settings.real_git, line.globals))
    split = len(argv) - len(line.args) - 1
    hooks = settings.hooks_dry_run if dry_run else settings.hooks
    os.environ[COMMAND_ENV] = encode_command(command)
    os.environ.setdefault(OUTER_ENV, os.environ[COMMAND_ENV])
    os.environ.setdefault(CWD_ENV, os.getcwd())
    _export_repo_hooks(line, settings)
    _exec_real(settings, [*argv[:split], "-c", f"core.hooksPath={hooks}", *argv[split:]])
    return 1  # not reached


def _exec_real(settings: Settings, argv: list[str]) -> None:
    os.execv(settings.real_git, [settings.real_git, *argv])


def _export_repo_hooks(line: CommandLine, settings: Settings) -> None:
    """Tell the hook forwarders where this repository's own hooks are (see settings)."""
    for name in (REPO_HOOKS_ENV, REPO_HOOKS_CWD_ENV):
        os.environ.pop(name, None)
    asked = ["rev-parse", "--path-format=absolute", "--git-path", "hooks", "--is-bare-repository", "--absolute-git-dir"]
    # --show-toplevel comes last: in a bare repository it fails after the others printed.
    _code, out = capture([settings.real_git, *line.globals, *asked, "--show-toplevel"])
    lines = out.decode(errors="surrogateescape").splitlines()
    if len(lines) < 3 or os.path.exists(os.path.join(lines[0], f".{MARKER}")):
        return  # not in a repository, or the hooks folder is a guard's own (nested guard)
    hooks, bare, git_dir = lines[:3]
    where = git_dir if bare == "true" else (lines[3] if len(lines) > 3 else "")
    if where:
        os.environ[REPO_HOOKS_ENV] = hooks
        os.environ[REPO_HOOKS_CWD_ENV] = os.path.realpath(where)


def _check(line: CommandLine, settings: Settings, *, depth: int, seen: set[str]) -> bool:
    """Raise Refused, or return whether the command is a push dry run."""
    name = line.command or ""
    if name == "push":
        return _check_push(line, settings)
    if name in ("send-pack", "http-push"):
        _check_plumbing(name, line.args)
        return False
    if name in settings.builtins or depth >= _MAX_ALIAS_DEPTH or name in seen:
        return False  # git reports alias loops itself
    code, out = capture([settings.real_git, *line.globals, "config", "--get", f"alias.{name}"])
    if code != 0:
        return False  # not an alias: an external git-<name> command, or a typo
    value = out.decode(errors="surrogateescape").rstrip("\n")
    if value.startswith("!"):
        return False  # shell alias: its nested git goes through the shim, and runs our hooks
    try:
        words = split_cmdline(value)
    except ValueError:
        return False  # git refuses the alias too
    expanded = split_globals(words)
    if expanded.command is None:
        return False
    expanded.globals = [*line.globals, *expanded.globals]
    expanded.args = [*expanded.args, *line.args]
    return _check(expanded, settings, depth=depth + 1, seen=seen | {name})


def _check_plumbing(name: str, args: list[str]) -> None:
    if "--dry-run" in args and not any(arg.startswith("--no-d") for arg in args):
        return
    # git-remote-http runs these inside a `git push` whose pre-push hook already ran.
    helper = _HELPER_FLAGS if name == "send-pack" else _HELPER_FLAGS[1:]
    if all(flag in args for flag in helper):
        return
    raise Refused(name, f"`git {name}` pushes without running any hook, so the guard cannot check it.")


def _check_push(line: CommandLine, settings: Settings) -> bool:
    push = parse_push(line.args)
    if push.no_verify:
        raise Refused("--no-verify", "--no-verify skips the pre-push check that protects remote history.")
    if push.mirror:
        raise Refused("--mirror", "--mirror force-updates every remote ref and deletes those you lack.")
    if push.unresolved is not None and unresolved_is_sensitive(push):
        word = push.unresolved
        raise Refused(word, f"{word} may mean --no-verify, --mirror or a custom receive-pack.")
    if push.receive_pack is not None and push.receive_pack not in _DEFAULT_RECEIVE_PACK:
        raise Refused("--receive-pack", "--receive-pack/--exec runs a program of your choice on the remote.")
    remote_config = _remote_config(line, settings)
    if remote_config is None:
        raise Refused("unreadable config", "the guard could not read this repository's git config; fix it.")
    mirrors, receive_packs, defaults = remote_config
    if mirrors or receive_packs:
        target = push.target or _default_remote(line, settings, defaults)
        if mirrors.get(target):
            reason = f"remote '{target}' is configured as a mirror (remote.{target}.mirror)."
            raise Refused(f"{target}: mirror", reason, target)
        custom = receive_packs.get(target)
        if custom is not None and custom not in _DEFAULT_RECEIVE_PACK:
            reason = f"remote.{target}.receivepack runs a program of your choice on the remote."
            raise Refused(f"{target}: receivepack", reason, target)
    return push.dry_run


_REMOTE_KEYS = r"^(remote\..*\.(mirror|receivepack)|remote\.pushdefault|branch\..*\.(pushremote|remote))$"


def _remote_config(
    line: CommandLine, settings: Settings
) -> tuple[dict[str, bool], dict[str, str], dict[str, str]] | None:
    """remote.<r>.mirror and .receivepack, plus what picks the default push remote, from
    every config source git itself would read (files, -c, --config-env, GIT_CONFIG_*)."""
    code, out = capture([settings.real_git, *line.globals, "config", "-z", "--get-regexp", _REMOTE_KEYS])
    if code not in (0, 1):
        return None
    mirrors: dict[str, bool] = {}
    receive_packs: dict[str, str] = {}
    defaults: dict[str, str] = {}
    for record in out.decode(errors="surrogateescape").split("\0"):
        if not record:
            continue
        key, newline, value = record.partition("\n")
        section, _, rest = key.partition(".")
        subsection, _, variable = rest.rpartition(".")
        if section == "remote" and variable == "mirror" and subsection:
            mirrors[subsection] = parse_bool(value if newline else None)
        elif section == "remote" and variable == "receivepack" and subsection:
            receive_packs[subsection] = value
        else:
            defaults[key] = value  # last one wins, as in git
    return mirrors, receive_packs, defaults


def _default_remote(line: CommandLine, settings: Settings, defaults: dict[str, str]) -> str:
    """remote.c `pushremote_for_branch`: branch pushRemote, remote.pushDefault, branch
    remote, then "origin"."""
    code, out = capture([settings.real_git, *line.globals, "symbolic-ref", "-q", "HEAD"])
    ref = out.decode(errors="surrogateescape").strip() if code == 0 else ""
    branch = ref[len("refs/heads/") :] if ref.startswith("refs/heads/") else ""
    for key in (f"branch.{branch}.pushremote", "remote.pushdefault", f"branch.{branch}.remote"):
        if (branch or not key.startswith("branch.")) and defaults.get(key):
            return defaults[key]
    return "origin"

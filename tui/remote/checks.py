"""`loupe host check NAME`: can sessions run on this host? Each check says what to do if not.

One ssh login (BatchMode: never a prompt), then every other check in one batch: the login
shell quotes like a POSIX shell, tmux and git are there, the repository is a git clone,
loupe runs, and `loupe guard check` passes there (the guard is what keeps agents from
rewriting history on a remote, so a host where it fails is not ready).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from tui import __version__
from tui.remote.errors import HostUnreachable, RemoteError
from tui.remote.hosts import HostConfig
from tui.remote.shell import Command, Completed, last_line, path_word
from tui.remote.ssh import SshConnection

# Echoed back through the login shell: only a shell that quotes as POSIX sh returns it intact.
QUOTING_PROBE = "a'b\"c $HOME `id` \\ ; | & * ~ \n é"

_INSTALL = "(Debian/Ubuntu: sudo apt-get install {0}; macOS: brew install {0})"
_NOT_RUN = "not checked: the host could not be reached"


@dataclass(frozen=True)
class Check:
    name: str
    # True passed, False failed, None not checked (something it needs failed first).
    ok: bool | None
    detail: str
    hint: str = ""

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail, "hint": self.hint}


def check_host(name: str, host: HostConfig, *, shown: Callable[[Check], None] = lambda check: None,
               timeout: float = 300.0) -> list[Check]:
    """Run every check against `host`; `shown` is called with each result as it is known."""
    results: list[Check] = []

    def add(check: Check) -> None:
        results.append(check)
        shown(check)

    try:
        connection = SshConnection.for_host(name, host)
    except RemoteError as exc:
        add(Check("ssh", False, str(exc), "fix the [hosts] table or LOUPE_RUNTIME_DIR as the message says"))
        return results
    with connection:
        started = time.monotonic()
        try:
            connection.connect()
        except (HostUnreachable, RemoteError) as exc:
            add(Check("ssh", False, str(exc), _ssh_hint(str(exc), host.ssh)))
            for later in ("shell", "tmux", "git", "repo", "loupe", "guard"):
                add(Check(later, None, _NOT_RUN))
            return results
        add(Check("ssh", True, f"logged in to {host.ssh} in {(time.monotonic() - started) * 1000:.0f} ms "
                               "(BatchMode, one shared connection)"))
        commands = _commands(host)
        try:
            # Through the login shell: it parses every command that has input (host-op).
            done = dict(zip(commands, connection.batch(list(commands.values()), timeout=timeout, login_shell=True)))
        except (HostUnreachable, RemoteError) as exc:
            for later in ("shell", "tmux", "git", "repo", "loupe", "guard"):
                add(Check(later, None, f"not checked: {exc}"))
            return results
    for check in _verdicts(name, host, done):
        add(check)
    return results


def _commands(host: HostConfig) -> dict[str, Command]:
    loupe = host.loupe_argv()
    commands: dict[str, Command] = {
        "shell": ["printf", "%s", QUOTING_PROBE],
        "tmux": ["tmux", "-V"],
        "git": ["git", "--version"],
        "loupe": [*loupe, "--version"],
        "guard": [*loupe, "guard", "check", "--json"],
    }
    if host.repo:
        commands["repo"] = f"git -C {path_word(host.repo)} rev-parse --show-toplevel"
    return commands


def _verdicts(name: str, host: HostConfig, done: dict[str, Completed]) -> list[Check]:
    shell = done["shell"]
    checks = [
        Check("shell", True, "the login shell quotes as POSIX sh does")
        if shell.ok and shell.stdout == QUOTING_PROBE else
        Check("shell", False, "the login shell changed a quoted argument on its way",
              "make sh, bash, zsh, dash or ksh the login shell there (chsh -s /bin/bash)"),
        _tool("tmux", done["tmux"], "tmux " + _INSTALL.format("tmux")),
        _tool("git", done["git"], "git " + _INSTALL.format("git")),
        _repo(name, host, done.get("repo")),
    ]
    loupe = done["loupe"]
    if loupe.ok:
        version = loupe.stdout.strip()
        same = version.split()[-1:] == [__version__]
        checks.append(Check("loupe", True, version + ("" if same else f" (here: loupe {__version__})")))
    else:
        checks.append(Check(
            "loupe", False, _failure(loupe),
            f"install loupe there (its guard and hooks run there), on the PATH that non-interactive ssh "
            f"commands get, or set [hosts.{name}] loupe to its full path"))
    checks.append(_guard(done["guard"]) if loupe.ok else Check("guard", None, "not checked: loupe does not run there"))
    return checks


def _tool(name: str, done: Completed, install: str) -> Check:
    if done.ok:
        return Check(name, True, done.stdout.strip())
    return Check(name, False, _failure(done), f"install {install}")


def _repo(name: str, host: HostConfig, done: Completed | None) -> Check:
    if done is None:
        return Check("repo", None, "no repo is set for this host",
                     f"set the repository's clone there: repo = \"~/src/app\" in [hosts.{name}]")
    if done.ok:
        return Check("repo", True, f"a git repository at {done.stdout.strip()}")
    return Check("repo", False, f"{host.repo}: {_failure(done)}",
                 f"clone the repository there (ssh {host.ssh} git clone URL {host.repo}), or fix [hosts.{name}] repo")


def _guard(done: Completed) -> Check:
    try:
        report = json.loads(done.stdout)
        right, total = int(report["right"]), int(report["total"])
    except (ValueError, KeyError, TypeError):
        return Check("guard", False, f"loupe guard check did not report: {_failure(done)}",
                     "run `loupe guard check` there to see what fails")
    if done.ok and right == total:
        return Check("guard", True, f"loupe guard check: {right} of {total} verdicts right")
    return Check("guard", False, f"loupe guard check: {right} of {total} verdicts right",
                 "run `loupe guard check` there to see which verdicts are wrong (git too old?)")


def _failure(done: Completed) -> str:
    if done.returncode == 127:
        return "not found on the PATH of non-interactive ssh commands"
    return last_line(done.stderr) or last_line(done.stdout) or f"exit status {done.returncode}"


def _ssh_hint(message: str, target: str) -> str:
    """What to do about an ssh failure, from ssh's own words."""
    known = (
        ("Permission denied", f"the host refused your key: install it there (ssh-copy-id {target}), or name it "
                              "with IdentityFile in ~/.ssh/config; loupe never types passwords"),
        ("Host key verification failed", f"its host key is not known here yet: run `ssh {target}` once in a "
                                         "terminal and check the key it shows"),
        ("REMOTE HOST IDENTIFICATION HAS CHANGED", "its host key changed: find out why before removing the old "
                                                   "key from ~/.ssh/known_hosts"),
        ("Could not resolve hostname", "the name does not resolve: check the ssh target, or add a Host entry "
                                       "for it to ~/.ssh/config"),
        ("Connection refused", "nothing listens for ssh there: is sshd running, and is the port right?"),
        ("timed out", "the host does not answer: is it up, and reachable from here (VPN, firewall)?"),
        ("No route to host", "the host does not answer: is it up, and reachable from here (VPN, firewall)?"),
        ("socket", "set LOUPE_RUNTIME_DIR to a short private folder"),
    )
    for words, hint in known:
        if words.lower() in message.lower():
            return hint
    return f"run `ssh {target} true` in a terminal to see what fails"

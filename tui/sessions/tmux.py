"""A thin wrapper over the tmux CLI, always on loupe's own server (`tmux -L <socket>`).

Every call has a timeout, so a wedged tmux server can never hang loupe, and every failure is
a `TmuxError` whose message names the command. loupe never talks to the user's default tmux
server: the socket name is always given.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from tui import secrets
from tui.sessions.errors import TmuxError, TmuxMissing

# Separates the outputs of several commands run in one tmux invocation. A control character
# no capture can contain on its own line, since capture-pane turns them into spaces.
_SEPARATOR = "\x1floupe-capture-separator\x1f"

# What a tmux server started by loupe inherits: enough to find its socket, run shells and
# speak UTF-8, nothing that could be a secret.
_SERVER_ENV_KEYS = frozenset({"HOME", "USER", "LOGNAME", "SHELL", "PATH", "LANG", "LANGUAGE",
                              "TERM", "TZ", "TMPDIR", "TMUX_TMPDIR"})

# One line per pane, as `parse_panes` reads it (a host on another machine asks its tmux the same).
PANE_FORMAT = "\t".join(
    [
        "#{session_name}",
        "#{pane_pid}",
        "#{pane_dead}",
        "#{pane_dead_status}",
        "#{pane_dead_signal}",
        "#{session_attached}",
        "#{pane_width}",
        "#{pane_height}",
    ]
)


@dataclass(frozen=True)
class PaneInfo:
    session: str
    pid: int
    dead: bool
    # Exit status of a dead pane's process; None when it died by a signal or is alive.
    dead_status: int | None
    dead_signal: int | None
    attached: int
    width: int
    height: int

    @property
    def exit_known(self) -> bool:
        """Whether tmux has reaped the process; until then a dead pane has no exit code yet."""
        return self.dead_status is not None or self.dead_signal is not None

    @property
    def exit_code(self) -> int | None:
        if self.dead_status is not None:
            return self.dead_status
        if self.dead_signal is not None:
            return 128 + self.dead_signal
        return None


def _int_or_none(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _signal_number(text: str) -> int | None:
    """tmux prints the signal's number where libc has no names for them (glibc), else its
    name ("term", "kill" on macOS and the BSDs)."""
    number = _int_or_none(text)
    if number is not None or not text.strip():
        return number
    try:
        return int(signal.Signals[f"SIG{text.strip().upper()}"])
    except KeyError:
        return None


def find_tmux() -> str:
    found = shutil.which("tmux")
    if found is None:
        raise TmuxMissing(
            "tmux is not installed or not on PATH; agent sessions need it "
            "(Debian/Ubuntu: apt-get install tmux, macOS: brew install tmux)"
        )
    return found


class Tmux:
    """One tmux server, addressed by socket name."""

    def __init__(self, socket: str, *, timeout: float = 5.0) -> None:
        self.socket = socket
        self.timeout = timeout
        self._binary: str | None = None

    @property
    def binary(self) -> str:
        if self._binary is None:
            self._binary = find_tmux()
        return self._binary

    def argv(self, *args: str) -> list[str]:
        # -u: what loupe reads back (tab-separated formats, screens) comes as it is; a client
        # without a UTF-8 locale (LANG unset, as under ssh or cron) gets tabs and every
        # non-ASCII character replaced by '_'.
        return [self.binary, "-u", "-L", self.socket, *args]

    def client_env(self) -> dict[str, str]:
        # Inside another tmux, $TMUX would make `attach` refuse to nest; -L already says
        # which server to use, so the variable only gets in the way.
        env = dict(os.environ)
        env.pop("TMUX", None)
        env.pop("TMUX_PANE", None)
        return env

    def run(
        self, *args: str, input: str | None = None, timeout: float | None = None, check: bool = True,
        env: dict[str, str] | None = None,
    ) -> subprocess.CompletedProcess[str]:
        argv = self.argv(*args)
        try:
            result = subprocess.run(
                argv,
                input=input,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout or self.timeout,
                env=env if env is not None else self.client_env(),
            )
        except subprocess.TimeoutExpired as exc:
            raise TmuxError(
                f"tmux did not answer within {exc.timeout:g}s (tmux {args[0]} on socket "
                f"'{self.socket}'); if it keeps happening, run `tmux -L {self.socket} kill-server`"
            ) from exc
        except OSError as exc:
            raise TmuxError(f"cannot run tmux ({exc})") from exc
        if check and result.returncode != 0:
            detail = result.stderr.strip() or f"exit status {result.returncode}"
            raise TmuxError(f"tmux {args[0]} failed: {detail}")
        return result

    # -- server and sessions -------------------------------------------------------------

    def server_running(self) -> bool:
        return self.run("list-sessions", check=False).returncode == 0

    def has_session(self, name: str) -> bool:
        return self.run("has-session", "-t", f"={name}", check=False).returncode == 0

    def new_session(self, name: str, command: str, *, cwd: Path, size: tuple[int, int]) -> None:
        """A detached session running `command` (a shell command line) in `cwd`.

        There is deliberately no way to pass environment variables here. `-e KEY=VALUE`
        would put them on the command line, which every local user can read in `ps` and
        /proc/*/cmdline, and a server started by this call keeps that command line for its
        whole life. Callers hand the agent its environment through a private file instead
        (see `tui.sessions.environment.write_env_file`).
        """
        width, height = size
        self.run(
            "new-session", "-d", "-s", name, "-c", str(cwd),
            "-x", str(width), "-y", str(height), command,
            env=self.server_start_env(),
        )

    def server_start_env(self) -> dict[str, str]:
        """The environment for a command that may start the server.

        A tmux server copies the environment of the client that started it into its global
        environment and gives it to every pane it ever creates. Starting it from loupe's
        full environment would keep loupe's API keys in a long-lived process, stale once the
        user changes them; agents get their environment from loupe at start instead.
        """
        env = self.client_env()
        return {key: value for key, value in env.items()
                if key in _SERVER_ENV_KEYS or key.startswith("LC_")}

    def set_option(self, name: str, option: str, value: str, *, window: bool = False) -> None:
        # "=name:" (exact session, its current window) resolves for both kinds of option;
        # a bare "=name" is read as a window name by set-option.
        self.run("set-option", *(["-w"] if window else []), "-t", f"={name}:", option, value)

    def pipe_pane(self, name: str, command: str) -> None:
        """Feed everything the pane prints to `command` (sh; the server's environment)."""
        # tmux expands #{...} formats in the command: a literal '#' is written '##'.
        self.run("pipe-pane", "-o", "-t", f"={name}:", command.replace("#", "##"))

    def signal_channel(self, channel: str) -> None:
        """Wake whoever runs `tmux wait-for <channel>`; also works if they start waiting later."""
        self.run("wait-for", "-S", channel)

    def kill_session(self, name: str) -> bool:
        return self.run("kill-session", "-t", f"={name}", check=False).returncode == 0

    def list_panes(self) -> dict[str, PaneInfo]:
        """The first pane of every session on this server, by session name."""
        result = self.run("list-panes", "-a", "-F", PANE_FORMAT, check=False)
        if result.returncode != 0:
            # No server means no sessions; anything else is a real problem.
            if _no_server(result.stderr):
                return {}
            raise TmuxError(f"tmux list-panes failed: {result.stderr.strip()}")
        return parse_panes(result.stdout)

    def snapshot(self, names: list[str], *, ansi: bool = True) -> tuple[dict[str, PaneInfo], dict[str, str]]:
        """Every pane, plus the screens of `names`, in one tmux invocation (one process).

        `names` should be sessions that existed a moment ago; if one has gone since, tmux
        stops at it and this falls back to listing first, then capturing what is there.
        """
        if not names:
            return self.list_panes(), {}
        flags = "-pJe" if ansi else "-pJ"
        args: list[str] = ["list-panes", "-a", "-F", PANE_FORMAT]
        for name in names:
            args += [";", "display-message", "-p", _SEPARATOR, ";", "capture-pane", flags, "-t", f"={name}:"]
        result = self.run(*args, check=False)
        chunks = result.stdout.split(_SEPARATOR + "\n")
        if result.returncode != 0 or len(chunks) != len(names) + 1:
            panes = self.list_panes()
            return panes, self.capture_many([n for n in names if n in panes], ansi=ansi)
        return parse_panes(chunks[0]), _without_secrets(dict(zip(names, chunks[1:])))

    # -- screen ----------------------------------------------------------------------------

    def capture(self, name: str, *, ansi: bool = True) -> str:
        """The visible screen of the session's pane (`capture-pane -p -J`, `-e` for colour)."""
        flags = "-pJe" if ansi else "-pJ"
        return secrets.redact(self.run("capture-pane", flags, "-t", f"={name}:").stdout)

    def capture_many(self, names: list[str], *, ansi: bool = True) -> dict[str, str]:
        """Screens of several sessions in one tmux invocation (one process, not N)."""
        if not names:
            return {}
        flags = "-pJe" if ansi else "-pJ"
        args: list[str] = []
        for index, name in enumerate(names):
            if index:
                args += [";", "display-message", "-p", _SEPARATOR]
            args += ["capture-pane", flags, "-t", f"={name}:"]
        result = self.run(*args, check=False)
        chunks = result.stdout.split(_SEPARATOR + "\n")
        if result.returncode != 0 or len(chunks) != len(names):
            # A session vanished between listing and capturing: fall back to one call each.
            screens = {}
            for name in names:
                done = self.run("capture-pane", flags, "-t", f"={name}:", check=False)
                if done.returncode == 0:
                    screens[name] = done.stdout
            return _without_secrets(screens)
        return _without_secrets(dict(zip(names, chunks)))

    # -- input -----------------------------------------------------------------------------

    def send_text(self, name: str, text: str, *, enter: bool = True, settle: float = 0.05) -> None:
        """Type `text` into the pane, then press Enter.

        One line goes in as literal keys; several lines as one bracketed paste, so a TUI
        agent receives them as a single message instead of submitting the first line.
        The short pause before Enter keeps agents that detect pastes by timing from taking
        the Enter as part of the text.
        """
        target = f"={name}:"
        if text:
            if "\n" in text:
                buffer = f"loupe-send-{os.getpid()}-{time.monotonic_ns()}"
                self.run("load-buffer", "-b", buffer, "-", input=text)
                self.run("paste-buffer", "-p", "-d", "-b", buffer, "-t", target)
            else:
                self.run("send-keys", "-t", target, "-l", "--", text)
        if enter:
            if text and settle:
                time.sleep(settle)
            self.run("send-keys", "-t", target, "Enter")

    def attach_argv(self, name: str) -> list[str]:
        # Without -u: the user's terminal, as its locale says, decides what it can show.
        return [self.binary, "-L", self.socket, "attach-session", "-t", f"={name}"]

    def global_option(self, option: str) -> str:
        result = self.run("show-options", "-gv", option, check=False)
        return result.stdout.strip() if result.returncode == 0 else ""


def parse_panes(text: str) -> dict[str, PaneInfo]:
    panes: dict[str, PaneInfo] = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) != 8:
            continue
        name, pid, dead, status, killed_by, attached, width, height = parts
        if name in panes:
            continue
        panes[name] = PaneInfo(
            session=name,
            pid=_int_or_none(pid) or 0,
            dead=dead == "1",
            dead_status=_int_or_none(status) if dead == "1" else None,
            dead_signal=_signal_number(killed_by) if dead == "1" else None,
            attached=_int_or_none(attached) or 0,
            width=_int_or_none(width) or 0,
            height=_int_or_none(height) or 0,
        )
    return panes


def _without_secrets(screens: dict[str, str]) -> dict[str, str]:
    """Screens as the app may show and keep them: an agent that printed a key (`env`) must
    not put it on a tile, in the last-screen file or on a terminal looking over a shoulder."""
    redactor = secrets.Redactor(secrets.secret_values())
    return {name: redactor.redact(screen) for name, screen in screens.items()}


def _no_server(stderr: str) -> bool:
    text = stderr.lower()
    return "no server running" in text or "error connecting" in text or "no such file" in text

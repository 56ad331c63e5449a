"""A throwaway OpenSSH server on 127.0.0.1, for the tests (tests/fixtures/sshd.py) and the bench.

Everything it needs is in its own folder: a host key, a user key, authorized_keys, an
sshd_config, and a client ssh_config with the alias `loupe-test-host`, so a connection
uses `ssh -F <that file> loupe-test-host` and never the user's ~/.ssh. Logins get the
environment given as `remote_env` (sshd's SetEnv), e.g. a PATH on which `loupe` runs.

sshd wants an absolute path (it re-executes itself), and as root the privilege-separation
folder /run/sshd, which a machine without a running sshd may lack: it is created then. Its
log (LogLevel VERBOSE, `-e`) has one "Starting session" line per command run, which is how
the tests count round trips.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
from pathlib import Path

from tests.helpers import process_alive, wait_for

ALIAS = "loupe-test-host"


def find_sshd() -> str | None:
    return shutil.which("sshd", path=f"/usr/sbin:/usr/local/sbin:/sbin:{os.environ.get('PATH', '')}")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def children(pid: int) -> list[int]:
    """Every live descendant of `pid` (Linux: read from /proc)."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                parent = int(handle.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents.setdefault(parent, []).append(int(entry))
    found: list[int] = []
    pending = [pid]
    while pending:
        for child in parents.get(pending.pop(), []):
            found.append(child)
            pending.append(child)
    return [child for child in found if process_alive(child)]


def processes_mentioning(text: str, *, scope: str = "", exact: bool = False) -> list[int]:
    """Live processes whose command line contains `text` (other than this one); with `scope`,
    only those whose command line or environment also names it (a test's own folder), so
    tests running side by side do not see each other's processes. With `exact`, only those
    whose command line is `text` (a command run on a host, not the ssh client naming it)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) == os.getpid():
            continue
        try:
            with open(f"/proc/{entry}/cmdline", "rb") as handle:
                cmdline = handle.read().replace(b"\0", b" ").decode("utf-8", errors="replace")
        except OSError:
            continue
        if (cmdline.rstrip(" ") == text if exact else text in cmdline) and (not scope or scope in cmdline or _environment_names(entry, scope)) \
                and process_alive(int(entry)):
            found.append(int(entry))
    return found


def _environment_names(pid: str, text: str) -> bool:
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            return text.encode() in handle.read()
    except OSError:
        return False


class ThrowawaySshd:
    def __init__(self, folder: Path, *, remote_env: dict[str, str]) -> None:
        self.folder = folder
        self.remote_env = remote_env
        self.user = pwd.getpwuid(os.getuid()).pw_name
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.log = folder / "sshd.log"
        self.client_config = folder / "ssh_config"
        self.host_key = folder / "host_key"
        self.user_key = folder / "user_key"

    # -- life ----------------------------------------------------------------------------------

    def start(self) -> None:
        """Make the keys and configs (once), start sshd, and return once it listens."""
        if not self.host_key.exists():
            self._make_keys()
        if self.port:
            self._start_on(self.port)
            return
        for _ in range(3):
            self.port = free_port()
            self._write_configs()
            if self._start_on(self.port, may_fail=True):
                return
        raise RuntimeError(f"sshd did not start on three free ports:\n{self.log_text()}")

    def set_remote_env(self, **changes: str | None) -> None:
        """Change the environment logins get (None takes a name out), from the next start."""
        for name, value in changes.items():
            if value is None:
                self.remote_env.pop(name, None)
            else:
                self.remote_env[name] = value
        if self.port:
            self._write_configs()

    def stop(self) -> None:
        """The host goes down: sshd and every process it started (live connections too)."""
        if self.process is None:
            return
        listener = self.process.pid
        # Stopped, it cannot accept and fork a connection that the kill below would miss.
        os.kill(listener, signal.SIGSTOP)
        doomed = children(listener)
        for pid in [*doomed, listener]:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait(timeout=10)
        self.process = None
        wait_for(lambda: not any(process_alive(pid) for pid in doomed), "sshd's connections to end")

    def restart(self) -> None:
        """The host comes back: the same port, host key and users."""
        self.stop()
        self.start()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    # -- what it saw ---------------------------------------------------------------------------

    def log_text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""

    def sessions_started(self) -> int:
        """Commands run so far (one channel each, multiplexed or not)."""
        return self.log_text().count("Starting session:")

    def logins(self) -> int:
        """Connections that logged in so far (a shared connection is one)."""
        return self.log_text().count("Accepted publickey for")

    def processes(self) -> list[int]:
        """sshd and its live descendants."""
        if self.process is None or not process_alive(self.process.pid):
            return []
        return [self.process.pid, *children(self.process.pid)]

    # -- inside --------------------------------------------------------------------------------

    def _make_keys(self) -> None:
        for key in (self.host_key, self.user_key):
            subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "loupe-test", "-f", str(key)],
                           check=True, capture_output=True)
        shutil.copyfile(self.user_key.with_suffix(".pub"), self.folder / "authorized_keys")
        os.chmod(self.folder / "authorized_keys", 0o600)

    def _write_configs(self) -> None:
        # One line: sshd takes the first SetEnv it reads and ignores later ones.
        settings = "SetEnv " + " ".join(f'"{name}={value}"' for name, value in self.remote_env.items())
        (self.folder / "sshd_config").write_text(
            f"ListenAddress 127.0.0.1\nPort {self.port}\nHostKey {self.host_key}\n"
            f"AuthorizedKeysFile {self.folder / 'authorized_keys'}\n"
            f"PidFile {self.folder / 'sshd.pid'}\n"
            # Root logs in by key only; files in the temporary folder would fail StrictModes
            # (its parents are world-writable), and PAM is for real users' logins.
            "PermitRootLogin prohibit-password\nAuthenticationMethods publickey\n"
            "PasswordAuthentication no\nKbdInteractiveAuthentication no\nStrictModes no\nUsePAM no\n"
            "UseDNS no\nPrintMotd no\nPrintLastLog no\nX11Forwarding no\nLogLevel VERBOSE\n"
            f"{settings}\n",
            encoding="utf-8",
        )
        public = self.host_key.with_suffix(".pub").read_text(encoding="utf-8").split()
        (self.folder / "known_hosts").write_text(f"[127.0.0.1]:{self.port} {public[0]} {public[1]}\n")
        self.client_config.write_text(
            f"Host {ALIAS}\n  HostName 127.0.0.1\n  Port {self.port}\n  User {self.user}\n"
            f"  IdentityFile {self.user_key}\n  IdentitiesOnly yes\n  IdentityAgent none\n"
            f"  UserKnownHostsFile {self.folder / 'known_hosts'}\n  GlobalKnownHostsFile /dev/null\n"
            "  StrictHostKeyChecking yes\n  CheckHostIP no\n  UpdateHostKeys no\n"
            "  PasswordAuthentication no\n  KbdInteractiveAuthentication no\n",
            encoding="utf-8",
        )

    def _start_on(self, port: int, *, may_fail: bool = False) -> bool:
        sshd = find_sshd()
        if sshd is None:
            raise RuntimeError("sshd is not installed; .ci/run installs it (apt-get install openssh-server)")
        if os.getuid() == 0:
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        before = len(self.log_text())
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sshd, "-D", "-e", "-f", str(self.folder / "sshd_config"), "-o", f"PidFile={self.folder / 'sshd.pid'}"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
            )
        listening = f"Server listening on 127.0.0.1 port {port}."
        wait_for(lambda: listening in self.log_text()[before:] or self.process.poll() is not None,  # type: ignore[union-attr]
                 "sshd to listen or exit")
        if self.process.poll() is None:
            return True
        self.process = None
        if may_fail and "Address already in use" in self.log_text()[before:]:
            return False
        raise RuntimeError(f"sshd exited at start:\n{self.log_text()[before:]}")

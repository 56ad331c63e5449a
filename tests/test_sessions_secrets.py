"""The agent's environment (API keys) reaches it without ever being readable by other users."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import subprocess
import uuid
from pathlib import Path

import pytest

from tests.fixtures.sessions import SessionsHarness, make_manager
from tests.helpers import process_alive, wait_for
from tui.sessions.environment import write_env_file
from tui.sessions.local_files import session_files
from tui.sessions.model import Session

pytestmark = pytest.mark.slow


def _logging_tmux(bin_dir: Path, log: Path) -> None:
    """A `tmux` first on PATH that records every argv (NUL-separated), then runs the real one."""
    real = shutil.which("tmux")
    assert real is not None
    bin_dir.mkdir()
    wrapper = bin_dir / "tmux"
    wrapper.write_text(f'#!/bin/sh\nprintf "%s\\0" "$@" >> {log}\nprintf "\\n" >> {log}\nexec {real} "$@"\n')
    wrapper.chmod(0o755)


def _files_containing(root: Path, needle: bytes) -> list[Path]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink():
            try:
                if needle in path.read_bytes():
                    found.append(path)
            except OSError:
                continue
    return found


def test_secret_reaches_the_agent_but_no_argv_and_no_file(
    sessions: SessionsHarness, tmp_path: Path, loupe_dirs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = f"sk-live-{uuid.uuid4().hex}"
    digest = hashlib.sha256(secret.encode()).hexdigest()
    log = tmp_path / "tmux-argv.log"
    _logging_tmux(tmp_path / "logging-bin", log)
    monkeypatch.setenv("PATH", f"{tmp_path / 'logging-bin'}:{os.environ['PATH']}")
    monkeypatch.setenv("LOUPE_TEST_API_KEY", secret)
    # A fresh manager on the same store and socket, so it finds the logging tmux first.
    manager = make_manager(sessions.repo.path, sessions.socket, store=sessions.manager.store)
    sessions.manager = manager
    # Prints a hash of what it was given, never the key itself (the output is logged to disk).
    kind = sessions.script_kind("keyed", """\
        printf 'key-hash:%s\\n' "$(printf %s "$LOUPE_TEST_API_KEY" | sha256sum | cut -d' ' -f1)"
        read x
    """)
    session = sessions.start(kind)
    sessions.wait_screen(session, f"key-hash:{digest}")

    argv_log = log.read_bytes()
    assert b"new-session" in argv_log and b"wait-for" in argv_log  # the wrapper saw the calls
    assert secret.encode() not in argv_log
    tmux = manager.tmux(session.tmux_socket)
    # The server process keeps the command line of the client that started it.
    server_pid = int(tmux.run("display-message", "-p", "#{pid}").stdout.strip())
    assert secret.encode() not in Path(f"/proc/{server_pid}/cmdline").read_bytes()
    # Nor is it kept by tmux for other panes, session-wide or server-wide.
    assert secret not in tmux.run("show-environment", "-g").stdout
    assert secret not in tmux.run("show-environment", "-t", f"={session.tmux_session}").stdout

    assert not sessions.files(session).env_file.exists()
    for root in (loupe_dirs["data"], loupe_dirs["home"], tmp_path, sessions.repo.path):
        assert _files_containing(root, secret.encode()) == [], root
    monkeypatch.delenv("LOUPE_TEST_API_KEY")


def test_env_file_is_private_from_creation(tmp_path: Path) -> None:
    session = Session(id="abc123", repo=tmp_path, number=0, agent="shell", status_source="screen",
                      task="t", branch="b", worktree=tmp_path, worktree_name="w", base_commit="",
                      base_branch="", tmux_socket="s", port_base=0)
    folder = session_files(session.id).folder
    stale = folder / "env.sh"
    stale.parent.mkdir(parents=True)
    target = tmp_path / "elsewhere"
    stale.symlink_to(target)  # a planted link must be replaced, never written through
    path = write_env_file(session, {"GOOD": "it's $HOME\nline2", "BASH_FUNC_x%%": "() { :; }", "IFS": ":"})
    assert not target.exists()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    text = path.read_text()
    assert "BASH_FUNC" not in text and "IFS" not in text
    shown = subprocess.run(["sh", "-c", f'. {path}; printf %s "$GOOD"'], capture_output=True, text=True)
    assert shown.stdout == "it's $HOME\nline2"


def _processes_mentioning(text: str) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if text.encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def test_a_key_the_agent_prints_stays_out_of_the_log_and_off_the_tile(
    sessions: SessionsHarness, loupe_dirs: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = f"sk-live-{uuid.uuid4().hex}"
    monkeypatch.setenv("LOUPE_TEST_API_KEY", secret)
    kind = sessions.script_kind("leaky", """\
        printenv LOUPE_TEST_API_KEY
        printf 'printed%s\\n' '-it'
        read x
    """)
    session = sessions.start(kind)
    log_file = session_files(session.id).log_file
    sessions.wait_screen(session, "printed-it")
    shown = sessions.snapshot(session).screen or ""
    assert "[redacted:LOUPE_TEST_API_KEY]" in shown and secret not in shown
    assert secret not in sessions.manager.capture(session)

    wait_for(lambda: log_file.exists() and b"printed-it" in log_file.read_bytes(),
             "the agent's output in its log")
    log = log_file.read_bytes()
    assert b"[redacted:LOUPE_TEST_API_KEY]" in log and secret.encode() not in log
    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
    for root in (loupe_dirs["data"], sessions.repo.path):
        assert _files_containing(root, secret.encode()) == [], root

    filters = _processes_mentioning(str(log_file))
    assert filters, "no log filter is running"
    sessions.manager.remove(session, confirm=True)
    wait_for(lambda: not [pid for pid in filters if process_alive(pid)], "the log filter to end with its session")
    monkeypatch.delenv("LOUPE_TEST_API_KEY")

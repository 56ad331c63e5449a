"""The local host through the `SessionHost` protocol: real tmux, real git, a scripted agent."""

from __future__ import annotations

import inspect
import os
import signal
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.git import RepoWithRemote
from tests.fixtures.sessions import SessionsHarness, make_manager
from tests.helpers import wait_for
from tests.test_sessions_secrets import _logging_tmux
from tui.sessions.host import Launch, Observed, SessionHost
from tui.sessions.local_host import LocalHost
from tui.sessions.model import Session
from tui.sessions.status_file import State
from tui.sessions.tmux import Tmux

pytestmark = pytest.mark.slow

AGENT = """\
    echo "hello from $LOUPE_SESSION"
    printf '{"state": "needs-input", "source": "test", "detail": "which one?"}' > "$LOUPE_STATUS_FILE"
    read answer
    echo "$answer" > answer.txt
    echo "answered"
    read never
"""


def test_the_local_host_implements_every_method_of_the_protocol() -> None:
    declared = {name: member for name, member in vars(SessionHost).items()
                if inspect.isfunction(member) and not name.startswith("_")}
    assert len(declared) > 20
    for name, member in declared.items():
        implemented = getattr(LocalHost, name, None)
        assert implemented is not None, f"LocalHost has no {name}"
        assert list(inspect.signature(implemented).parameters) == list(inspect.signature(member).parameters), name


@pytest.fixture
def host(repo: RepoWithRemote, tmux_socket: str) -> Iterator[LocalHost]:
    local = LocalHost(repo.path, tmux_socket)
    yield local
    # The tmux fixture then checks that the server is gone.
    local.tmux().run("kill-server", check=False)


def _new_session(host: SessionHost, repo: RepoWithRemote, sid: str) -> Session:
    base = host.resolve_base("HEAD")
    created = host.create_worktree("hosted", base.commit)
    return Session(id=sid, repo=repo.path, number=0, agent="script", status_source="screen", task="hosted",
                   branch=created.branch, worktree=created.path, worktree_name=created.name,
                   base_commit=base.commit, base_branch=base.branch, tmux_socket=host.tmux_socket,
                   port_base=0)


def test_a_session_from_start_to_removal(host: SessionHost, repo: RepoWithRemote, tmp_path: Path) -> None:
    host.check_ready()
    script = tmp_path / "agent.sh"
    script.write_text(textwrap.dedent(AGENT))
    session = _new_session(host, repo, "a11ce5")
    assert session.branch == "loupe/hosted/1" and session.worktree.is_dir()
    env = host.agent_environment(session).env
    launched = host.launch(session, Launch(command=f"sh {script}", env=env, size=(100, 30)))
    assert launched.copied == []

    def seen() -> Observed:
        return host.poll([session], None)[session.id]

    wait_for(lambda: "hello from a11ce5" in (seen().screen or ""), "the agent's greeting")
    wait_for(lambda: seen().reported is not None, "the agent's status report")
    observed = seen()
    assert observed.pane is not None and not observed.pane.dead
    assert (observed.reported.state, observed.reported.detail) == (State.NEEDS_INPUT, "which one?")
    assert observed.pane.pid in host.processes(session)
    # Not asked for its screen: the poll still reports its window and status.
    assert host.poll([session], set())[session.id].screen is None

    host.send_text(session, "the second")
    wait_for(lambda: "answered" in (host.capture(session, ansi=False) or ""), "the answer to land")
    stat = host.diff_stat(session)
    assert (stat.files, stat.added, stat.removed) == (1, 1, 0)
    ran = host.run(session, ["sh", "-c", 'echo "$LOUPE_SESSION"; git status --porcelain'], timeout=60)
    assert (ran.returncode, ran.stdout) == (0, "a11ce5\n?? answer.txt\n")

    host.stop(session, grace=5.0)
    ended = seen()
    assert ended.pane is not None and ended.pane.dead
    assert ended.pane.exit_code == 128 + signal.SIGTERM
    assert host.processes(session) == []
    host.save_last_screen(session)
    assert [r.kind for r in host.removal_risks(session, live=False)] == ["untracked"]
    saved = host.remove_worktree(session)
    assert saved == f"refs/loupe/removed/{session.id}"
    assert repo.git("show", f"{saved}:answer.txt").stdout == "the second\n"
    assert not session.worktree.exists()
    assert host.capture(session) is None
    assert host.poll([session], None)[session.id].pane is None
    assert host.last_screen(session) == ""  # its files went with it


def test_the_last_screen_outlives_the_window(host: LocalHost, repo: RepoWithRemote, tmp_path: Path) -> None:
    script = tmp_path / "agent.sh"
    # Not on the first line, which tmux 3.3 scrolls away when it marks a logged pane dead.
    script.write_text("echo starting\necho 'parting words'\nread x\nexit 2\n")
    session = _new_session(host, repo, "b0b0b0")
    host.launch(session, Launch(command=f"sh {script}", env=host.agent_environment(session).env))
    # On screen before it ends: tmux may drop what a process prints just before it exits.
    wait_for(lambda: "parting words" in (host.capture(session) or ""), "the agent's words")
    host.send_text(session, "")
    wait_for(lambda: (p := host.poll([session], None)[session.id].pane) is not None and p.dead,
             "the agent to end")
    assert host.poll([session], None)[session.id].pane.exit_code == 2
    host.save_last_screen(session)
    host.tmux().kill_session(session.tmux_session)
    assert host.capture(session) is None
    assert "parting words" in host.last_screen(session)
    host.discard(session)  # takes the worktree, the unused branch and the files back
    assert host.last_screen(session) == ""
    assert not session.worktree.exists()
    assert repo.git("branch", "--list", session.branch).stdout == ""


def test_one_poll_is_one_tmux_run_however_many_sessions(sessions: SessionsHarness, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "tmux-runs.log"
    _logging_tmux(tmp_path / "logging-bin", log)
    monkeypatch.setenv("PATH", f"{tmp_path / 'logging-bin'}:{os.environ['PATH']}")
    sessions.manager = make_manager(sessions.repo.path, sessions.socket, store=sessions.manager.store)
    kind = sessions.script_kind("greeter", "echo 'up and waiting'\nread x\n")
    started = [sessions.start(kind, task=f"polled {n}") for n in range(3)]
    for session in started:
        sessions.wait_screen(session, "up and waiting")
    log.write_bytes(b"")
    snapshots = sessions.manager.poll()
    assert [s.screen is not None for s in snapshots] == [True, True, True]
    runs = [line.split(b"\0") for line in log.read_bytes().splitlines()]
    assert [run[3] for run in runs] == [b"list-panes"]  # after -u -L <socket>


def test_tmux_here_answers_in_tabs_without_a_utf8_locale(tmux_socket: str, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LANG", "LC_ALL", "LC_CTYPE"):
        monkeypatch.delenv(name, raising=False)
    tmux = Tmux(tmux_socket)
    tmux.new_session("loupe-x", "printf 'é\\n'; exec cat", cwd=Path("/"), size=(40, 5))
    assert list(tmux.list_panes()) == ["loupe-x"]
    wait_for(lambda: "é" in tmux.capture("loupe-x"), "é on the screen, as it is")
    assert "-u" not in tmux.attach_argv("loupe-x")

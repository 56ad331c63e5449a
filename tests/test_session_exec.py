"""`loupe session exec`: one command in several sessions' worktrees, outputs kept apart."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.sessions import SessionsHarness
from tui import locations
from tui.locations import loupe_command
from tui.sessions.run_everywhere import COULD_NOT_RUN, for_session

pytestmark = pytest.mark.slow

AGENT = "echo waiting; read line\n"


def loupe(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*loupe_command(), "session", *args], cwd=cwd, capture_output=True, text=True,
                          timeout=120, env=os.environ)


@pytest.fixture
def two(sessions: SessionsHarness) -> list:
    config = locations.user_config_file()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'[sessions]\ntmux_socket = "{sessions.socket}"\n')
    kind = sessions.script_kind("waiter", AGENT)
    return [sessions.start(kind, f"job {n}") for n in range(2)]


def test_exec_runs_in_each_worktree_with_its_number(two: list, sessions: SessionsHarness) -> None:
    repo = sessions.repo.path
    done = loupe(repo, "exec", "0,1", "--", "sh", "-c", "echo {n} > n.txt; echo out {n}; echo err {n} >&2; exit {n}")
    assert done.returncode == 1, done.stderr
    assert done.stdout == ("── 0 waiter · job 0 ──\nout 0\nerr 0\n"
                           "── 1 waiter · job 1 ──\nout 1\nerr 1\nexit 1\n")
    assert [(s.worktree / "n.txt").read_text() for s in two] == ["0\n", "1\n"]
    # Not typed into the agents: they still wait for their line.
    assert all("out" not in sessions.manager.capture(s, ansi=False) for s in two)

    shutil.rmtree(two[1].worktree)
    done = loupe(repo, "exec", "all", "--json", "--", "cat", "n.txt", "--json")
    assert done.returncode == COULD_NOT_RUN
    first, second = json.loads(done.stdout)
    assert (first["number"], first["host"], first["exit_code"], first["stdout"]) == (0, "local", 1, "")
    assert "--json" in first["stderr"] and first["argv"] == ["cat", "n.txt", "--json"]
    assert second["exit_code"] == COULD_NOT_RUN and "no longer exists" in second["error"]


def test_exec_says_how_to_give_a_command_and_a_host(two: list, sessions: SessionsHarness) -> None:
    repo = sessions.repo.path
    for args, said in ((["exec", "0", "true"], "unrecognized arguments"),
                       (["exec", "0"], "put it after --"),
                       (["exec", "all", "--host", "gpu", "--", "true"], "host 'gpu' is not configured"),
                       (["exec", "9", "--", "true"], "'9' matches no session")):
        done = loupe(repo, *args)
        assert done.returncode in (1, 2) and said in done.stderr, (args, done.stderr)
    done = loupe(repo, "exec", "all", "--host", "local", "--", "echo", "{n}{n}")
    assert done.returncode == 0 and "00\n" in done.stdout and "11\n" in done.stdout


def test_the_number_goes_into_every_word(tmp_path: Path) -> None:
    from tests.test_sessions_units import _session

    session = _session(tmp_path, "ab12cd")
    session.number = 7
    assert for_session(["--port=80{n}", "{n}", "n", "{{n}}"], session) == ["--port=807", "7", "n", "{7}"]

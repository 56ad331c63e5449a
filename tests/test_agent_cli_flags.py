"""`loupe agent`'s flags, the transcript reaching the terminal while the reply streams, and
nothing a command started outliving it."""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.git import RepoWithRemote
from tests.fixtures.model_server import Reply, ToolCallSpec
from tests.helpers import process_alive, wait_for
from tests.test_agent_shell import DAEMON, pids
from tui.agent import cli
from tui.agent.tools import Toolbox
from tui.config import AgentConfig
from tui.model.scripted_server import ScriptedServer
from tui.sessions.status_file import ENV_VAR, State, read_status
from tui.threads.model import Status
from tui.threads.store import ThreadStore


@pytest.fixture
def two_endpoints(model_server: ScriptedServer, model_config: Path) -> Path:
    with model_config.open("a", encoding="utf-8") as handle:
        handle.write(
            f'\n[endpoints.second]\nbase_url = "{model_server.base_url}"\napi_key_env = ""\n'
            'model = "second-default"\n'
        )
    return model_config


def test_endpoint_model_and_prompt_file_flags(
    repo: RepoWithRemote, model_server: ScriptedServer, two_endpoints: Path, tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    prompt_file = tmp_path / "ask.md"
    prompt_file.write_text("Summarise the repo\n\nin one line.\n", encoding="utf-8")
    model_server.script("One line.", "Default model here.", "Default endpoint here.")
    base = ["--cwd", str(repo.path)]

    assert cli.main([*base, "--prompt-file", str(prompt_file), "--endpoint", "second", "--model", "picked"]) == 0
    assert cli.main([*base, "--prompt", "x", "--endpoint", "second"]) == 0
    assert cli.main([*base, "--prompt", "y"]) == 0
    sent = [(r.body["model"], r.body["messages"][0]["content"]) for r in model_server.chat_requests]
    assert [model for model, _ in sent] == ["picked", "second-default", "scripted-model"]
    assert "<original-user-prompt>\nSummarise the repo\n\nin one line.\n</original-user-prompt>" in sent[0][1]
    with ThreadStore() as store:
        threads = sorted(store.list_threads(kind="agent"), key=lambda t: t.id)
        first = store.history(threads[0].id)[0]
    assert [(t.endpoint, t.model) for t in threads] == [
        ("second", "picked"), ("second", "second-default"), ("scripted", "scripted-model")
    ]
    assert first.content == "Summarise the repo\n\nin one line."
    assert "picked on second" in capsys.readouterr().out

    assert cli.main([*base, "--prompt", "z", "--endpoint", "nope"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("loupe: ") and "nope" in err


def test_bad_flags_exit_2_and_still_write_the_exited_status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "status.json"))
    assert cli.main(["--prompt", "x", "--approval", "sometimes"]) == 2
    assert "invalid choice: 'sometimes'" in capsys.readouterr().err
    final = read_status(tmp_path / "status.json")
    assert final is not None and final.state is State.EXITED and final.exit_code == 2


def test_shell_timeout_defaults_to_ten_seconds(tmp_path: Path) -> None:
    assert AgentConfig().shell_timeout_ms == 10_000
    assert Toolbox.__init__.__kwdefaults__["shell_timeout_ms"] == 10_000  # type: ignore[index]


def read_until(proc: subprocess.Popen[bytes], wanted: bytes, seen: bytearray) -> bool:
    """Read what the process printed so far (without blocking); True once `wanted` is in it."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    while select.select([fd], [], [], 0)[0]:
        chunk = os.read(fd, 65536)
        if not chunk:
            break
        seen += chunk
    return wanted in seen


@pytest.mark.slow
def test_assistant_text_reaches_the_terminal_while_the_reply_streams(
    repo: RepoWithRemote, model_server: ScriptedServer, model_config: Path, tmp_path: Path,
) -> None:
    # The reply sends its first words, then nothing for a minute: they must already be on
    # the terminal, not held until the reply ends.
    model_server.script(Reply(text="Streaming words arrive one by one", hang_after=3, hang=60))
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui", "agent", "--cwd", str(repo.path), "--prompt", "Talk"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        env={**os.environ, ENV_VAR: str(tmp_path / "s.json"), "NO_COLOR": "1"},
    )
    seen = bytearray()
    try:
        wait_for(lambda: read_until(proc, b"Streaming words", seen), "the first words on the terminal")
        assert proc.poll() is None, "the agent is still waiting for the rest of the reply"
        with ThreadStore(recover=False) as store:
            (thread,) = store.list_threads(kind="agent")
            assert store.history(thread.id)[-1].status is Status.STREAMING
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=30)
    finally:
        proc.kill()
        proc.wait()
    assert b"arrive one by one" not in seen


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="child subreapers exist only on Linux")
def test_daemons_a_command_started_die_with_it(
    repo: RepoWithRemote, model_server: ScriptedServer, model_config: Path, tmp_path: Path,
) -> None:
    model_server.script(
        Reply(tool_calls=[ToolCallSpec("shell", {"command": ["bash", "-c", DAEMON]})]), "Started a daemon."
    )
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tui", "agent", "--cwd", str(repo.path), "--prompt", "Start a server"],
            capture_output=True, text=True, timeout=60, env={**os.environ, "NO_COLOR": "1"},
        )
        assert done.returncode == 0, done.stderr
        assert [pid for pid in pids(repo.path) if process_alive(pid)] == []
    finally:
        for pid in pids(repo.path) if (repo.path / "other.pid").exists() else []:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)

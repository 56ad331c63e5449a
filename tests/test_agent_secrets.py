"""The built-in agent keeps secrets out of the thread store, and so away from the model."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.git import RepoWithRemote
from tests.fixtures.model_server import Reply, ToolCallSpec
from tui.agent import cli
from tui.model.scripted_server import ScriptedServer
from tui.threads.model import Role
from tui.threads.store import ThreadStore, default_path

SECRET = "sk-proj-secret-4a7c9e0b1d2f"
TOKEN = "ghp_0123456789abcdefghij"


def test_env_output_is_stored_and_sent_without_the_keys(
    repo: RepoWithRemote, model_server: ScriptedServer, model_config: Path,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    text = model_config.read_text(encoding="utf-8")
    # The scripted endpoint reads its key from a variable no naming rule would catch.
    model_config.write_text(text.replace('api_key_env = ""', 'api_key_env = "LLM_CREDENTIAL_X"'), encoding="utf-8")
    monkeypatch.setenv("LLM_CREDENTIAL_X", SECRET)
    monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
    (repo.path / ".env").write_text(f"GITHUB_TOKEN={TOKEN}\n")
    model_server.script(
        Reply(tool_calls=[ToolCallSpec("shell", {"command": ["env"]}, id="c1")]),
        Reply(tool_calls=[ToolCallSpec("read_file", {"file_path": ".env"}, id="c2")]),
        Reply(text="Done."),
    )
    code = cli.main(["--prompt", "Show me the environment", "--cwd", str(repo.path)])
    assert code == 0, capsys.readouterr().err
    with ThreadStore() as store:
        [thread] = store.list_threads(kind="agent")
        tools = [m.content for m in store.history(thread.id) if m.role is Role.TOOL]
    assert "LLM_CREDENTIAL_X=[redacted:LLM_CREDENTIAL_X]" in tools[0]
    assert "GITHUB_TOKEN=[redacted:GITHUB_TOKEN]" in tools[0]
    assert "GITHUB_TOKEN=[redacted:GITHUB_TOKEN]" in tools[1]
    for stored in default_path().parent.glob("threads.sqlite*"):
        if stored.is_file():
            assert SECRET.encode() not in stored.read_bytes() and TOKEN.encode() not in stored.read_bytes()
    sent = str([request.body for request in model_server.chat_requests])
    assert SECRET not in sent and TOKEN not in sent

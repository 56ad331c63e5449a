"""`loupe agent` end to end against the scripted model server, in a real git repository."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.git import RepoWithRemote
from tests.helpers import process_alive, wait_for
from tests.fixtures.model_server import Reply, ToolCallSpec, patient
from tui.agent import cli, status as status_module
from tui.model.scripted_server import ScriptedServer
from tui.sessions.status_file import ENV_VAR, State, read_status
from tui.threads.model import Role, Status
from tui.threads.store import ThreadStore

FIX = (
    "*** Begin Patch\n*** Update File: calc.py\n def add(a, b):\n-    return a - b\n+    return a + b\n"
    "*** End Patch\n"
)


@pytest.fixture
def project(repo: RepoWithRemote) -> RepoWithRemote:
    repo.commit_file("calc.py", "def add(a, b):\n    return a - b\n")
    repo.commit_file(
        "test_calc.py",
        "from calc import add\n\nassert add(2, 3) == 5, f'add(2, 3) gave {add(2, 3)}'\nprint('1 passed')\n",
    )
    return repo


@pytest.fixture
def agent_config(model_config: Path) -> Path:
    """The scripted endpoint, plus quick retries for the error tests."""
    with model_config.open("a", encoding="utf-8") as handle:
        handle.write("\n[agent]\nretry_delay = 0.01\nturn_retries = 1\n")
    return model_config


@pytest.fixture
def transitions(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> list[State]:
    """Every status the agent writes, in order (the file itself only keeps the last)."""
    seen: list[State] = []
    real = status_module.write_from_env

    def recording(state: State, **kwargs: object) -> bool:
        seen.append(state)
        return real(state, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(status_module, "write_from_env", recording)
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "status.json"))
    return seen


def only_thread(store: ThreadStore) -> str:
    threads = store.list_threads(kind="agent")
    assert len(threads) == 1
    return threads[0].id


def test_reads_patches_tests_and_finishes(
    project: RepoWithRemote, model_server: ScriptedServer, agent_config: Path,
    transitions: list[State], tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    model_server.script(
        Reply(text="Let me look.", tool_calls=[ToolCallSpec("read_file", {"file_path": "calc.py"}, id="c1")]),
        Reply(tool_calls=[ToolCallSpec("apply_patch", {"input": FIX}, id="c2")], quirks={"stop_finish"}),
        Reply(tool_calls=[ToolCallSpec("shell", {"command": [sys.executable, "test_calc.py"]}, id="c3")]),
        Reply(text="Fixed `add`: it subtracted. The test passes."),
    )
    code = cli.main(["--prompt", "Fix the failing test", "--cwd", str(project.path)])

    out = capsys.readouterr()
    assert code == 0, out.err
    assert (project.path / "calc.py").read_text() == "def add(a, b):\n    return a + b\n"
    assert "▸ $ " in out.out and "1 passed" in out.out and "✓ finished after 4 turns" in out.out
    assert out.out.startswith("thread: ")

    # Status: working, then idle when the model finished, then exited 0.
    assert transitions == [State.WORKING, State.IDLE, State.EXITED]
    final = read_status(tmp_path / "status.json")
    assert final is not None and final.state is State.EXITED and final.exit_code == 0

    with ThreadStore() as store:
        thread_id = only_thread(store)
        history = store.history(thread_id)
    roles = [m.role for m in history]
    assert roles == [Role.USER] + [Role.ASSISTANT, Role.TOOL] * 3 + [Role.ASSISTANT]
    assert history[0].content == "Fix the failing test"
    assert history[2].content.startswith("L1: def add(a, b):")
    assert history[4].content == "Success. Updated the following files:\nM calc.py"
    assert history[6].content.startswith("Exit code: 0") and "1 passed" in history[6].content
    assert [m.tool_call_id for m in history if m.role is Role.TOOL] == ["c1", "c2", "c3"]
    assert all(m.status is Status.COMPLETE for m in history)
    # A snapshot of the worktree on the prompt and on each assistant turn; the patch shows up.
    assert all(m.snapshot for m in history if m.role is not Role.TOOL)
    before, after = history[1].snapshot, history[3].snapshot
    assert project.git("show", f"{before}:calc.py").stdout.endswith("a - b\n")
    assert project.git("show", f"{after}:calc.py").stdout.endswith("a + b\n")
    # Kept reachable (gc-proof) under a ref of the thread's own; no branch moved.
    kept = project.git("rev-list", f"refs/loupe/agent/{thread_id}", "--format=%T", "--no-commit-header").stdout
    assert {before, after} <= set(kept.split())
    assert project.git("branch", "--list").stdout.strip() == "* main"

    # Every request: system prompt first with the original ask; tools offered; ids echoed.
    requests = model_server.chat_requests
    assert len(requests) == 4
    for request in requests:
        first = request.body["messages"][0]
        assert first["role"] == "system"
        assert "<original-user-prompt>\nFix the failing test\n</original-user-prompt>" in first["content"]
        assert [t["function"]["name"] for t in request.body["tools"]] == [
            "shell", "apply_patch", "read_file", "list_dir", "grep_files"
        ]
    last = requests[-1].body["messages"]
    assert [m["role"] for m in last] == ["system", "user"] + ["assistant", "tool"] * 3
    assert last[-1]["tool_call_id"] == "c3"


def test_continue_a_thread_with_a_new_instruction(
    project: RepoWithRemote, model_server: ScriptedServer, agent_config: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    model_server.script("Nothing to do yet.", "Added nothing either; done.")
    assert cli.main(["--prompt", "Look around", "--cwd", str(project.path)]) == 0
    with ThreadStore() as store:
        thread_id = only_thread(store)
    # A finished thread needs a new instruction (stdin is not a terminal here).
    assert cli.main(["--thread", thread_id, "--cwd", str(project.path)]) == 2
    assert "ends with the agent's final reply; give --prompt" in capsys.readouterr().err
    assert cli.main(["--thread", thread_id[:10], "--prompt", "Now add docs", "--cwd", str(project.path)]) == 0
    with ThreadStore() as store:
        contents = [m.content for m in store.history(thread_id)]
    assert contents == ["Look around", "Nothing to do yet.", "Now add docs", "Added nothing either; done."]
    # The original prompt stays the one on top.
    system = model_server.chat_requests[-1].body["messages"][0]["content"]
    assert "<original-user-prompt>\nLook around\n</original-user-prompt>" in system


def test_429_then_success_is_retried_and_kept(
    project: RepoWithRemote, model_server: ScriptedServer, agent_config: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    model_server.script(Reply(status=429, headers={"retry-after-ms": "10"}), "Done after the retry.")
    assert cli.main(["--prompt", "Say done", "--cwd", str(project.path)]) == 0
    assert "retrying the turn" in capsys.readouterr().out
    with ThreadStore() as store:
        thread_id = only_thread(store)
        history = store.history(thread_id)
        failed = [m for m in store.siblings(history[-1].id) if m.status is Status.ERROR]
    assert [m.content for m in history] == ["Say done", "Done after the retry."]
    assert len(failed) == 1 and "429" in (failed[0].error or "")


def test_error_mid_stream_is_retried_and_the_partial_reply_kept(
    project: RepoWithRemote, model_server: ScriptedServer, agent_config: Path,
) -> None:
    model_server.script(
        Reply(text="I will start by reading every file", error_after=3, error_message="upstream overloaded"),
        "Second try worked.",
    )
    assert cli.main(["--prompt", "Go", "--cwd", str(project.path)]) == 0
    with ThreadStore() as store:
        history = store.history(only_thread(store))
        partial = [m for m in store.siblings(history[-1].id) if m.status is Status.ERROR]
    assert history[-1].content == "Second try worked."
    assert len(partial) == 1 and partial[0].content.startswith("I will")
    assert "upstream overloaded" in (partial[0].error or "")


def test_timeout_exits_1_with_the_transcript_kept(
    project: RepoWithRemote, model_server: ScriptedServer, agent_config: Path,
    transitions: list[State], tmp_path: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    text = agent_config.read_text()
    text = text.replace("read_timeout = 5.0", "read_timeout = 0.3").replace("turn_retries = 1", "turn_retries = 0")
    agent_config.write_text(text)
    model_server.script(Reply(text="Thinking hard", hang_after=2, hang=30))
    code = cli.main(["--prompt", "Never mind", "--cwd", str(project.path)])
    err = capsys.readouterr().err
    assert code == 1
    assert err.startswith("loupe: ") and "continue with `loupe agent --thread" in err
    assert transitions[-1] is State.EXITED
    assert read_status(tmp_path / "status.json").exit_code == 1
    with ThreadStore() as store:
        history = store.history(only_thread(store))
    assert history[0].content == "Never mind"
    assert history[-1].status is Status.ERROR and history[-1].content.startswith("Thinking")


def test_bad_request_is_not_retried(
    project: RepoWithRemote, model_server: ScriptedServer, agent_config: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    model_server.script(Reply(status=400, error_message="model 'x' does not support tools"), "never sent")
    assert cli.main(["--prompt", "Go", "--cwd", str(project.path)]) == 1
    assert "does not support tools" in capsys.readouterr().err
    assert len(model_server.chat_requests) == 1


def test_max_turns_stops_with_exit_1(
    project: RepoWithRemote, model_server: ScriptedServer, agent_config: Path, capsys: pytest.CaptureFixture[str],
) -> None:
    looping = Reply(tool_calls=[ToolCallSpec("list_dir", {})], keep=True)
    model_server.script(looping)
    assert cli.main(["--prompt", "Loop", "--cwd", str(project.path), "--max-turns", "2"]) == 1
    assert "stopped after 2 turns" in capsys.readouterr().err
    with ThreadStore() as store:
        history = store.history(only_thread(store))
    # The thread is left valid: every call has its result.
    assert [m.role for m in history] == [Role.USER, Role.ASSISTANT, Role.TOOL, Role.ASSISTANT, Role.TOOL]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "give --prompt TEXT, --prompt-file FILE or --thread ID"),
        (["--prompt", "  "], "the prompt is empty"),
        (["--prompt", "x", "--prompt-file", "f"], "not both"),
        (["--prompt-file", "/nonexistent/prompt.md"], "cannot read the prompt file"),
        (["--prompt", "x", "--max-turns", "0"], "--max-turns must be at least 1"),
    ],
)
def test_bad_usage_exits_2(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("loupe: ") and message in err


def test_no_endpoint_configured_exits_1(project: RepoWithRemote, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--prompt", "x", "--cwd", str(project.path)]) == 1
    assert "no model endpoint is configured" in capsys.readouterr().err


def test_runs_as_a_command_in_its_own_process(
    project: RepoWithRemote, model_server: ScriptedServer, agent_config: Path, tmp_path: Path,
) -> None:
    model_server.script(
        Reply(tool_calls=[ToolCallSpec("shell", {"command": ["git", "status", "--short"]})]),
        "All clean.",
    )
    status_path = tmp_path / "run-status.json"
    done = subprocess.run(
        [sys.executable, "-m", "tui", "agent", "--prompt", "Check status"],
        cwd=project.path, capture_output=True, text=True, timeout=60,
        env={**os.environ, ENV_VAR: str(status_path), "NO_COLOR": "1"},
    )
    assert done.returncode == 0, done.stderr
    assert "▸ $ git status --short" in done.stdout and "All clean." in done.stdout
    final = json.loads(status_path.read_text())
    assert final["state"] == "exited" and final["exit_code"] == 0 and final["source"] == "loupe-agent"


def test_approval_on_request_asks_and_a_declined_command_does_not_run(
    project: RepoWithRemote, model_server: ScriptedServer, agent_config: Path,
    transitions: list[State], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    model_server.script(
        Reply(tool_calls=[ToolCallSpec("shell", {"command": ["touch", "made-by-agent"]}, id="t1")]),
        Reply(tool_calls=[ToolCallSpec("shell", {"command": ["touch", "approved"]}, id="t2")]),
        "Stopped, as asked.",
    )
    monkeypatch.setattr(sys, "stdin", io.StringIO("n\ny\n"))
    assert cli.main(["--prompt", "Make files", "--cwd", str(project.path), "--approval", "on-request"]) == 0
    assert "Run `touch made-by-agent`? [y]es / [n]o / [a]lways:" in capsys.readouterr().out
    assert not (project.path / "made-by-agent").exists()
    assert (project.path / "approved").exists()
    assert transitions == [
        State.WORKING, State.NEEDS_INPUT, State.WORKING, State.NEEDS_INPUT, State.WORKING, State.IDLE, State.EXITED
    ]
    declined = model_server.chat_requests[1].body["messages"][-1]
    assert declined["role"] == "tool" and "declined" in declined["content"]


def agent_process(project: RepoWithRemote, status_path: Path, *args: str,
                  sigint_ignored: bool = False) -> subprocess.Popen[str]:
    """The agent as a process; `sigint_ignored`: as a non-interactive shell starts a job
    with `&` (SIGINT ignored, inherited through exec)."""
    return subprocess.Popen(
        [sys.executable, "-m", "tui", "agent", "--cwd", str(project.path), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, ENV_VAR: str(status_path), "NO_COLOR": "1"},
        preexec_fn=(lambda: signal.signal(signal.SIGINT, signal.SIG_IGN)) if sigint_ignored else None,
    )


@pytest.mark.slow
@pytest.mark.parametrize(("signum", "code", "sigint_ignored"), [
    (signal.SIGINT, 130, False),
    (signal.SIGTERM, 128 + signal.SIGTERM, False),
    # Started in the background by a script: SIGTERM (`session stop`) must still end it.
    (signal.SIGTERM, 128 + signal.SIGTERM, True),
])
def test_a_stop_signal_while_the_model_streams_cancels_the_reply(
    project: RepoWithRemote, model_server: ScriptedServer, agent_config: Path, tmp_path: Path,
    signum: int, code: int, sigint_ignored: bool,
) -> None:
    patient(agent_config)
    model_server.script(Reply(text="Working on it slowly", hang_after=2, hang=60))
    proc = agent_process(project, tmp_path / "s.json", "--prompt", "Take your time", sigint_ignored=sigint_ignored)
    try:
        model_server.wait_for_requests(1)
        wait_for(lambda: thread_messages()[-1:] and thread_messages()[-1].content, "partial reply saved")
        proc.send_signal(signum)
        out, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == code, err
    assert "interrupted" in out
    model_server.wait_for_disconnect()
    last = thread_messages()[-1]
    assert last.status is Status.CANCELLED and last.content.startswith("Working")
    final = read_status(tmp_path / "s.json")
    assert final.state is State.EXITED and final.exit_code == code


@pytest.mark.slow
def test_ctrl_c_during_a_command_kills_it_and_answers_the_call(
    project: RepoWithRemote, model_server: ScriptedServer, agent_config: Path, tmp_path: Path,
) -> None:
    pid_file = tmp_path / "sleep.pid"
    script = f"sleep 300 & echo $! > {pid_file}; wait"
    call = ToolCallSpec("shell", {"command": ["bash", "-c", script], "timeout_ms": 600_000})
    model_server.script(Reply(tool_calls=[call]))
    proc = agent_process(project, tmp_path / "s.json", "--prompt", "Sleep")
    try:
        wait_for(pid_file.exists, "the command to start")
        wait_for(lambda: pid_file.read_text().strip(), "the pid to be written")
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
    finally:
        proc.kill()
        proc.wait()
    child = int(pid_file.read_text())
    try:
        assert proc.returncode == 130
        wait_for(lambda: not process_alive(child), "the command's process group to be killed")
    finally:  # the test's own cleanup when the agent left it running
        with contextlib.suppress(OSError):
            os.killpg(os.getpgid(child), signal.SIGKILL)
    history = thread_messages()
    assert history[-1].role is Role.TOOL and "cancelled by the user" in history[-1].content


def thread_messages() -> list:
    with ThreadStore(recover=False) as store:
        threads = store.list_threads(kind="agent")
        return store.history(threads[0].id) if threads else []


def test_interactive_waits_for_the_next_instruction(
    project: RepoWithRemote, model_server: ScriptedServer, agent_config: Path,
    transitions: list[State], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    model_server.script("First answer.", "Second answer.")
    monkeypatch.setattr(sys, "stdin", io.StringIO("and now the docs\n\n"))
    assert cli.main(["--prompt", "Start", "--cwd", str(project.path), "--interactive"]) == 0
    assert capsys.readouterr().out.count("Next instruction (empty line to quit): ") == 2
    with ThreadStore() as store:
        contents = [m.content for m in store.history(only_thread(store))]
    assert contents == ["Start", "First answer.", "and now the docs", "Second answer."]
    assert transitions == [State.WORKING, State.IDLE, State.WORKING, State.IDLE, State.EXITED]


def test_past_the_token_budget_old_tool_outputs_are_shortened_in_requests(
    project: RepoWithRemote, model_server: ScriptedServer, agent_config: Path,
) -> None:
    (project.path / "big.txt").write_text("".join(f"row {n}\n" for n in range(1500)))
    with agent_config.open("a", encoding="utf-8") as handle:
        handle.write("token_budget = 3000\n")
    read_big = ToolCallSpec("read_file", {"file_path": "big.txt"})
    model_server.script(Reply(tool_calls=[read_big]), Reply(tool_calls=[read_big]), "Read it twice.")
    assert cli.main(["--prompt", "Read big.txt twice", "--cwd", str(project.path)]) == 0
    second, third = (r.body["messages"] for r in model_server.chat_requests[1:])
    assert second[-1]["content"].startswith("Total output lines: 1500")  # the latest, cut to fit
    first_result, latest = (m["content"] for m in third if m["role"] == "tool")
    assert first_result.startswith("[tool output of 1500 lines omitted")
    assert latest.startswith("Total output lines: 1500") and "L1500: row 1499" in latest
    assert third[1] == {"role": "user", "content": "Read big.txt twice"}
    with ThreadStore() as store:
        stored = [m.content for m in store.history(only_thread(store)) if m.role is Role.TOOL]
    assert all(len(text.splitlines()) == 1500 for text in stored), "the store keeps every output whole"


def test_a_run_that_died_between_tool_calls_resumes_with_the_missing_ones(
    project: RepoWithRemote, model_server: ScriptedServer, agent_config: Path,
) -> None:
    with ThreadStore() as store:
        thread = store.create_thread("crashed", kind="agent")
        store.append(thread.id, Role.USER, "List and read")
        calls = [
            {"id": "a", "type": "function", "function": {"name": "list_dir", "arguments": "{}"}},
            {"id": "b", "type": "function", "function": {"name": "read_file", "arguments": '{"file_path": "calc.py"}'}},
        ]
        store.append(thread.id, Role.ASSISTANT, "", tool_calls=calls)
        store.append(thread.id, Role.TOOL, "listed before the crash", tool_call_id="a")
    model_server.script("Both done.")
    assert cli.main(["--thread", thread.id, "--cwd", str(project.path)]) == 0
    with ThreadStore() as store:
        history = store.history(thread.id)
    assert [m.tool_call_id for m in history if m.role is Role.TOOL] == ["a", "b"]
    assert history[-2].content.startswith("L1: def add(a, b):")
    assert history[-1].content == "Both done."

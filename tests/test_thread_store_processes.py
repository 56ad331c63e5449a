"""The store shared by real processes: concurrent writers, and a writer killed mid-reply."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.fixtures.model_server import patient
from tests.helpers import wait_for
from tui.threads import Status, ThreadStore

WRITER = r"""
import sys, pathlib
from tui.threads import ThreadStore, Status
db, name, shared, go = sys.argv[1], sys.argv[2], sys.argv[3], pathlib.Path(sys.argv[4])
with ThreadStore(pathlib.Path(db), busy_timeout_ms=30000) as store:
    own = store.create_thread(name)
    print("ready", flush=True)
    while not go.exists():
        pass
    for n in range(60):
        store.append(shared, "user", f"{name} {n}")
        store.append(own.id, "user", f"{name} asks {n}")
        reply = store.start_reply(own.id, model="m", endpoint="e")
        writer = store.stream_writer(reply.id, interval=0)
        for word in ("one ", "two ", "three"):
            writer.append(word)
        writer.finish(Status.COMPLETE)
print("done", flush=True)
"""

CRASHER = r"""
import sys, pathlib, time
from tui.threads import ThreadStore
store = ThreadStore(pathlib.Path(sys.argv[1]))
thread = store.create_thread("crash", system="system prompt")
store.append(thread.id, "user", "tell me a long story")
reply = store.start_reply(thread.id, model="m", endpoint="e")
writer = store.stream_writer(reply.id, interval=3600)
writer.append("Once upon ")
writer.append("a time")
writer.flush()            # what was shown so far is saved
writer.append(" (never saved)")
print(thread.id, reply.id, flush=True)
time.sleep(600)
"""


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    db = tmp_path / "threads.sqlite"
    with ThreadStore(db) as store:
        shared = store.create_thread("shared").id
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(db), name, shared, str(go)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        for name in ("app", "agent")
    ]
    try:
        for proc in procs:
            assert proc.stdout.readline().strip() == "ready"
        go.touch()
        for proc in procs:
            out, err = proc.communicate(timeout=120)
            assert proc.returncode == 0, err
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()

    with ThreadStore(db) as store:
        history = store.history(shared)
        assert len(history) == 120
        for name in ("app", "agent"):
            mine = [m.content for m in history if m.content.startswith(name + " ")]
            assert mine == [f"{name} {n}" for n in range(60)]
        # One chain: every message's parent is the one before it.
        assert all(m.parent_id == prev.id for prev, m in zip(history, history[1:]))
        for thread in store.list_threads():
            if thread.id != shared:
                replies = [m for m in store.history(thread.id) if m.role == "assistant"]
                assert len(replies) == 60
                assert {(m.status, m.content) for m in replies} == {(Status.COMPLETE, "one two three")}
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("INSERT INTO messages_fts(messages_fts) VALUES ('integrity-check')") is not None
    conn.close()


def test_a_writer_killed_mid_reply_loses_nothing_saved(tmp_path: Path) -> None:
    db = tmp_path / "threads.sqlite"
    proc = subprocess.Popen(
        [sys.executable, "-c", CRASHER, str(db)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        thread_id, reply_id = proc.stdout.readline().split()
        # While the writer lives, another process opening the store leaves its reply alone.
        with ThreadStore(db) as watcher:
            assert watcher.recovered == []
            assert watcher.message(reply_id).status is Status.STREAMING
            assert watcher.message(reply_id).content == "Once upon a time"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGKILL

    with ThreadStore(db) as store:
        assert store.recovered == [reply_id]
        history = store.history(thread_id)
        assert [m.content for m in history] == ["system prompt", "tell me a long story", "Once upon a time"]
        reply = history[-1]
        assert reply.status is Status.INTERRUPTED
        assert "stopped while this reply was streaming" in (reply.error or "")
        # It is finished now: searchable, immutable, and the thread can go on from it.
        assert [hit.message.id for hit in store.search("upon")] == [reply_id]
        store.append(thread_id, "user", "go on")
    with ThreadStore(db) as again:
        assert again.recovered == []
    assert list((tmp_path / "threads.sqlite.owners").glob("*.lock")) == []


def test_a_stale_lock_from_a_dead_process_is_swept(tmp_path: Path) -> None:
    db = tmp_path / "threads.sqlite"
    proc = subprocess.Popen(
        [sys.executable, "-c", CRASHER, str(db)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    proc.stdout.readline()
    locks = tmp_path / "threads.sqlite.owners"
    wait_for(lambda: list(locks.glob("*.lock")), "the writer's lock file")
    proc.kill()
    proc.wait()
    with ThreadStore(db, recover=False) as store:
        assert store.recovered == []
    assert list(locks.glob("*.lock"))  # recovery off: nothing touched
    with ThreadStore(db):
        pass
    assert list(locks.glob("*.lock")) == []


def test_head_state_sees_a_reply_another_process_streams_and_ends(model_server, model_config) -> None:
    # `loupe thread send` from a shell while the thread is open in the app (issue 16, item 6).
    from tests.fixtures.model_server import Reply

    patient(model_config)
    model_server.script(Reply(text="Streaming words then more", hang_after=2))
    with ThreadStore() as store:
        thread = store.create_thread("open in the app")
        store.append(thread.id, "user", "first")
        before = store.head_state(thread.id)
        assert store.head_state(thread.id) == before  # nothing changed, nothing seen
        sender = subprocess.Popen([sys.executable, "-m", "tui", "thread", "send", thread.id, "Go"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            wait_for(lambda: store.head_state(thread.id).head_length == len("Streaming "),
                     "the first word saved by the other process")
            streaming = store.head_state(thread.id)
            assert streaming != before and streaming.head_status == "streaming"
            sender.send_signal(signal.SIGINT)
            assert sender.wait(timeout=30) == 130
        finally:
            if sender.poll() is None:
                sender.kill()
                sender.wait()
        ended = store.head_state(thread.id)
        assert (ended.head_status, ended.head_length) == ("cancelled", len("Streaming "))
        # What the chat pane compared until now did not change when the reply ended.
        assert (ended.head_id, ended.title, ended.endpoint, ended.model) == (
            streaming.head_id, streaming.title, streaming.endpoint, streaming.model)
        assert ended != streaming
        fork = store.fork(thread.id, store.history(thread.id)[0].id, title="side")
        forked = store.head_state(thread.id)
        assert forked != ended and forked.forks == f"1:{fork.id}"
        store.rename(thread.id, "renamed")
        assert store.head_state(thread.id) != forked

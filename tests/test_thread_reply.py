"""Streaming a model's reply into a thread, against the scripted server."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from tests.fixtures.model_server import Reply, ToolCallSpec
from tui.model.client import TextDelta
from tui.threads import Role, Status, ThreadStore
from tui.threads.reply import ReplyEnded, ReplyStarted, reply, to_chat_messages


@pytest.fixture
def store(tmp_path: Path) -> ThreadStore:
    with ThreadStore(tmp_path / "threads.sqlite") as opened:
        yield opened


def new_thread(store: ThreadStore, question: str = "What is a fork?") -> str:
    thread = store.create_thread("t", system="Be brief.", endpoint="scripted", model="scripted-model")
    store.append(thread.id, "user", question)
    return thread.id


async def test_a_reply_streams_into_the_store(store, model_server, model_client) -> None:
    model_server.script(Reply(text="A new pointer, nothing copied.", usage={"prompt_tokens": 9, "completion_tokens": 6, "total_tokens": 15}))
    thread_id = new_thread(store)
    events = []
    message = await reply(store, model_client, thread_id, on_event=events.append)
    assert (message.status, message.content, message.role) == (Status.COMPLETE, "A new pointer, nothing copied.", Role.ASSISTANT)
    assert (message.model, message.endpoint, message.usage.total_tokens) == ("scripted-model", "scripted", 15)
    assert store.history(thread_id)[-1].id == message.id
    assert isinstance(events[0], ReplyStarted) and events[0].message.status is Status.STREAMING
    assert isinstance(events[-1], ReplyEnded) and events[-1].message == message
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == message.content
    assert model_server.chat_requests[0].body["messages"] == [
        {"role": "system", "content": "Be brief."}, {"role": "user", "content": "What is a fork?"},
    ]


async def test_an_async_handler_sees_text_that_is_saved(store, model_server, model_client) -> None:
    model_server.script(Reply(text="one two three four five six", tokens_per_second=100))
    thread_id = new_thread(store)
    saved: list[str] = []

    async def on_event(event) -> None:
        if isinstance(event, ReplyStarted):
            saved.append(event.message.id)

    message = await reply(store, model_client, thread_id, on_event=on_event, flush_interval=0)
    assert saved == [message.id] and message.content == "one two three four five six"


async def test_an_error_mid_stream_is_saved_with_the_partial_text(store, model_server, model_client) -> None:
    model_server.script(Reply(text="one two three four", error_after=3, error_message="overloaded"))
    thread_id = new_thread(store)
    message = await reply(store, model_client, thread_id)
    assert (message.status, message.content) == (Status.ERROR, "one two ")
    assert "overloaded" in message.error


async def test_a_truncated_stream_is_saved_as_an_error(store, model_server, model_client) -> None:
    model_server.script(Reply(text="one two three", truncate_after=2))
    message = await reply(store, model_client, new_thread(store))
    assert (message.status, message.content) == (Status.ERROR, "one ")
    assert "ended before" in message.error


async def test_a_failed_request_is_saved_as_an_error(store, model_server, model_client) -> None:
    model_server.script(Reply(status=503, error_message="maintenance"))
    events = []
    message = await reply(store, model_client, new_thread(store), on_event=events.append)
    assert message.status is Status.ERROR and "503" in message.error and message.content == ""
    # The error itself reaches the handler, for callers that decide whether to retry.
    assert events[-1].error is not None and events[-1].error.status == 503 and events[-1].error.retryable
    # Retrying = a new reply under the same parent: a sibling of the failed one.
    model_server.script("back again")
    retried = await reply(store, model_client, message.thread_id, parent_id=message.parent_id)
    assert retried.content == "back again"
    assert [m.id for m in store.siblings(retried.id)] == [message.id, retried.id]
    # The failed, empty reply is not sent to the model.
    assert [m["role"] for m in model_server.chat_requests[-1].body["messages"]] == ["system", "user"]


async def test_cancelling_keeps_the_partial_reply_as_cancelled(store, model_server, model_client) -> None:
    model_server.script(Reply(text="word " * 300, tokens_per_second=40))
    thread_id = new_thread(store)
    got_text = asyncio.Event()

    def on_event(event) -> None:
        if isinstance(event, TextDelta):
            got_text.set()

    task = asyncio.create_task(reply(store, model_client, thread_id, on_event=on_event))
    await asyncio.wait_for(got_text.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    message = store.history(thread_id)[-1]
    assert message.status is Status.CANCELLED
    assert message.content.startswith("word ") and len(message.content) < len("word " * 300)
    assert (await asyncio.to_thread(model_server.wait_for_disconnect)).disconnected


async def test_text_shown_before_a_stall_is_saved_during_the_stall(store, model_server, model_client) -> None:
    # No more deltas arrive to trigger a save: a crash during the pause must still find the
    # text in the store.
    model_server.script(Reply(text="Saved before the pause, then more", hang_after=4))
    thread_id = new_thread(store)
    shown: list[str] = []

    def on_event(event) -> None:
        if isinstance(event, TextDelta):
            shown.append(event.text)

    task = asyncio.create_task(reply(store, model_client, thread_id, on_event=on_event, flush_interval=0.05))
    try:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 10
        while store.history(thread_id)[-1].content != "".join(shown) or not shown:
            assert loop.time() < deadline, f"never saved: {store.history(thread_id)[-1].content!r} vs {shown}"
            await asyncio.sleep(0.02)
        assert store.history(thread_id)[-1].status is Status.STREAMING
        assert not model_server.chat_requests[0].finished  # still in the pause
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_regenerate_makes_a_sibling_and_sends_the_same_history(store, model_server, model_client) -> None:
    model_server.script("first answer", "second answer")
    thread_id = new_thread(store)
    first = await reply(store, model_client, thread_id)
    second = await reply(store, model_client, thread_id, parent_id=first.parent_id)
    assert store.sibling_positions([second.id])[second.id].count == 2
    bodies = [r.body["messages"] for r in model_server.chat_requests]
    assert bodies[0] == bodies[1]
    assert store.history(thread_id)[-1].id == second.id


async def test_tool_calls_are_stored_on_the_reply(store, model_server, model_client) -> None:
    model_server.script(Reply(tool_calls=[ToolCallSpec("shell", {"command": ["ls"]}, id="c1")],
                              quirks={"no_index", "stop_finish"}))
    thread_id = new_thread(store, "list the files")
    message = await reply(store, model_client, thread_id, tools=[{"type": "function", "function": {"name": "shell"}}])
    assert message.tool_calls == [
        {"id": "c1", "type": "function", "function": {"name": "shell", "arguments": '{"command": ["ls"]}'}}
    ]
    assert model_server.chat_requests[0].body["tools"][0]["function"]["name"] == "shell"
    store.append(thread_id, "tool", "README.md", tool_call_id="c1")
    model_server.script("There is a README.")
    await reply(store, model_client, thread_id)
    sent = model_server.chat_requests[1].body["messages"]
    assert sent[2] == {"role": "assistant", "content": None, "tool_calls": message.tool_calls}
    assert sent[3] == {"role": "tool", "tool_call_id": "c1", "content": "README.md"}


async def test_a_fork_sends_only_its_own_history(store, model_server, model_client) -> None:
    model_server.script("answer one", "fork answer")
    thread_id = new_thread(store)
    first = await reply(store, model_client, thread_id)
    store.append(thread_id, "user", "main line goes on")
    fork = store.fork(thread_id, first.id, title="side")
    store.append(fork.id, "user", "side question")
    await reply(store, model_client, fork.id)
    contents = [m["content"] for m in model_server.chat_requests[1].body["messages"]]
    assert contents == ["Be brief.", "What is a fork?", "answer one", "side question"]


async def test_a_reduce_synthesis_streams_into_the_merge_message(store, model_server, model_client) -> None:
    model_server.script("main answer", "fork a says x", "fork b says y", "Both agree: x and y.")
    thread_id = new_thread(store)
    await reply(store, model_client, thread_id)
    head = store.thread(thread_id).head_id
    forks = []
    for name in ("a", "b"):
        fork = store.fork(thread_id, head, title=name)
        store.append(fork.id, "user", f"question {name}")
        await reply(store, model_client, fork.id)
        forks.append(fork.id)
    target = store.merge(thread_id, forks, "", kind="reduce", role="assistant", status="streaming",
                         model="scripted-model", endpoint="scripted")
    synthesis = await reply(store, model_client, thread_id, message_id=target.id,
                            messages=[{"role": "user", "content": "Combine these."}])
    assert (synthesis.id, synthesis.status, synthesis.content) == (target.id, Status.COMPLETE, "Both agree: x and y.")
    assert [s.source_thread_id for s in store.sources(synthesis.id)] == forks


def test_to_chat_messages_applies_expansion_and_skips_empty_failures(store) -> None:
    thread_id = new_thread(store, "see @task/design")
    failed = store.start_reply(thread_id, model="m", endpoint="e")
    store.finish(failed.id, Status.ERROR, error="boom")
    partial = store.start_reply(thread_id, model="m", endpoint="e", parent_id=failed.parent_id)
    store.finish(partial.id, Status.CANCELLED, content="half an ans",
                 tool_calls=[{"id": "x", "type": "function", "function": {"name": "f", "arguments": ""}}])
    messages = to_chat_messages(
        store.history(thread_id), expand=lambda m: m.content.replace("@task/design", "<design doc>")
    )
    assert messages == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "see <design doc>"},
        {"role": "assistant", "content": "half an ans"},
    ]

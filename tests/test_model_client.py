"""The model client against the scripted server: real sockets, the real openai SDK."""

from __future__ import annotations

import asyncio
import json
import urllib.request

import pytest

from tests.fixtures.model_server import Reply, ToolCallSpec
from tui.config import Config, EndpointConfig
from tui.model.client import Finished, ModelClient, TextDelta, ToolCallDelta, UsageReport
from tui.model.endpoints import Endpoint, resolve_endpoint
from tui.model.errors import (
    MissingApiKey,
    MissingModel,
    ModelAuthError,
    ModelConnectionError,
    ModelError,
    ModelStreamError,
    ModelTimeout,
    NoEndpointConfigured,
    RateLimited,
    UnknownEndpoint,
)
from tui.model.scripted_server import ScriptedServer

ASK = [{"role": "user", "content": "hi"}]


async def collect(client: ModelClient, messages=ASK, **kwargs) -> list:
    events = []
    async with client.stream(messages, **kwargs) as stream:
        async for event in stream:
            events.append(event)
    return events


async def test_a_streamed_reply_arrives_in_deltas_with_usage(model_server, model_client) -> None:
    model_server.script(Reply(text="Forks are cheap here.", tokens_per_second=500))
    events = await collect(model_client, temperature=0.2)
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == "Forks are cheap here."
    assert len([e for e in events if isinstance(e, TextDelta)]) == 4
    assert isinstance(events[-2], UsageReport) and events[-2].usage.completion_tokens == 4
    final = events[-1]
    assert isinstance(final, Finished)
    assert (final.result.complete, final.result.finish_reason, final.result.content) == (
        True, "stop", "Forks are cheap here."
    )
    body = model_server.chat_requests[0].body
    assert body["stream"] is True and body["messages"] == ASK and body["temperature"] == 0.2
    assert body["model"] == "scripted-model" and body["stream_options"] == {"include_usage": True}


EXPECTED_CALLS = [("shell", {"command": ["ls", "-la"]}), ("read_file", {"path": "README.md", "limit": 20})]


@pytest.mark.parametrize(
    "quirks",
    [set(), {"no_index"}, {"index_reuse"}, {"dict_arguments"}, {"stop_finish"}, {"repeat_name"},
     {"no_index", "dict_arguments", "stop_finish"}, {"index_reuse", "repeat_name"}],
    ids=lambda q: "+".join(sorted(q)) or "canonical",
)
async def test_tool_call_deltas_are_accumulated_despite_quirks(model_server, model_client, quirks) -> None:
    model_server.script(Reply(
        text="Let me look.",
        tool_calls=[ToolCallSpec(name, args, id=f"call_{n}") for n, (name, args) in enumerate(EXPECTED_CALLS)],
        quirks=quirks,
    ))
    events = await collect(model_client)
    result = events[-1].result
    assert result.content == "Let me look."
    assert [(c.id, c.name, c.arguments, c.error) for c in result.parsed_tool_calls()] == [
        ("call_0", "shell", EXPECTED_CALLS[0][1], None),
        ("call_1", "read_file", EXPECTED_CALLS[1][1], None),
    ]
    assert result.finish_reason == ("stop" if "stop_finish" in quirks else "tool_calls")
    deltas = [e for e in events if isinstance(e, ToolCallDelta)]
    assert {d.slot for d in deltas} == {0, 1}
    assert [d.name for d in deltas if d.name] == ["shell", "read_file"]


async def test_tool_calls_without_ids_get_stable_fresh_ones(model_client, model_server) -> None:
    # A server that sends neither index nor id: each delta continues the one call.
    model_server.script(Reply(tool_calls=[ToolCallSpec("shell", {"command": ["pwd"]})], quirks={"no_index"}))
    model_server._queue[0].tool_calls[0].id = ""
    result = await model_client.complete(ASK)
    assert len(result.tool_calls) == 1
    assert result.tool_calls[0]["id"].startswith("call_")
    assert result.parsed_tool_calls()[0].arguments == {"command": ["pwd"]}


async def test_bad_tool_arguments_are_reported_not_raised(model_server, model_client) -> None:
    model_server.script(Reply(tool_calls=[ToolCallSpec("shell", '{"command": [')]))
    call = (await model_client.complete(ASK)).parsed_tool_calls()[0]
    assert call.arguments is None and "not valid JSON" in call.error


async def test_429_is_retried_then_succeeds(model_server, model_endpoint) -> None:
    model_server.script(Reply(status=429, headers={"retry-after-ms": "10"}), "after the retry")
    client = ModelClient(model_endpoint, max_retries=2, read_timeout=5)
    result = await client.complete(ASK)
    assert result.content == "after the retry"
    assert [r.reply.status for r in model_server.chat_requests] == [429, 200]


async def test_timeouts_and_retries_come_from_the_config(model_server) -> None:
    from tui.config import Config, EndpointConfig

    config = Config()
    config.endpoints["here"] = EndpointConfig(base_url=model_server.base_url, api_key_env="", model="m")
    config.models.max_retries, config.models.read_timeout = 1, 0.3
    client = ModelClient.from_config(config, "here")
    model_server.script(Reply(status=429, headers={"retry-after-ms": "10"}), "retried once")
    assert (await client.complete(ASK)).content == "retried once"
    model_server.script(Reply(status=429, headers={"retry-after-ms": "10"}), Reply(status=429, headers={"retry-after-ms": "10"}))
    with pytest.raises(RateLimited):
        await client.complete(ASK)  # one retry, then it gives up
    model_server.script(Reply(text="late", hang=5), Reply(text="late again", hang=5))
    with pytest.raises(ModelTimeout):
        await client.complete(ASK)  # 0.3 s without a byte, twice
    await client.aclose()
    assert len(model_server.chat_requests) == 6


async def test_429_without_retries_left_is_rate_limited(model_server, model_client) -> None:
    model_server.script(Reply(status=429, error_message="Slow down", headers={"retry-after-ms": "10"}))
    with pytest.raises(RateLimited) as caught:
        await model_client.complete(ASK)
    assert caught.value.status == 429 and "Slow down" in str(caught.value)


async def test_500_is_a_model_error_with_status(model_server, model_client) -> None:
    model_server.script(Reply(status=500, error_message="upstream exploded"))
    with pytest.raises(ModelError, match="500.*upstream exploded") as caught:
        await model_client.complete(ASK)
    assert caught.value.retryable


async def test_an_error_in_mid_stream_raises_after_the_partial_text(model_server, model_endpoint) -> None:
    model_server.script(Reply(text="one two three four five", error_after=3, error_message="overloaded"))
    client = ModelClient(model_endpoint, max_retries=2, read_timeout=5)
    texts = []
    with pytest.raises(ModelStreamError, match="overloaded") as caught:
        async with client.stream(ASK) as stream:
            async for event in stream:
                if isinstance(event, TextDelta):
                    texts.append(event.text)
    assert "".join(texts) == "one two "
    assert stream.partial.content == "one two "
    assert caught.value.retryable
    assert len(model_server.chat_requests) == 1  # never retried: part of it was shown


async def test_a_truncated_stream_is_incomplete_not_done(model_server, model_client) -> None:
    model_server.script(Reply(text="one two three four", truncate_after=3,
                              tool_calls=[ToolCallSpec("shell", {"command": ["ls"]})]))
    events = await collect(model_client)
    result = events[-1].result
    assert (result.complete, result.content) == (False, "one two ")
    assert "ended before" in result.incomplete_reason


async def test_a_chunked_stream_cut_mid_body_is_a_connection_error(model_server, model_client) -> None:
    model_server.script(Reply(text="one two three four", truncate_after=3, chunked=True))
    with pytest.raises(ModelConnectionError):
        await collect(model_client)


async def test_a_complete_chunked_stream_is_fine(model_server, model_client) -> None:
    model_server.script(Reply(text="chunked body works", chunked=True))
    assert (await model_client.complete(ASK)).content == "chunked body works"


async def test_a_server_that_hangs_times_out_on_read(model_server, model_endpoint) -> None:
    model_server.script(Reply(hang=30))
    client = ModelClient(model_endpoint, read_timeout=0.3, max_retries=0)
    with pytest.raises(ModelTimeout, match="read_timeout"):
        await client.complete(ASK)
    assert model_server.wait_for_disconnect().reply.hang == 30


async def test_a_stream_that_stalls_midway_times_out(model_server, model_endpoint) -> None:
    model_server.script(Reply(text="one two three", hang_after=2, hang=30))
    client = ModelClient(model_endpoint, read_timeout=0.3, max_retries=0)
    texts = []
    with pytest.raises(ModelTimeout):
        async with client.stream(ASK) as stream:
            async for event in stream:
                if isinstance(event, TextDelta):
                    texts.append(event.text)
    assert texts == ["one "]
    model_server.wait_for_disconnect()


async def test_cancelling_closes_the_stream_and_the_server_sees_it(model_server, model_client) -> None:
    model_server.script(Reply(text="word " * 400, tokens_per_second=50))
    first_delta = asyncio.Event()

    async def consume() -> None:
        async with model_client.stream(ASK) as stream:
            async for event in stream:
                if isinstance(event, TextDelta):
                    first_delta.set()

    task = asyncio.create_task(consume())
    await asyncio.wait_for(first_delta.wait(), 10)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    record = await asyncio.to_thread(model_server.wait_for_disconnect)
    assert record.disconnected


async def test_leaving_the_stream_early_closes_it(model_server, model_client) -> None:
    model_server.script(Reply(text="word " * 400, tokens_per_second=50))
    async with model_client.stream(ASK) as stream:
        async for event in stream:
            break
    assert (await asyncio.to_thread(model_server.wait_for_disconnect)).disconnected


async def test_a_server_rejecting_stream_options_is_asked_again_without(model_endpoint) -> None:
    with ScriptedServer("first", "second", reject_stream_options=True) as server:
        client = ModelClient(Endpoint("picky", server.base_url, "m", api_key_env=""), max_retries=0)
        assert (await client.complete(ASK)).content == "first"
        assert (await client.complete(ASK)).content == "second"
        sent = [("stream_options" in r.body) for r in server.chat_requests]
        assert sent == [True, False, False]
        await client.aclose()


async def test_authentication_errors_name_the_variable_but_never_the_key(monkeypatch) -> None:
    monkeypatch.setenv("LOUPE_TEST_KEY", "sk-wrong-key-123456")
    with ScriptedServer(Reply(status=400, error_message="bad key sk-wrong-key-123456"),
                        api_key="sk-right") as server:
        endpoint = Endpoint("guarded", server.base_url, "m", api_key_env="LOUPE_TEST_KEY")
        client = ModelClient(endpoint, max_retries=0)
        with pytest.raises(ModelAuthError, match=r"\$LOUPE_TEST_KEY") as caught:
            await client.complete(ASK)
        assert caught.value.status == 401
        assert server.requests[0].headers["authorization"] == "Bearer sk-wrong-key-123456"
        server.api_key = None
        with pytest.raises(ModelError) as caught:
            await client.complete(ASK)
        assert "sk-wrong-key-123456" not in str(caught.value) and "***" in str(caught.value)
        assert "sk-wrong" not in repr(endpoint) and "sk-wrong" not in endpoint.describe()
        await client.aclose()


async def test_an_unreachable_server_is_a_connection_error() -> None:
    with ScriptedServer() as server:
        url = server.base_url
    client = ModelClient(Endpoint("gone", url, "m", api_key_env=""), max_retries=0, connect_timeout=2)
    with pytest.raises(ModelConnectionError, match="is the server running"):
        await client.complete(ASK)


async def test_models_are_listed(model_client) -> None:
    assert await model_client.list_models() == ["scripted-model"]


def test_the_server_answers_without_streaming_too(model_server) -> None:
    model_server.script(Reply(text="plain", tool_calls=[ToolCallSpec("shell", {"a": 1}, id="c1")]))
    request = urllib.request.Request(
        model_server.base_url + "/chat/completions",
        data=json.dumps({"model": "x", "messages": ASK}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as response:
        body = json.load(response)
    message = body["choices"][0]["message"]
    assert message["content"] == "plain" and message["tool_calls"][0]["function"]["arguments"] == '{"a": 1}'
    assert body["choices"][0]["finish_reason"] == "tool_calls"


def test_matched_replies_answer_their_question_and_the_script_can_run_out(model_server) -> None:
    model_server.script(Reply(text="about retries", match="RETRY", keep=True), "in order")

    def ask(text: str) -> dict:
        request = urllib.request.Request(
            model_server.base_url + "/chat/completions",
            data=json.dumps({"model": "x", "messages": [{"role": "user", "content": text}]}).encode(),
        )
        try:
            with urllib.request.urlopen(request, timeout=5) as response:
                return json.load(response)
        except urllib.error.HTTPError as exc:
            return json.load(exc)

    assert ask("hello")["choices"][0]["message"]["content"] == "in order"
    assert ask("how does retry work?")["choices"][0]["message"]["content"] == "about retries"
    assert ask("and retry again?")["choices"][0]["message"]["content"] == "about retries"
    assert "no scripted reply left" in ask("anything else")["error"]["message"]


# -- endpoints -------------------------------------------------------------------------------


def test_no_endpoint_says_how_to_configure_one() -> None:
    with pytest.raises(NoEndpointConfigured) as caught:
        resolve_endpoint(Config(), environ={})
    message = str(caught.value)
    assert "[endpoints." in message and "base_url" in message and "OPENAI_API_KEY" in message


def test_the_environment_makes_a_default_endpoint() -> None:
    env = {"OPENAI_API_KEY": "sk-env", "OPENAI_MODEL": "gpt-x"}
    endpoint = resolve_endpoint(Config(), environ=env)
    assert (endpoint.name, endpoint.base_url, endpoint.model) == ("default", "https://api.openai.com/v1", "gpt-x")
    assert endpoint.api_key(env) == "sk-env"
    local = resolve_endpoint(Config(), environ={"OPENAI_BASE_URL": "http://localhost:11434/v1/",
                                                "OPENAI_MODEL": "llama"})
    assert local.base_url == "http://localhost:11434/v1" and local.api_key({}) == "no-key-needed"


def test_configured_endpoints_and_their_problems() -> None:
    config = Config()
    config.endpoints["work"] = EndpointConfig(base_url="https://llm.example.com/v1", api_key_env="WORK_KEY",
                                              model="big", headers={"X-Team": "loupe"})
    config.endpoints["nomodel"] = EndpointConfig(base_url="http://127.0.0.1:1/v1", api_key_env="")
    endpoint = resolve_endpoint(config, environ={"WORK_KEY": "k"})
    assert (endpoint.name, endpoint.model, endpoint.headers) == ("work", "big", {"X-Team": "loupe"})
    assert resolve_endpoint(config, "work", model="small", environ={"WORK_KEY": "k"}).model == "small"
    with pytest.raises(MissingApiKey, match=r"\$WORK_KEY.*api_key_env = \"\""):
        resolve_endpoint(config, "work", environ={})
    with pytest.raises(MissingModel, match=r"\[endpoints.nomodel\]"):
        resolve_endpoint(config, "nomodel", environ={})
    config.models.default_model = "fallback"
    assert resolve_endpoint(config, "nomodel", environ={}).model == "fallback"
    with pytest.raises(UnknownEndpoint, match="known: work, nomodel"):
        resolve_endpoint(config, "nope", environ={})
    config.models.default_endpoint = "missing"
    with pytest.raises(UnknownEndpoint, match="default_endpoint"):
        resolve_endpoint(config, environ={})


def test_the_sync_facade_streams_from_plain_code(model_server, model_client) -> None:
    model_server.script("sync one", "sync two")
    from tui.model.sync import complete_sync

    seen = []
    assert complete_sync(model_client, ASK, on_event=seen.append).content == "sync one"
    assert isinstance(seen[-1], Finished)
    # A second call gets a fresh event loop and connection pool.
    assert complete_sync(model_client, ASK).content == "sync two"


async def test_the_sync_facade_refuses_to_run_inside_a_loop(model_client) -> None:
    from tui.model.sync import complete_sync

    with pytest.raises(RuntimeError, match="await the async API"):
        complete_sync(model_client, ASK)

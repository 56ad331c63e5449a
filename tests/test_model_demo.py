"""The demo's offline model: a scripted endpoint with plausible replies about the demo project."""

from __future__ import annotations

import asyncio
import subprocess
import sys

from tui.config import Config
from tui.model.client import ModelClient
from tui.model.demo import DEMO_LABEL, demo_script, start_demo_endpoint
from tui.model.endpoints import resolve_endpoint


def test_the_demo_endpoint_answers_questions_about_the_demo_project() -> None:
    config = Config()
    server = start_demo_endpoint(config)
    try:
        endpoint = resolve_endpoint(config, environ={})
        assert (endpoint.name, endpoint.label) == ("demo", DEMO_LABEL)
        assert DEMO_LABEL in endpoint.describe()
        client = ModelClient(endpoint, max_retries=0)

        async def ask(text: str) -> str:
            try:
                return (await client.complete([{"role": "user", "content": text}])).content
            finally:
                await client.aclose()

        # Keep the pace fast for the test; the script itself streams at a readable speed.
        for reply in server._queue + [server._script.default]:
            reply.tokens_per_second = None
        assert "worker" in asyncio.run(ask("Where does the retry decision live?"))
        assert "worker" in asyncio.run(ask("How do retries work?"))
        # A reduce's synthesis request quotes the branches (dead jobs, retries...); the demo
        # answers it with its synthesis, not with whichever topic a branch mentioned first.
        from tui.threads.chat_data import SYNTHESIS_PROMPT

        branches = "### Branch 1\nQuestion: dead jobs?\n\nAnswer:\nDead jobs stay; retry them."
        assert "Synthesis of the branches" in asyncio.run(
            ask(SYNTHESIS_PROMPT.format(count=1, branches=branches))
        )
        assert "dead" in asyncio.run(ask("How are DEAD jobs stored?"))
        fallback = asyncio.run(ask("What is the weather?"))
        assert "offline demo model" in fallback and "[endpoints.local]" in fallback
    finally:
        server.stop()


def test_a_user_default_endpoint_is_kept() -> None:
    config = Config()
    config.models.default_endpoint = "work"
    server = start_demo_endpoint(config)
    server.stop()
    assert config.models.default_endpoint == "work" and "demo" in config.endpoints


def test_every_scripted_demo_reply_has_text() -> None:
    script = demo_script()
    assert script.default is not None and len(script.replies) >= 6
    assert all(reply.text and reply.keep and reply.match for reply in script.replies)


def test_the_server_runs_from_the_command_line() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tui.model.scripted_server", "--demo"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("OPENAI_BASE_URL=http://127.0.0.1:")
        import urllib.request

        with urllib.request.urlopen(line.split("=", 1)[1].strip() + "/models", timeout=5) as response:
            assert b"loupe-demo" in response.read()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_a_bad_script_file_is_a_clear_error(tmp_path) -> None:
    bad = tmp_path / "script.json"
    bad.write_text('{"replies": [{"txt": "typo"}]}')
    result = subprocess.run(
        [sys.executable, "-m", "tui.model.scripted_server", "--script", str(bad)],
        capture_output=True, text=True, timeout=30,
    )
    assert result.returncode == 1
    assert "unknown reply keys ['txt']" in result.stderr


def test_the_demo_answers_the_question_not_the_attached_artifact(tmp_path) -> None:
    from tui.demo import ensure_demo_workspace
    from tui.references import expand_for_model
    from tui.threads import Role, Status, ThreadStore
    from tui.threads.reply import reply

    tasks_dir = ensure_demo_workspace() / ".loupe" / "tasks"
    config = Config()
    server = start_demo_endpoint(config)
    for scripted in server._queue + [server._script.default]:
        scripted.tokens_per_second = None
    try:
        client = ModelClient(resolve_endpoint(config, environ={}), max_retries=0)
        with ThreadStore(tmp_path / "threads.sqlite") as store:
            thread = store.create_thread("demo")

            def ask(**options: object) -> str:
                async def go() -> str:
                    try:
                        return (await reply(store, client, thread.id, expand=expand, **options)).content
                    finally:
                        await client.aclose()

                return asyncio.run(go())

            def expand(message) -> str:  # what the app sends for an @reference
                return expand_for_model(message.content, tasks_dir).text

            # The design discussion mentions dead jobs and jitter before anything else.
            question = store.append(thread.id, Role.USER, "How would @retry-backoff/design claim jobs on Postgres?")
            assert "dead" in expand(question) and "jitter" in expand(question)
            first = ask()
            assert "SKIP LOCKED" in first
            # Regenerate (a sibling under the same question) gives the next scripted answer.
            second = ask(parent_id=question.id)
            assert "SKIP LOCKED" in second and second != first
            assert ask(parent_id=question.id) == first
            assert {m.status for m in store.siblings(store.history(thread.id)[-1].id)} == {Status.COMPLETE}
            # With nothing else to go on, the reference's own words still count.
            store.append(thread.id, Role.USER, "Summarise @retry-backoff/design")
            assert "The retry decision lives" in ask()
            store.append(thread.id, Role.USER, "Now sketch it for @retry-backoff/plan")
            assert "schedule_retry" in ask()
    finally:
        server.stop()


def test_every_scripted_demo_reply_has_another_take() -> None:
    script = demo_script()
    for reply in [*script.replies, script.default]:
        assert reply.variants and all(v.strip() and v != reply.text for v in reply.variants)

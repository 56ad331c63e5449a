"""A reply's size: saving it as it streams costs writes in proportion to its length, and a
reply that never ends is stopped at `[models] max_reply_chars`, saved, and says why."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.model_server import Reply, ToolCallSpec
from tui import cli
from tui.model.client import ModelClient
from tui.model.scripted_server import ScriptedServer
from tui.threads import Status, ThreadStore
from tui.threads.reply import reply


def _bytes_written() -> int:
    """Bytes this process has passed to write(2) and friends (the kernel counts them)."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    raise AssertionError("/proc/self/io has no wchar line")


def _save_a_reply(path: Path, length: int, delta: int = 256) -> int:
    """Bytes written to stream a reply of `length` characters, saving after every delta."""
    with ThreadStore(path) as store:
        thread = store.create_thread("big")
        store.append(thread.id, "user", "write a lot")
        reply = store.start_reply(thread.id, model="m", endpoint="e")
        writer = store.stream_writer(reply.id, interval=0)
        before = _bytes_written()
        for number in range(length // delta):
            writer.append(f"{number:08d}".ljust(delta, "."))
        final = writer.finish(Status.COMPLETE)
        written = _bytes_written() - before
    assert len(final.content) == length
    return written


def test_saving_a_streaming_reply_costs_writes_linear_in_its_length(tmp_path: Path) -> None:
    small = _save_a_reply(tmp_path / "small.sqlite", 32 * 1024)
    large = _save_a_reply(tmp_path / "large.sqlite", 4 * 32 * 1024)
    # Four times the text, four times the saves: linear is ~4x the bytes; rewriting the whole
    # reply at each save is ~16x.
    assert large < 6 * small, f"{small} bytes for 32 KiB, {large} bytes for 128 KiB"


def test_partial_text_is_read_back_whole_while_streaming(tmp_path: Path) -> None:
    with ThreadStore(tmp_path / "threads.sqlite") as store:
        thread = store.create_thread("t")
        store.append(thread.id, "user", "q")
        reply = store.start_reply(thread.id, model="m", endpoint="e")
        writer = store.stream_writer(reply.id, interval=0)
        parts = [f"part {n}; " for n in range(300)]
        for part in parts:
            writer.append(part)
        assert store.message(reply.id).content == "".join(parts)
        assert store.history(thread.id)[-1].content == "".join(parts)
        with ThreadStore(tmp_path / "threads.sqlite", recover=False) as reader:
            assert reader.message(reply.id).content == "".join(parts)
        assert writer.finish(Status.COMPLETE).content == "".join(parts)
        assert store.message(reply.id).content == "".join(parts)


def test_a_reply_past_max_reply_chars_is_stopped_saved_and_says_why(
    capsys: pytest.CaptureFixture[str], model_server: ScriptedServer, model_config: Path
) -> None:
    text = model_config.read_text(encoding="utf-8")
    model_config.write_text(text.replace("[models]\n", "[models]\nmax_reply_chars = 1000\n"), encoding="utf-8")
    # 4,000 characters, then a long silence: only a reply that stops itself ends quickly.
    model_server.script(Reply(chunks=[f"{n:03d}".ljust(100, "~") for n in range(40)], hang_after=20, hang=60))
    code = cli.main(["thread", "new", "endless"])
    thread_id = capsys.readouterr().out.strip()
    assert code == 0
    code = cli.main(["thread", "send", thread_id, "say everything"])
    out, err = capsys.readouterr()
    assert code == 1
    assert "max_reply_chars" in err and "1,000" in err
    with ThreadStore() as store:
        saved = store.history(thread_id)[-1]
    assert saved.status is Status.ERROR
    assert saved.content == "".join(f"{n:03d}".ljust(100, "~") for n in range(10))
    assert out.strip() == saved.content
    assert "max_reply_chars" in (saved.error or "")
    model_server.wait_for_disconnect()


async def test_tool_call_arguments_count_towards_the_limit(
    tmp_path: Path, model_server: ScriptedServer, model_client: ModelClient
) -> None:
    model_client.max_reply_chars = 1000
    model_server.script(Reply(tool_calls=[ToolCallSpec("write", {"text": "y" * 5000})]))
    with ThreadStore(tmp_path / "threads.sqlite") as store:
        thread = store.create_thread("t")
        store.append(thread.id, "user", "write it")
        message = await reply(store, model_client, thread.id)
    assert message.status is Status.ERROR and message.tool_calls is None
    assert "max_reply_chars" in (message.error or "")

"""A reply's size: saving it as it streams costs writes in proportion to its length."""

from __future__ import annotations

from pathlib import Path

from tui.threads import Status, ThreadStore


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


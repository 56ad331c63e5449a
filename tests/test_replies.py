"""The reply manager: each reply in its own thread, reporting only what the store has."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.model_server import Reply
from tests.helpers import wait_for
from tui.config import Config, EndpointConfig
from tui.events import Event, ReplyFinished, ReplyProgress, ReplyStreaming
from tui.model.scripted_server import ScriptedServer
from tui.threads import Status, ThreadStore
from tui.threads.replies import ReplyManager


@pytest.fixture
def store(tmp_path: Path) -> Iterator[ThreadStore]:
    with ThreadStore(tmp_path / "threads.sqlite") as opened:
        yield opened


def config_for(server: ScriptedServer) -> Config:
    config = Config()
    config.endpoints["scripted"] = EndpointConfig(base_url=server.base_url, api_key_env="", model="scripted-model")
    config.models.max_retries = 0
    return config


class Recorder:
    """The sink: records each event with what the store held when it was emitted."""

    def __init__(self, store: ThreadStore) -> None:
        self.store = store
        self.events: list[Event] = []
        self.stored: list[str] = []
        self.threads: set[str] = set()

    def __call__(self, event: Event) -> None:
        self.threads.add(threading.current_thread().name)
        if isinstance(event, ReplyProgress):
            self.stored.append(self.store.message(event.message_id).content)
        self.events.append(event)

    def finished(self) -> list[ReplyFinished]:
        return [e for e in self.events if isinstance(e, ReplyFinished)]


def question(store: ThreadStore) -> str:
    thread = store.create_thread("t", endpoint="scripted", model="scripted-model")
    store.append(thread.id, "user", "Talk")
    return thread.id


def test_a_reply_reports_only_saved_text_from_its_own_thread(store: ThreadStore, model_server: ScriptedServer) -> None:
    model_server.script(Reply(text="word " * 60, tokens_per_second=200))
    recorder = Recorder(store)
    manager = ReplyManager(store, config_for(model_server), recorder)
    thread_id = question(store)
    manager.start(thread_id, endpoint="scripted")
    assert manager.running_threads() == {thread_id}
    wait_for(lambda: recorder.finished(), "the reply to finish")
    [finished] = recorder.finished()
    assert finished.message is not None and finished.message.status is Status.COMPLETE
    assert finished.message.content == "word " * 60
    assert isinstance(recorder.events[0], ReplyStreaming) and recorder.events[-1] is finished
    progress = [e for e in recorder.events if isinstance(e, ReplyProgress)]
    assert len(progress) >= 3  # saved and shown several times while it streamed
    for event, stored in zip(progress, recorder.stored):
        assert stored.startswith(event.content), "an event carried text the store did not have"
    contents = [e.content for e in progress]
    assert contents == sorted(contents, key=len) and contents[-1] == "word " * 60
    assert recorder.threads == {f"loupe-reply-{thread_id[:8]}"}
    assert manager.running_threads() == set()


def test_cancel_closes_the_stream_and_saves_the_partial_reply(
    store: ThreadStore, model_server: ScriptedServer
) -> None:
    model_server.script(Reply(text="word " * 400, tokens_per_second=40))
    recorder = Recorder(store)
    manager = ReplyManager(store, config_for(model_server), recorder)
    thread_id = question(store)
    run = manager.start(thread_id, endpoint="scripted")
    # Two words saved: the first save can come with the first word alone (it is due at once
    # when the connection took longer than the save interval, as on a busy machine).
    wait_for(lambda: any(isinstance(e, ReplyProgress) and e.content.startswith("word word")
                         for e in recorder.events), "some text")
    assert manager.cancel(thread_id)
    wait_for(lambda: recorder.finished(), "the reply to end")
    model_server.wait_for_disconnect()
    assert run.message_id is not None
    cancelled = store.message(run.message_id)
    assert cancelled.status is Status.CANCELLED and cancelled.content.startswith("word word")
    assert recorder.finished() == [ReplyFinished(thread_id, None)]


def test_shutdown_cancels_every_reply_and_waits_for_it(store: ThreadStore, model_server: ScriptedServer) -> None:
    model_server.script(Reply(text="word " * 400, tokens_per_second=40), Reply(text="word " * 400, tokens_per_second=40))
    recorder = Recorder(store)
    manager = ReplyManager(store, config_for(model_server), recorder)
    runs = [manager.start(question(store), endpoint="scripted") for _ in range(2)]
    wait_for(lambda: all(run.saved for run in runs), "both replies streaming")
    manager.shutdown()
    assert all(run.thread is not None and not run.thread.is_alive() for run in runs)
    assert [store.message(run.message_id).status for run in runs if run.message_id] == [Status.CANCELLED] * 2
    assert manager.running_threads() == set()

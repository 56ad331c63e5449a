"""loupe's data folder and what it keeps there are readable by their owner only, whatever
the umask, and files an older loupe left readable are narrowed when loupe opens them."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from tui import locations
from tui.sessions.store import SessionStore
from tui.threads import ThreadStore, Status


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def open_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


@pytest.fixture
def fresh_data_dir(loupe_dirs: dict[str, Path], monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data folder that does not exist yet, so loupe creates it."""
    data = loupe_dirs["data"] / "not-yet" / "loupe"
    monkeypatch.setenv("LOUPE_DATA_DIR", str(data))
    return data


def test_stores_create_a_private_data_folder_and_private_files(open_umask: None, fresh_data_dir: Path) -> None:
    with ThreadStore() as store:
        thread = store.create_thread("t")
        store.append(thread.id, "user", "hi")
        reply = store.start_reply(thread.id, model="m", endpoint="e")
        store.finish(reply.id, Status.COMPLETE, content="hello")
        files = sorted(fresh_data_dir.glob("threads.sqlite*"))
        assert {p.name for p in files} >= {"threads.sqlite", "threads.sqlite-wal", "threads.sqlite-shm"}
        assert {p.name: mode(p) for p in files if p.is_file()} == {p.name: 0o600 for p in files if p.is_file()}
    SessionStore()
    assert mode(fresh_data_dir) == 0o700
    assert mode(locations.data_dir() / "sessions.sqlite") == 0o600
    for path in fresh_data_dir.rglob("*"):
        assert mode(path) & 0o077 == 0, f"{path} is {oct(mode(path))}"


def test_what_an_older_loupe_left_readable_is_narrowed_on_open(open_umask: None, loupe_dirs: dict[str, Path]) -> None:
    data = loupe_dirs["data"]
    with ThreadStore() as store:
        store.create_thread("t")
    SessionStore()
    session = data / "sessions" / "abc123"
    session.mkdir(parents=True)
    (session / "output.log").write_text("what the agent printed\n")
    (session / "run.sh").write_text("#!/bin/sh\n")
    (session / "run.sh").chmod(0o755)
    for path in [data, data / "sessions", session, *data.glob("*.sqlite*"), *session.iterdir()]:
        path.chmod(0o755 if path.is_dir() or path.name == "run.sh" else 0o644)

    with ThreadStore():
        SessionStore()
    assert mode(data) == 0o700
    assert mode(data / "threads.sqlite") == 0o600 and mode(data / "sessions.sqlite") == 0o600
    assert (mode(data / "sessions"), mode(session)) == (0o700, 0o700)
    assert mode(session / "output.log") == 0o600
    assert mode(session / "run.sh") == 0o700  # still runnable by its owner


def test_a_store_outside_the_data_folder_leaves_its_folder_alone(open_umask: None, tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)
    with ThreadStore(shared / "threads.sqlite"):
        pass
    assert mode(shared) == 0o755
    assert mode(shared / "threads.sqlite") == 0o600

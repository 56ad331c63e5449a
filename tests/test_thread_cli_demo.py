"""`loupe thread --demo`: the demo workspace's own threads, answered by its offline model."""

from __future__ import annotations

import subprocess
import sys

from tui import cli
from tui.demo import demo_thread_store, ensure_demo_workspace
from tui.threads import ThreadStore
from tui.workspace import open_workspace


def loupe(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tui", "thread", *argv], capture_output=True,
                          text=True, timeout=120)


def test_the_cli_reaches_the_threads_the_demo_app_shows(capsys) -> None:
    assert cli.main(["thread", "--demo", "list"]) == 1
    assert "no demo workspace yet; `loupe --demo` creates it" in capsys.readouterr().err
    root = ensure_demo_workspace()
    # The store the app opens in the demo (ThreadServices: the workspace's data folder).
    app_store = open_workspace(root, is_demo=True).data_dir / "threads.sqlite"
    assert demo_thread_store() == app_store
    with ThreadStore(app_store) as store:
        thread = store.create_thread("asked in the demo", endpoint="demo", model="loupe-demo")
    assert thread.id not in loupe("list").stdout
    for argv in (["--demo", "list"], ["list", "--demo"]):
        listed = loupe(*argv)
        assert listed.returncode == 0 and "asked in the demo" in listed.stdout, argv
    sent = loupe("send", thread.id, "--demo", "How do retries work?")
    assert sent.returncode == 0, sent.stderr
    assert "The retry decision lives **in the worker**" in sent.stdout
    with ThreadStore(app_store) as store:
        assert [m.model for m in store.history(thread.id)] == [None, "loupe-demo"]

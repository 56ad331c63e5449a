"""A folder swapped with a symlink to an outside folder while the agent's file tools work
(rename(2) with RENAME_EXCHANGE, in a loop, from another thread) never lets a read or a write
out of the working directory, and never crashes a tool."""

from __future__ import annotations

import ctypes
import json
import os
import platform
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tui.agent.paths import Workspace
from tui.agent.tools import Toolbox

AT_FDCWD = -100
RENAME_EXCHANGE = 2
# renameat2's number where glibc is too old to wrap it.
_SYSCALLS = {"x86_64": 316, "aarch64": 276}


def _exchanger() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    libc = ctypes.CDLL(None, use_errno=True)
    if hasattr(libc, "renameat2"):
        function = libc.renameat2
        function.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
        return lambda a, b: function(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE)
    number = _SYSCALLS.get(platform.machine())
    if number is None:
        return None
    libc.syscall.restype = ctypes.c_long
    return lambda a, b: libc.syscall(number, AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE)


def exchange_or_skip(first: Path, second: Path) -> ctypes._CFuncPtr:  # type: ignore[name-defined]
    if sys.platform != "linux":
        pytest.skip("renameat2(RENAME_EXCHANGE) is Linux-only")
    exchange = _exchanger()
    if exchange is None:
        pytest.skip(f"no renameat2 in libc and no known syscall number on {platform.machine()}")
    if exchange(bytes(first), bytes(second)) != 0:
        code = ctypes.get_errno()
        pytest.skip(f"this filesystem cannot exchange names atomically: {os.strerror(code)}")
    exchange(bytes(first), bytes(second))
    return exchange


@contextmanager
def racing(first: Path, second: Path) -> Iterator[list[int]]:
    """Swap `first` and `second` as fast as possible until the block ends; yields the count."""
    exchange = exchange_or_skip(first, second)
    stop = threading.Event()
    swaps = [0]

    def race() -> None:
        a, b = bytes(first), bytes(second)
        while not stop.is_set():
            if exchange(a, b) == 0:
                swaps[0] += 1

    thread = threading.Thread(target=race, name="renameat2-racer")
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    thread.start()
    try:
        yield swaps
    finally:
        stop.set()
        thread.join()
        sys.setswitchinterval(interval)
        if swaps[0] % 2:
            exchange(bytes(first), bytes(second))


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    """The working directory (`sub/` inside, `link` -> an outside folder) and the outside."""
    root = tmp_path / "work"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "file.txt").write_text("inside needle\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "file.txt").write_text("OUTSIDE needle\n")
    (outside / "only-outside.txt").write_text("OUTSIDE needle\n")
    (root / "link").symlink_to(outside)
    return root, outside


def _patch(number: int) -> str:
    return (
        f"*** Begin Patch\n*** Add File: sub/new-{number}.txt\n+made {number}\n"
        "*** Update File: sub/file.txt\n-inside needle\n+inside needle\n*** End Patch\n"
    )


CALLS = {
    "read_file": lambda n: {"file_path": "sub/file.txt"},
    "list_dir": lambda n: {"dir_path": "sub"},
    "grep_files": lambda n: {"pattern": "needle", "path": "sub"},
    "apply_patch": lambda n: {"input": _patch(n)},
}


@pytest.mark.parametrize("tool", list(CALLS))
def test_a_swapped_symlink_never_leads_a_tool_outside(tree: tuple[Path, Path], tool: str) -> None:
    root, outside = tree
    box = Toolbox(Workspace(root))
    worked = 0
    with racing(root / "sub", root / "link") as swaps:
        for number in range(1000):
            outcome = box.run(tool, json.dumps(CALLS[tool](number)))
            assert "OUTSIDE" not in outcome.content and "only-outside" not in outcome.content
            assert str(outside) not in outcome.content
            worked += outcome.ok
    assert swaps[0] > 100, "the racer hardly ran; the test proved nothing"
    assert worked > 0, "every call failed; the tool is no use while a tree changes"
    assert sorted(os.listdir(outside)) == ["file.txt", "only-outside.txt"]
    assert (outside / "file.txt").read_text() == "OUTSIDE needle\n"

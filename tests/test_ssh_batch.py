"""Batches: several commands in one round trip, their outputs split exactly."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.fixtures.sshd import Sshd
from tui.remote import batch
from tui.remote.errors import BatchOutputError
from tui.remote.shell import Command

# Outputs that would fool a separator: the framing's own markers, no final newline, NULs,
# a fake size line, and bytes that are not UTF-8.
TRICKY: list[Command] = [
    ["printf", "\x1eloupe-batch\x1e 9 9\n\x1eloupe-sizes\x1e\n99 0o\n"],
    ["printf", "no newline"],
    ["printf", "a\\0b\\0"],
    "printf 'out'; printf 'err' >&2; exit 7",
    "cd /; exit 0",
    ["pwd"],
    ["cat"],
    ["sh", "-c", "printf '\\377\\376'"],
    ["no-such-command-here"],
]


def check_tricky(results: list) -> None:  # type: ignore[type-arg]
    assert [r.returncode for r in results] == [0, 0, 0, 7, 0, 0, 0, 0, 127]
    assert results[0].stdout == "\x1eloupe-batch\x1e 9 9\n\x1eloupe-sizes\x1e\n99 0o\n"
    assert results[1].stdout == "no newline"
    assert results[2].stdout == "a\0b\0"
    assert (results[3].stdout, results[3].stderr) == ("out", "err")
    assert results[5].stdout != "/\n"  # the script's cd ended with its own subshell
    assert results[6].stdout == ""  # stdin is /dev/null: cat ends at once
    assert results[7].stdout == "\ufffd\ufffd"
    assert "no-such-command-here" in results[8].stderr
    assert results[3].command == "printf 'out'; printf 'err' >&2; exit 7"
    assert results[5].command == ("pwd",)


def test_the_framing_splits_outputs_exactly_with_a_local_shell(tmp_path: Path) -> None:
    script = batch.script(TRICKY)
    done = subprocess.run(["sh", "-c", script], cwd=tmp_path, capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr
    check_tricky(batch.parse(done.stdout, TRICKY))
    assert list(tmp_path.iterdir()) == []


def test_a_cut_short_answer_is_an_error_not_a_wrong_split(tmp_path: Path) -> None:
    commands: list[Command] = [["echo", "one"], ["echo", "two"]]
    whole = subprocess.run(["sh", "-c", batch.script(commands)], capture_output=True, check=True).stdout
    assert [r.stdout for r in batch.parse(whole, commands)] == ["one\n", "two\n"]
    for cut in (len(whole) - 1, whole.find(batch.SIZES) + 3, whole.find(b"\n") + 2, 5):
        with pytest.raises(BatchOutputError):
            batch.parse(whole[:cut], commands)
    with pytest.raises(BatchOutputError, match="2 exit statuses for 3 commands"):
        batch.parse(whole, [*commands, ["echo"]])


def test_a_batch_is_one_round_trip(sshd: Sshd) -> None:
    with sshd.connection() as host:
        host.run(["true"])
        before = sshd.server.sessions_started()
        results = host.batch(TRICKY)
        assert sshd.server.sessions_started() - before == 1
        assert host.round_trips == 2
        check_tricky(results)
        assert sshd.server.logins() == 1
        assert host.batch([]) == []
        assert sshd.server.sessions_started() - before == 1


def test_a_poll_sized_batch_reads_tmux_and_files_in_one_round_trip(sshd: Sshd, tmux_socket: str,
                                                                  tmp_path: Path) -> None:
    names = [f"s{number}" for number in range(8)]
    for name in names:
        subprocess.run(["tmux", "-L", tmux_socket, "new-session", "-d", "-s", name, "-x", "80", "-y", "10",
                        f"printf 'screen of {name}'; exec cat"], check=True)
        (tmp_path / f"{name}.json").write_text(f'{{"state": "idle", "name": "{name}"}}')
    poll: list[Command] = [["tmux", "-L", tmux_socket, "list-panes", "-a", "-F", "#{session_name}"]]
    poll += [["tmux", "-L", tmux_socket, "capture-pane", "-p", "-t", f"={name}:"] for name in names]
    poll += [["cat", str(tmp_path / f"{name}.json")] for name in names]
    with sshd.connection() as host:
        host.connect()
        before = sshd.server.sessions_started()
        results = host.batch(poll)
        assert sshd.server.sessions_started() - before == 1
    assert sorted(results[0].stdout.split()) == names
    for index, name in enumerate(names):
        assert results[1 + index].stdout.startswith(f"screen of {name}")
        assert results[9 + index].stdout == f'{{"state": "idle", "name": "{name}"}}'

"""Several commands in one round trip: the script the host runs, and reading its answer.

Each command's stdout and stderr go to files in a scratch folder on the host; when all have
run, the script prints a header with every exit status, then `wc -c` of every file, then
the files themselves. The outputs are cut by those byte counts, never by a separator, so
no output (an agent's screen can show anything) can shift where the next one starts.

    #loupe-batch# 0 1            exit statuses, in order
    12 0o                        wc -c: bytes per file
    0 0e
    ...
    #loupe-sizes#
    <0o><0e><1o><1e>...          the files, back to back

(`#` stands for the control character 0x1e.) Every command runs in its own subshell with
stdin from /dev/null, so a script that exits or changes folder ends only itself. The
scratch folder is removed when the script ends, also on a hang-up.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from tui.remote.errors import BatchOutputError
from tui.remote.shell import Command, Completed, join

HEADER = b"\x1eloupe-batch\x1e"
SIZES = b"\x1eloupe-sizes\x1e\n"

_PRELUDE = """\
d=$(mktemp -d) || exit 125
trap 'rm -rf "$d"' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM"""


def script(commands: Sequence[Command]) -> str:
    """The POSIX sh script that runs `commands` one after another and frames their outputs."""
    lines = [_PRELUDE]
    for index, command in enumerate(commands):
        inner = "eval " + shlex.quote(command) if isinstance(command, str) else "exec " + join(command)
        lines.append(f'({inner}) >"$d/{index}o" 2>"$d/{index}e" </dev/null; r{index}=$?')
    statuses = " ".join(f"$r{index}" for index in range(len(commands)))
    files = " ".join(_files(len(commands)))
    lines.append(f"printf '\\036loupe-batch\\036 %s\\n' \"{statuses}\"")
    lines.append(f"cd \"$d\" && wc -c {files} && printf '\\036loupe-sizes\\036\\n' && cat {files}")
    return "\n".join(lines) + "\n"


def parse(stdout: bytes, commands: Sequence[Command]) -> list[Completed]:
    """Split the batch's answer into one `Completed` per command, in order."""
    start = stdout.find(HEADER)
    if start < 0:
        raise BatchOutputError("the host's answer to a batch has no header; the batch did not run")
    header_end = stdout.find(b"\n", start)
    sizes_at = stdout.find(SIZES, start)
    if header_end < 0 or sizes_at < 0:
        raise BatchOutputError("the host's answer to a batch was cut short before its sizes")
    statuses = stdout[start + len(HEADER):header_end].split()
    if len(statuses) != len(commands):
        raise BatchOutputError(f"the batch reported {len(statuses)} exit statuses for {len(commands)} commands")
    sizes = _sizes(stdout[header_end + 1:sizes_at])
    data = stdout[sizes_at + len(SIZES):]
    names = _files(len(commands))
    missing = [name for name in names if name not in sizes]
    if missing:
        raise BatchOutputError(f"the batch's size list lacks {', '.join(missing)}")
    if len(data) < sum(sizes[name] for name in names):
        raise BatchOutputError("the host's answer to a batch was cut short in its outputs")
    pieces: dict[str, bytes] = {}
    offset = 0
    for name in names:
        pieces[name] = data[offset:offset + sizes[name]]
        offset += sizes[name]
    return [
        Completed(
            command if isinstance(command, str) else tuple(command),
            int(statuses[index]),
            pieces[f"{index}o"].decode("utf-8", errors="replace"),
            pieces[f"{index}e"].decode("utf-8", errors="replace"),
        )
        for index, command in enumerate(commands)
    ]


def _files(count: int) -> list[str]:
    return [name for index in range(count) for name in (f"{index}o", f"{index}e")]


def _sizes(listing: bytes) -> dict[str, int]:
    """`wc -c` lines ("  12 0o"); the "total" line and any padding are ignored."""
    sizes: dict[str, int] = {}
    for line in listing.decode("ascii", errors="replace").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[0].isdigit():
            sizes[parts[1]] = int(parts[0])
    return sizes

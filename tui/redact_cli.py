"""`loupe redact`: copy stdin to a file (or stdout) with secrets hidden.

loupe runs it for each session's output log (see `tui.sessions.output_log`); it also works
in a pipe: `env | loupe redact`.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

SUMMARY = "copy stdin with API keys and tokens hidden (loupe logs sessions through it)"

AGENT_DOC = """\
## loupe redact

`COMMAND | loupe redact` prints COMMAND's output with the values of API keys and tokens
(`*_API_KEY`, `*_TOKEN`, the endpoints' `api_key_env` variables) and URL passwords hidden.
Use it before pasting output that may hold secrets (`env`, a config dump) anywhere.
"""


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="loupe redact", description=SUMMARY)
    parser.add_argument("--output", type=Path, help="append to this file (created 0600) instead of stdout")
    parser.add_argument("--secrets-from", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.output is None:
        if args.secrets_from is not None:
            parser.error("--secrets-from needs --output")
        return _to_stdout()
    from tui.sessions.output_log import run_filter

    return run_filter(args.output, args.secrets_from)


def _to_stdout() -> int:
    from tui import config
    from tui.secrets import StreamRedactor, secret_values
    from tui.workspace import find_repo_root

    # The endpoints' api_key_env names are secrets too: loading the config records them.
    config.load(find_repo_root(Path.cwd()))
    stream = StreamRedactor(secret_values())
    out = sys.stdout.buffer
    while chunk := os.read(sys.stdin.fileno(), 65536):
        out.write(stream.feed(chunk))
        out.flush()
    out.write(stream.close())
    out.flush()
    return 0

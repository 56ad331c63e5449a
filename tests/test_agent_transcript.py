"""The terminal transcript: streamed text, one line per tool call, capped shell output."""

from __future__ import annotations

import io
import json

import pytest

from tui.agent.tools import ToolOutcome
from tui.agent.transcript import Transcript, wants_colour


def test_transcript_reads_like_a_session() -> None:
    out = io.StringIO()
    t = Transcript(out, colour=False)
    t.user("Fix the test")
    t.assistant_delta("Let me ")
    t.assistant_delta("look.")
    t.tool_call("shell", json.dumps({"command": ["pytest", "-q"]}))
    t.tool_output("caf\u00e9 ".encode()[:4])  # a UTF-8 character split across chunks
    t.tool_output("caf\u00e9 ".encode()[4:] + b"ok\n")
    t.tool_result("shell", ToolOutcome("Exit code: 0", exit_code=0))
    t.tool_call("read_file", json.dumps({"file_path": "a.py"}))
    t.tool_result("read_file", ToolOutcome("\n".join(f"L{n}: x" for n in range(1, 10))))
    t.tool_call("apply_patch", json.dumps({"input": "nope"}))
    t.tool_result("apply_patch", ToolOutcome("Error: the patch must start with", ok=False))
    t.assistant_delta("Done.")
    t.assistant_done()
    t.finished("finished after 3 tool calls")
    assert out.getvalue() == (
        "› Fix the test\n"
        "Let me look.\n"
        "▸ $ pytest -q\n"
        "café ok\n"
        "  exit 0\n"
        "▸ read_file(file_path='a.py')\n"
        "  L1: x\n  L2: x\n  L3: x\n  L4: x\n  L5: x\n  L6: x\n  … 3 more lines\n"
        "▸ apply_patch\n"
        "  Error: the patch must start with\n"
        "Done.\n"
        "✓ finished after 3 tool calls\n"
    )


def test_shell_output_shown_is_capped() -> None:
    out = io.StringIO()
    t = Transcript(out, colour=False, display_cap=10)
    t.tool_call("shell", '{"command": ["yes"]}')
    for _ in range(5):
        t.tool_output(b"abcdef")
    text = out.getvalue()
    assert "abcdefabcd\n[... the rest of this output is not shown here (10 bytes shown)]" in text
    assert text.count("abcdef") == 1


def test_colour_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    assert wants_colour(Tty()) and not wants_colour(io.StringIO())
    monkeypatch.setenv("NO_COLOR", "1")
    assert not wants_colour(Tty())
    out = Tty()
    Transcript(out, colour=True).error("boom")
    assert out.getvalue() == "\x1b[1;31m✗ boom\x1b[0m\n"

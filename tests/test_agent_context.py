"""The request sent each turn: original prompt on top, old tool outputs shortened first."""

from __future__ import annotations

from pathlib import Path

from tui.agent.context import build_request, estimate_tokens, system_prompt


def call(i: int) -> dict:
    return {"id": f"call_{i}", "type": "function", "function": {"name": "shell", "arguments": "{}"}}


def conversation(outputs: list[str]) -> list[dict]:
    history = [{"role": "user", "content": "Fix the failing test please"}]
    for i, output in enumerate(outputs):
        history.append({"role": "assistant", "content": None, "tool_calls": [call(i)]})
        history.append({"role": "tool", "tool_call_id": f"call_{i}", "content": output})
    return history


def test_system_prompt_wraps_the_original_prompt_and_reads_agents_md(tmp_path: Path) -> None:
    (tmp_path / "AGENTS.md").write_text("Run `make check` before finishing.\n")
    text = system_prompt(tmp_path, "Add a --json flag", approval="on-request", shell_timeout_ms=5000)
    assert "<original-user-prompt>\nAdd a --json flag\n</original-user-prompt>" in text
    assert "Run `make check` before finishing." in text
    assert "5000 ms" in text and "declined" in text
    assert str(tmp_path) in text


def test_under_budget_nothing_changes() -> None:
    history = conversation(["ok", "fine"])
    request = build_request(history, "SYS", token_budget=10_000)
    assert request[0] == {"role": "system", "content": "SYS"}
    assert request[1:] == history


def test_old_tool_outputs_are_shortened_first_oldest_first() -> None:
    big = "\n".join(f"line {n} " + "x" * 60 for n in range(400))
    history = conversation([big, big, big, "latest result"])
    request = build_request(history, "SYS", token_budget=estimate_tokens(conversation([big, big, "", ""])) )
    tools = [m["content"] for m in request if m["role"] == "tool"]
    assert tools[0].startswith("Total output lines: 400\n[shortened")
    assert "line 0 " in tools[0] and "line 399 " in tools[0]
    assert tools[2] == big  # shortening stopped once it fit
    assert tools[3] == "latest result"
    assert history[2]["content"] == big, "the stored history is never modified"
    # Every tool call still has its result with the same id.
    assert [m["tool_call_id"] for m in request if m["role"] == "tool"] == ["call_0", "call_1", "call_2", "call_3"]


def test_tight_budget_stubs_old_outputs_but_keeps_the_prompt_and_latest_turn() -> None:
    big = "y" * 20_000
    history = conversation([big, big, "the latest output"])
    history.insert(3, {"role": "user", "content": "also keep this note " * 50})
    request = build_request(history, "SYS", token_budget=1_000)
    tools = [m["content"] for m in request if m["role"] == "tool"]
    assert tools[0].startswith("[tool output of 1 lines omitted")
    assert tools[1].startswith("Total output lines: 1\n[shortened")  # stubbing stopped once it fit
    assert tools[2] == "the latest output"
    assert estimate_tokens(request) <= 1_000
    assert request[1] == {"role": "user", "content": "Fix the failing test please"}
    assert request[4]["content"] == "also keep this note " * 50
    assert len(request) == len(history) + 1


def test_a_huge_latest_output_is_excerpted_not_dropped() -> None:
    huge = "\n".join(f"row {n}" for n in range(100_000))
    request = build_request(conversation(["small", huge]), "SYS", token_budget=2_000)
    latest = request[-1]["content"]
    assert latest.startswith("Total output lines: 100000")
    assert "row 0" in latest and "row 99999" in latest
    assert estimate_tokens(request) <= 2_000 + 200

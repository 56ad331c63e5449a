"""The tool registry: schemas, dispatch, and mistakes returned to the model as results."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tui.agent.paths import Workspace
from tui.agent.tools import TOOL_NAMES, Toolbox, describe_call


@pytest.fixture
def box(tmp_path: Path) -> Toolbox:
    (tmp_path / "f.txt").write_text("one\ntwo\n")
    return Toolbox(Workspace(tmp_path))


def call(box: Toolbox, name: str, **args: object) -> object:
    return box.run(name, json.dumps(args))


def test_schemas_name_every_tool_once(box: Toolbox) -> None:
    names = [s["function"]["name"] for s in box.schemas()]
    assert names == list(TOOL_NAMES) == ["shell", "apply_patch", "read_file", "list_dir", "grep_files"]
    for schema in box.schemas():
        assert schema["type"] == "function"
        assert schema["function"]["parameters"]["type"] == "object"


def test_each_tool_runs(box: Toolbox, tmp_path: Path) -> None:
    assert call(box, "read_file", file_path="f.txt").content == "L1: one\nL2: two"
    assert "f.txt" in call(box, "list_dir").content
    assert call(box, "grep_files", pattern="two").content == "f.txt"
    patched = call(box, "apply_patch", input="*** Begin Patch\n*** Update File: f.txt\n-two\n+2\n*** End Patch")
    assert patched.ok and patched.content.endswith("M f.txt")
    assert (tmp_path / "f.txt").read_text() == "one\n2\n"
    shell = call(box, "shell", command=["cat", "f.txt"], timeout_ms=5000)
    assert shell.ok and shell.exit_code == 0 and shell.content.endswith("Output:\none\n2\n")


def test_shell_accepts_a_string_and_routes_apply_patch(box: Toolbox, tmp_path: Path) -> None:
    assert call(box, "shell", command="echo $((1+2))").content.endswith("Output:\n3\n")
    via_shell = call(box, "shell", command=["apply_patch", "*** Begin Patch\n*** Delete File: f.txt\n*** End Patch"])
    assert via_shell.ok and not (tmp_path / "f.txt").exists()


def test_failed_command_is_not_ok(box: Toolbox) -> None:
    outcome = call(box, "shell", command=["false"])
    assert not outcome.ok and outcome.exit_code == 1


@pytest.mark.parametrize(
    ("name", "arguments", "message"),
    [
        ("read_file", "{not json", "not valid JSON"),
        ("read_file", "[1]", "must be a JSON object"),
        ("read_file", "{}", "missing the required argument 'file_path'"),
        ("read_file", '{"file_path": "f.txt", "offset": "x"}', "offset must be an integer"),
        ("list_dir", '{"dir_path": "/"}', "outside the working directory"),
        ("frobnicate", "{}", "no tool named 'frobnicate'"),
        ("shell", '{"command": []}', "non-empty array"),
        ("shell", '{"command": ["ls"], "workdir": "../"}', "outside the working directory"),
        ("apply_patch", '{"input": "nonsense"}', "must start with"),
    ],
)
def test_mistakes_come_back_as_error_results(box: Toolbox, name: str, arguments: str, message: str) -> None:
    outcome = box.run(name, arguments)
    assert not outcome.ok
    assert outcome.content.startswith("Error: ")
    assert message in outcome.content


def test_declined_shell_command_does_not_run(tmp_path: Path) -> None:
    asked: list[tuple[list[str], str]] = []

    def approve(argv: list[str], workdir: str) -> bool:
        asked.append((argv, workdir))
        return False

    (tmp_path / "sub").mkdir()
    box = Toolbox(Workspace(tmp_path), approve=approve)
    outcome = call(box, "shell", command=["touch", "made"], workdir="sub")
    assert asked == [(["touch", "made"], "sub")]
    assert not outcome.ok and "declined" in outcome.content
    assert not (tmp_path / "sub/made").exists()


def test_shell_output_is_streamed_to_the_callback(tmp_path: Path) -> None:
    seen: list[bytes] = []
    box = Toolbox(Workspace(tmp_path), on_shell_output=seen.append)
    call(box, "shell", command=["printf", "a\\nb\\n"])
    assert b"".join(seen) == b"a\nb\n"


def test_describe_call_is_one_readable_line() -> None:
    assert describe_call("shell", json.dumps({"command": ["pytest", "-q", "a b"], "workdir": "pkg"})) == (
        "$ pytest -q 'a b'   (in pkg)"
    )
    patch = "*** Begin Patch\n*** Update File: a.py\n-x\n+y\n*** Add File: b.py\n+z\n*** End Patch"
    assert describe_call("apply_patch", json.dumps({"input": patch})) == "apply_patch a.py, b.py"
    assert describe_call("read_file", '{"file_path": "a.py", "offset": 3}') == "read_file(file_path='a.py', offset=3)"
    assert describe_call("read_file", "{oops") == "read_file (unparsable arguments)"

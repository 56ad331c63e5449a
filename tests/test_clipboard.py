"""The system clipboard: the program found per platform, the text handed over exactly."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tui.clipboard import ClipboardError, copy_to_system, system_copy_command


def _program(folder: Path, name: str, body: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_no_display_means_no_system_clipboard(tmp_path: Path) -> None:
    _program(tmp_path, "xclip", "exit 0\n")
    env = {"PATH": str(tmp_path)}
    assert system_copy_command(env) is None
    assert copy_to_system("x", env) is False


def test_text_reaches_the_clipboard_program_byte_for_byte(tmp_path: Path) -> None:
    out = tmp_path / "clip.txt"
    _program(tmp_path, "xclip", f'/bin/cat > "{out}"\n')
    env = {"PATH": str(tmp_path), "DISPLAY": ":0"}
    text = "line one\n  ünïcode ␛ and [markup]\n"
    assert system_copy_command(env) == [str(tmp_path / "xclip"), "-selection", "clipboard"]
    assert copy_to_system(text, env) is True
    assert out.read_text() == text


def test_a_failing_program_is_a_clear_error(tmp_path: Path) -> None:
    _program(tmp_path, "wl-copy", "echo 'no compositor' >&2; exit 1\n")
    env = {"PATH": str(tmp_path), "WAYLAND_DISPLAY": "wayland-0"}
    with pytest.raises(ClipboardError, match="wl-copy"):
        copy_to_system("x", env)

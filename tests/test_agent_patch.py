"""apply_patch: codex's `*** Begin Patch` format, applied atomically inside the workspace."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tui.agent.apply_patch import apply_patch
from tui.agent.errors import PatchError
from tui.agent.paths import Workspace


def patch(*lines: str) -> str:
    return "\n".join(["*** Begin Patch", *lines, "*** End Patch"]) + "\n"


def tree(root: Path) -> dict[str, bytes]:
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    root = tmp_path / "work"
    root.mkdir()
    return Workspace(root)


def test_add_file_creates_parents_and_ends_with_newline(ws: Workspace) -> None:
    result = apply_patch(patch("*** Add File: pkg/new.py", "+def f():", "+    return 1"), ws)
    assert (ws.root / "pkg/new.py").read_text() == "def f():\n    return 1\n"
    assert result.changes == [("A", "pkg/new.py")]
    assert result.for_model() == "Success. Updated the following files:\nA pkg/new.py"


def test_delete_file(ws: Workspace) -> None:
    (ws.root / "old.txt").write_text("bye\n")
    result = apply_patch(patch("*** Delete File: old.txt"), ws)
    assert not (ws.root / "old.txt").exists()
    assert result.changes == [("D", "old.txt")]


def test_move_with_changes_keeps_mode(ws: Workspace) -> None:
    src = ws.root / "a.sh"
    src.write_text("#!/bin/sh\necho one\necho two\n")
    src.chmod(0o755)
    apply_patch(
        patch("*** Update File: a.sh", "*** Move to: bin/b.sh", "@@", " #!/bin/sh", "-echo one", "+echo ONE"),
        ws,
    )
    dest = ws.root / "bin/b.sh"
    assert not src.exists()
    assert dest.read_text() == "#!/bin/sh\necho ONE\necho two\n"
    assert dest.stat().st_mode & 0o777 == 0o755


def test_pure_rename(ws: Workspace) -> None:
    (ws.root / "x.txt").write_text("same\n")
    apply_patch(patch("*** Update File: x.txt", "*** Move to: y.txt"), ws)
    assert tree(ws.root) == {"y.txt": b"same\n"}


def test_several_hunks_and_chunks(ws: Workspace) -> None:
    (ws.root / "m.py").write_text(
        "import os\n\n\nclass A:\n    def run(self):\n        return 1\n\n\nclass B:\n    def run(self):\n        return 1\n"
    )
    (ws.root / "gone.txt").write_text("x\n")
    apply_patch(
        patch(
            "*** Update File: m.py",
            "@@",
            "-import os",
            "+import sys",
            "@@ class B:",
            "     def run(self):",
            "-        return 1",
            "+        return 2",
            "*** Delete File: gone.txt",
            "*** Add File: notes.md",
            "+# notes",
        ),
        ws,
    )
    assert (ws.root / "m.py").read_text() == (
        "import sys\n\n\nclass A:\n    def run(self):\n        return 1\n\n\nclass B:\n    def run(self):\n        return 2\n"
    )
    assert set(tree(ws.root)) == {"m.py", "notes.md"}


def test_repeated_at_at_headers_narrow_the_position(ws: Workspace) -> None:
    (ws.root / "c.py").write_text(
        "class A:\n    def f(self):\n        x = 1\n"
        "class B:\n    def f(self):\n        x = 1\n"
    )
    apply_patch(
        patch("*** Update File: c.py", "@@ class B:", "@@     def f(self):", "-        x = 1", "+        x = 2"), ws
    )
    assert (ws.root / "c.py").read_text().endswith("class B:\n    def f(self):\n        x = 2\n")
    assert "class A:\n    def f(self):\n        x = 1\n" in (ws.root / "c.py").read_text()


def test_whitespace_drift_and_typographic_punctuation_still_match(ws: Workspace) -> None:
    (ws.root / "w.py").write_text('def f():   \n\tmsg = "it\u2019s \u2014 done"\n    return msg\n')
    apply_patch(
        patch(
            "*** Update File: w.py",
            " def f():",
            "-    msg = \"it's - done\"",
            "+    msg = 'fixed'",
            "     return msg",
        ),
        ws,
    )
    assert (ws.root / "w.py").read_text() == "def f():   \n    msg = 'fixed'\n    return msg\n"


def test_end_of_file_anchor_prefers_the_last_occurrence(ws: Workspace) -> None:
    (ws.root / "e.txt").write_text("end\nmiddle\nend\n")
    apply_patch(patch("*** Update File: e.txt", "@@", "-end", "+END", "*** End of File"), ws)
    assert (ws.root / "e.txt").read_text() == "end\nmiddle\nEND\n"


def test_crlf_and_non_utf8_bytes_survive(ws: Workspace) -> None:
    (ws.root / "dos.txt").write_bytes(b"one\r\ncaf\xe9\r\ntwo\r\n")
    apply_patch(patch("*** Update File: dos.txt", "-two", "+three"), ws)
    assert (ws.root / "dos.txt").read_bytes() == b"one\r\ncaf\xe9\r\nthree\r\n"


def test_heredoc_wrapper_and_trailing_blank_context_are_tolerated(ws: Workspace) -> None:
    (ws.root / "t.txt").write_text("a\nb\n")
    text = "<<'EOF'\n*** Begin Patch\n*** Update File: t.txt\n a\n-b\n+c\n\n*** End Patch\nEOF\n"
    apply_patch(text, ws)
    assert (ws.root / "t.txt").read_text() == "a\nc\n"


def test_failing_hunk_leaves_every_file_untouched(ws: Workspace) -> None:
    (ws.root / "keep.py").write_text("a = 1\nb = 2\n")
    (ws.root / "doomed.txt").write_text("still here\n")
    before = tree(ws.root)
    with pytest.raises(PatchError) as caught:
        apply_patch(
            patch(
                "*** Update File: keep.py",
                "-a = 1",
                "+a = 10",
                "*** Delete File: doomed.txt",
                "*** Add File: brand/new.txt",
                "+hello",
                "*** Update File: keep.py",
                "@@",
                "-c = 3",
                "+c = 30",
            ),
            ws,
        )
    message = str(caught.value)
    assert message.startswith("hunk 4 (Update File: keep.py)")
    assert "c = 3" in message and "Nothing was changed" in message
    assert tree(ws.root) == before
    assert not (ws.root / "brand").exists()


def test_chunks_out_of_order_get_a_hint(ws: Workspace) -> None:
    (ws.root / "o.txt").write_text("one\ntwo\nthree\n")
    with pytest.raises(PatchError, match="appear earlier in the file"):
        apply_patch(patch("*** Update File: o.txt", "@@", "-three", "+3", "@@", "-one", "+1"), ws)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "must start with"),
        ("*** Begin Patch\n*** Add File: a\n+x\n", "must end with"),
        (patch(), "no changes"),
        (patch("*** Update File: a.txt"), "has no changes"),
        (patch("*** Frobnicate: a.txt"), "expected '*** Add File: '"),
        (patch("*** Update File: a.txt", "@@", "oops"), "unexpected line"),
        (patch("*** Update File: missing.txt", "-x", "+y"), "does not exist; use '*** Add File:'"),
        (patch("*** Delete File: missing.txt"), "cannot be deleted"),
        (patch("*** Delete File: sub"), "is a directory"),
    ],
)
def test_bad_patches_are_refused_with_a_reason(ws: Workspace, text: str, message: str) -> None:
    (ws.root / "a.txt").write_text("x\n")
    (ws.root / "sub").mkdir()
    with pytest.raises(PatchError, match=message.replace("*", r"\*")):
        apply_patch(text, ws)
    assert (ws.root / "a.txt").read_text() == "x\n"


def test_paths_escaping_the_workspace_are_refused(ws: Workspace, tmp_path: Path) -> None:
    outside = tmp_path / "outside.txt"
    outside.write_text("secret\n")
    (ws.root / "link").symlink_to(tmp_path)
    for target in ("../outside.txt", str(outside), "link/outside.txt"):
        with pytest.raises(PatchError, match="outside the working directory"):
            apply_patch(patch(f"*** Update File: {target}", "-secret", "+pwned"), ws)
    with pytest.raises(PatchError, match="outside the working directory"):
        apply_patch(patch("*** Add File: link/new.txt", "+x"), ws)
    assert outside.read_text() == "secret\n"
    assert not (tmp_path / "new.txt").exists()


def test_write_failure_rolls_back_files_already_written(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    (ws.root / "a.txt").write_text("a\n")
    (ws.root / "b.txt").write_text("b\n")
    real_replace = os.replace

    def failing_replace(src: str, dst: str, **kwargs: int) -> None:
        if str(dst).endswith("b.txt"):
            raise OSError(28, "No space left on device", str(dst))
        real_replace(src, dst, **kwargs)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(PatchError, match="No space left on device.*put back"):
        apply_patch(patch("*** Update File: a.txt", "-a", "+A", "*** Update File: b.txt", "-b", "+B"), ws)
    monkeypatch.undo()
    assert tree(ws.root) == {"a.txt": b"a\n", "b.txt": b"b\n"}


def test_moving_under_a_file_fails_cleanly(ws: Workspace) -> None:
    (ws.root / "a.txt").write_text("a\n")
    (ws.root / "b.txt").write_text("b\n")
    with pytest.raises(PatchError, match="writing a.txt/inner.txt failed .*put back"):
        apply_patch(patch("*** Update File: b.txt", "*** Move to: a.txt/inner.txt", "-b", "+B"), ws)
    assert tree(ws.root) == {"a.txt": b"a\n", "b.txt": b"b\n"}

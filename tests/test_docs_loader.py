"""Loading documents: every bad input becomes a clear message, never a crash."""

from __future__ import annotations

import builtins
import os
from pathlib import Path

import pytest

from tui.docs.links import resolve_link
from tui.docs.loader import (
    DocumentIsBinary,
    DocumentMissing,
    DocumentTooLarge,
    DocumentUnreadable,
    is_markdown,
    load_text,
    stamp_of,
)

MB = 1_000_000


def test_plain_utf8_bom_and_empty(tmp_path: Path) -> None:
    doc = tmp_path / "a.md"
    doc.write_text("# héllo\n", encoding="utf-8")
    loaded = load_text(doc, max_bytes=MB)
    assert (loaded.text, loaded.notice) == ("# héllo\n", None)
    assert loaded.stamp == stamp_of(doc)
    doc.write_bytes(b"\xef\xbb\xbf# bom\n")
    assert load_text(doc, max_bytes=MB).text == "# bom\n"
    doc.write_bytes(b"")
    assert load_text(doc, max_bytes=MB).text == ""
    doc.write_bytes("# wide\n".encode("utf-16"))
    loaded = load_text(doc, max_bytes=MB)
    assert loaded.text == "# wide\n" and "UTF-16" in (loaded.notice or "")


def test_invalid_utf8_is_replaced_with_a_notice(tmp_path: Path) -> None:
    doc = tmp_path / "bad.md"
    doc.write_bytes(b"ok \xff\xfe then \xc3 end\n")
    loaded = load_text(doc, max_bytes=MB)
    assert loaded.text == "ok \ufffd\ufffd then \ufffd end\n"
    assert loaded.notice == "This file is not valid UTF-8: 3 bytes shown as �."


def test_binary_missing_folder_loop_and_too_large(tmp_path: Path) -> None:
    binary = tmp_path / "img.md"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0")
    with pytest.raises(DocumentIsBinary, match="binary"):
        load_text(binary, max_bytes=MB)
    with pytest.raises(DocumentMissing, match="does not exist"):
        load_text(tmp_path / "nope.md", max_bytes=MB)
    with pytest.raises(DocumentUnreadable, match="is a folder"):
        load_text(tmp_path, max_bytes=MB)
    os.symlink(tmp_path / "b.md", tmp_path / "a.md")
    os.symlink(tmp_path / "a.md", tmp_path / "b.md")
    with pytest.raises(DocumentUnreadable, match="symlink loop"):
        load_text(tmp_path / "a.md", max_bytes=MB)
    assert stamp_of(tmp_path / "a.md") is None
    big = tmp_path / "big.md"
    big.write_bytes(b"x" * 2048)
    with pytest.raises(DocumentTooLarge, match="docs.max_file_mb"):
        load_text(big, max_bytes=1024)


def test_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Root reads any file whatever its mode, so the refusal is simulated at open().
    doc = tmp_path / "secret.md"
    doc.write_text("x")
    real_open = builtins.open

    def refuse(file, *args, **kwargs):  # type: ignore[no-untyped-def]
        if Path(file) == doc:
            raise PermissionError(13, "Permission denied", str(doc))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", refuse)
    with pytest.raises(DocumentUnreadable, match="Permission denied reading"):
        load_text(doc, max_bytes=MB)


def test_ten_megabyte_document_loads(tmp_path: Path) -> None:
    doc = tmp_path / "huge.md"
    paragraph = "Some words in a paragraph that repeats. " * 20 + "\n\n"
    doc.write_text(paragraph * (10 * MB // len(paragraph)))
    loaded = load_text(doc, max_bytes=32 * MB)
    assert len(loaded.text) > 9 * MB


def test_is_markdown() -> None:
    assert is_markdown(Path("a.MD")) and is_markdown(Path("x.markdown"))
    assert not is_markdown(Path("a.py"))


def test_link_resolution(tmp_path: Path) -> None:
    root = tmp_path
    (root / "docs").mkdir()
    (root / "src").mkdir()
    document = root / "docs" / "plan.md"
    (root / "docs" / "other.md").write_text("x")
    (root / "src" / "app.py").write_text("x")
    (root / "odd:1.md").write_text("x")
    assert resolve_link("https://example.com", document, root).kind == "url"
    assert resolve_link("#Some-Heading", document, root).anchor == "some-heading"
    other = resolve_link("other.md#design", document, root)
    assert (other.kind, other.path, other.anchor) == ("file", root / "docs" / "other.md", "design")
    # Repo-relative paths work when they do not exist next to the document.
    code = resolve_link("src/app.py:12", document, root)
    assert (code.path, code.line) == (root / "src" / "app.py", 12)
    assert resolve_link("../src/app.py#L7-L9", document, root).line == 7
    assert resolve_link("my%20notes.md", document, root).path == root / "docs" / "my notes.md"
    # A file whose name really ends in ":1" is not mistaken for a line suffix.
    assert resolve_link("../odd:1.md", document, root).line is None
    assert resolve_link("javascript:alert(1)", document, root).kind == "invalid"
    assert resolve_link("", document, root).kind == "invalid"

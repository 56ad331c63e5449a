from __future__ import annotations

from pathlib import Path

from tui.docs.snapshots import ReadSnapshots


def test_mark_and_compare(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    doc = root / "a.md"
    doc.parent.mkdir()
    doc.write_text("one\n")
    store = ReadSnapshots(tmp_path / "data", root)
    assert store.last_read(doc) is None
    assert store.changed_since_read(doc, "one\n") is None
    store.mark_read(doc, "one\n")
    assert store.last_read_text(doc) == "one\n"
    assert store.changed_since_read(doc, "one\n") is False
    assert store.changed_since_read(doc, "two\n") is True
    # A second store on the same folder (a restart) sees the same record.
    again = ReadSnapshots(tmp_path / "data", root)
    assert again.last_read_text(doc) == "one\n"

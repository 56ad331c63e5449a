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


def test_rescans_do_not_reread_unchanged_records(tmp_path: Path, monkeypatch) -> None:
    from tui.tasks import TaskScanner
    from tui.tasks.model import Mark

    root = tmp_path / "repo"
    task = root / ".loupe" / "tasks" / "t"
    task.mkdir(parents=True)
    (task / "ticket.md").write_text("# T\n")
    (task / "01-plan.md").write_text("plan\n")
    store = ReadSnapshots(tmp_path / "data", root)
    store.mark_read(task / "ticket.md", "# T\n")
    scanner = TaskScanner(root / ".loupe" / "tasks", store)
    marks = lambda: {a.name: a.mark for a in scanner.scan().tasks[0].artifacts}  # noqa: E731
    assert marks() == {"ticket.md": Mark.READ, "01-plan.md": Mark.NEW}

    reads: list[Path] = []
    real_read_text = Path.read_text

    def counting(self: Path, *args, **kwargs):  # type: ignore[no-untyped-def]
        reads.append(self)
        return real_read_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", counting)
    assert marks() == {"ticket.md": Mark.READ, "01-plan.md": Mark.NEW}
    assert [p for p in reads if p.suffix == ".json"] == []
    # A new record (written by another store, as another loupe would) is read again.
    ReadSnapshots(tmp_path / "data", root).mark_read(task / "01-plan.md", "plan\n")
    (task / "ticket.md").write_text("# T changed\n")
    assert marks() == {"ticket.md": Mark.CHANGED, "01-plan.md": Mark.READ}

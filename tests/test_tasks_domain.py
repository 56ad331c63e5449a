"""Task discovery, creation, change marks and filtering, without a screen."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tui.docs.snapshots import ReadSnapshots
from tui.relative_time import relative_time
from tui.tasks import Mark, TaskCreateError, TaskScanner, create_task, slugify
from tui.tasks.discovery import MAX_ARTIFACTS, MAX_FOLDERS
from tui.tasks.filtering import match


def write(path: Path, text: str | bytes, age: float | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    if age is not None:
        when = 1_700_000_000 - age
        os.utime(path, (when, when))
    return path


@pytest.fixture
def tasks_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "repo" / ".loupe" / "tasks"
    folder.mkdir(parents=True)
    return folder


def scan(tasks_dir: Path, snapshots: ReadSnapshots | None = None):
    return TaskScanner(tasks_dir, snapshots).scan()


def only_task(tasks_dir: Path):
    (task,) = scan(tasks_dir).tasks
    return task


# --- discovery: order, titles, phases -----------------------------------------------------


def test_artifacts_ticket_first_then_by_number_then_by_name(tasks_dir: Path) -> None:
    for name in ("notes.md", "10-plan.md", "02-research.md", "ticket.md", "01-research-questions.md", "appendix.md"):
        write(tasks_dir / "t" / name, f"# {name}\n")
    write(tasks_dir / "t" / "diagram.png", b"\x89PNG")
    assert [a.name for a in only_task(tasks_dir).artifacts] == [
        "ticket.md",
        "01-research-questions.md",
        "02-research.md",
        "10-plan.md",
        "appendix.md",
        "notes.md",
    ]


def test_artifact_numbers_and_labels(tasks_dir: Path) -> None:
    write(tasks_dir / "t" / "03-design_discussion.md", "x")
    write(tasks_dir / "t" / "reviews" / "01-api-review.md", "x")
    artifacts = only_task(tasks_dir).artifacts
    assert [(a.number, a.label) for a in artifacts] == [(3, "design discussion"), (1, "reviews/api review")]


def test_tasks_newest_activity_first(tasks_dir: Path) -> None:
    write(tasks_dir / "old" / "ticket.md", "# Old\n", age=3 * 86400)
    write(tasks_dir / "fresh" / "ticket.md", "# Fresh\n", age=86400)
    write(tasks_dir / "fresh" / "01-questions.md", "q", age=60)
    write(tasks_dir / "middle" / "ticket.md", "# Middle\n", age=3600)
    result = scan(tasks_dir)
    assert [t.title for t in result.tasks] == ["Fresh", "Middle", "Old"]
    assert result.tasks[0].updated == 1_700_000_000 - 60


def test_title_from_front_matter_then_heading_then_folder(tasks_dir: Path) -> None:
    write(tasks_dir / "a-task" / "ticket.md", "---\ntitle: From front matter\n---\n# From heading\n")
    write(tasks_dir / "b-task" / "ticket.md", "Some intro.\n\n```\n# not a heading\n```\n# `quarry stats` *now*\n")
    write(tasks_dir / "c-task" / "01-notes.md", "no heading here\n")
    titles = {t.slug: t.title for t in scan(tasks_dir).tasks}
    assert titles == {"a-task": "From front matter", "b-task": "quarry stats now", "c-task": "c task"}


def test_front_matter_status_and_phase(tasks_dir: Path) -> None:
    write(
        tasks_dir / "t" / "ticket.md",
        "---\n# a comment\nstatus: 'in-progress'  \nphase: Design   # decided on Monday\ntags:\n  - x\n---\n# T\n",
    )
    write(tasks_dir / "t" / "05-plan.md", "x")
    task = only_task(tasks_dir)
    assert (task.status, task.phase) == ("in-progress", "design")


def test_phase_derived_from_latest_artifact(tasks_dir: Path) -> None:
    write(tasks_dir / "t" / "ticket.md", "# T\n")
    write(tasks_dir / "t" / "01-research-questions.md", "x")
    assert only_task(tasks_dir).phase == "questions"
    write(tasks_dir / "t" / "02-research.md", "x")
    write(tasks_dir / "t" / "03-notes.md", "x")  # no phase in its name: skipped
    assert only_task(tasks_dir).phase == "research"
    write(tasks_dir / "t" / "04-implementation-plan.md", "x")
    assert only_task(tasks_dir).phase == "plan"
    write(tasks_dir / "t" / "05-whatever.md", "---\nphase: implement\n---\n")
    assert only_task(tasks_dir).phase == "implement"


def test_ticket_only_and_empty_tasks(tasks_dir: Path) -> None:
    write(tasks_dir / "ticket-only" / "ticket.md", "# Only a ticket\n")
    (tasks_dir / "empty").mkdir()
    tasks = {t.slug: t for t in scan(tasks_dir).tasks}
    assert tasks["ticket-only"].phase == "ticket"
    assert tasks["empty"].phase is None and tasks["empty"].artifacts == ()
    assert tasks["empty"].title == "empty"


def test_hidden_entries_and_loose_files_are_ignored(tasks_dir: Path) -> None:
    write(tasks_dir / ".archive" / "old" / "ticket.md", "# hidden\n")
    write(tasks_dir / "README.md", "# not a task\n")
    write(tasks_dir / "t" / ".draft.md", "x")
    write(tasks_dir / "t" / "ticket.md", "# T\n")
    result = scan(tasks_dir)
    assert [t.slug for t in result.tasks] == ["t"]
    assert [a.name for a in result.tasks[0].artifacts] == ["ticket.md"]


def test_missing_tasks_folder_is_not_an_error(tmp_path: Path) -> None:
    result = scan(tmp_path / "nope")
    assert result.missing and result.tasks == () and result.problems == ()


def test_tasks_folder_that_is_a_file(tmp_path: Path) -> None:
    path = write(tmp_path / "tasks", "oops")
    result = scan(path)
    assert "is a file" in str(result.problems[0])


# --- bad input ---------------------------------------------------------------------------------


def test_binary_and_invalid_utf8_artifacts_are_listed_with_a_problem(tasks_dir: Path) -> None:
    write(tasks_dir / "t" / "ticket.md", b"# Caf\xe9 crash\n\nbody \xff\xfe\n")
    write(tasks_dir / "t" / "01-blob.md", b"\x00\x01\x02binary" * 100)
    task = only_task(tasks_dir)
    assert task.title == "Caf\ufffd crash"
    problems = {a.name: a.problem for a in task.artifacts}
    assert "not valid UTF-8" in problems["ticket.md"]
    assert "binary" in problems["01-blob.md"]


def test_broken_front_matter_is_reported_and_the_task_still_shows(tasks_dir: Path) -> None:
    write(tasks_dir / "t" / "ticket.md", "---\ntitle: never closed\n# Heading after all\n")
    task = only_task(tasks_dir)
    assert task.title == "Heading after all"
    assert "no closing" in task.artifacts[0].problem


def test_unreadable_artifact(tasks_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Tests run as root, so chmod cannot make a file unreadable; fail the read itself.
    locked = write(tasks_dir / "t" / "01-locked.md", "secret")
    write(tasks_dir / "t" / "ticket.md", "# T\n")
    real_read_bytes = Path.read_bytes

    def read_bytes(self: Path) -> bytes:
        if self == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real_read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    task = only_task(tasks_dir)
    assert [a.problem for a in task.artifacts] == [None, "permission denied; skipped"]
    assert task.title == "T"


def test_special_files_are_skipped(tasks_dir: Path) -> None:
    write(tasks_dir / "t" / "ticket.md", "# T\n")
    os.mkfifo(tasks_dir / "t" / "01-pipe.md")  # reading it would block forever
    (tasks_dir / "t" / "02-folder.md").mkdir()
    assert [a.name for a in only_task(tasks_dir).artifacts] == ["ticket.md"]


def test_symlink_loops_end_and_are_reported(tasks_dir: Path) -> None:
    write(tasks_dir / "t" / "ticket.md", "# T\n")
    (tasks_dir / "t" / "up").symlink_to(tasks_dir)  # a task folder linking back to the tasks folder
    (tasks_dir / "t" / "self").symlink_to(".")
    (tasks_dir / "t" / "a.md").symlink_to("b.md")  # a.md -> b.md -> a.md
    (tasks_dir / "t" / "b.md").symlink_to("a.md")
    (tasks_dir / "t" / "gone.md").symlink_to("missing.md")
    (tasks_dir / "mirror").symlink_to(tasks_dir / "t")  # the same task twice
    (tasks_dir / "loop").symlink_to(tasks_dir)
    result = scan(tasks_dir)
    assert [t.slug for t in result.tasks] == ["t"] or [t.slug for t in result.tasks] == ["mirror"]
    assert [a.name for a in result.tasks[0].artifacts] == ["ticket.md"]
    messages = " | ".join(str(p) for p in result.problems)
    assert "symlink loop" in messages
    assert "already listed" in messages
    assert "broken link" in messages


def test_deep_folders_stop_at_the_depth_limit(tasks_dir: Path) -> None:
    deep = tasks_dir / "t"
    for level in range(6):
        deep = deep / f"d{level}"
        write(deep / f"level{level}.md", "x")
    names = [a.name for a in only_task(tasks_dir).artifacts]
    assert names == ["d0/level0.md", "d0/d1/level1.md", "d0/d1/d2/level2.md"]


def test_dependency_trees_are_not_searched_and_a_huge_task_is_bounded(tasks_dir: Path) -> None:
    write(tasks_dir / "t" / "ticket.md", "# T\n")
    for package in ("left-pad", "react"):
        write(tasks_dir / "t" / "node_modules" / package / "README.md", "# A package\n")
    write(tasks_dir / "t" / "notes" / "build" / "output.md", "built\n")
    write(tasks_dir / "t" / "notes" / "api.md", "# API\n")
    assert [a.name for a in only_task(tasks_dir).artifacts] == ["ticket.md", "notes/api.md"]

    for number in range(MAX_ARTIFACTS + 20):
        write(tasks_dir / "big" / f"{number:04d}-note.md", "x")
    for number in range(MAX_FOLDERS + 5):
        (tasks_dir / "big" / "folders" / f"f{number}").mkdir(parents=True)
    result = scan(tasks_dir)
    big = next(task for task in result.tasks if task.slug == "big")
    # The first ones in the task's order, and what was left out is said.
    assert [a.name for a in big.artifacts[:2]] == ["0000-note.md", "0001-note.md"]
    assert len(big.artifacts) == MAX_ARTIFACTS
    messages = " | ".join(str(problem) for problem in result.problems)
    assert f"{MAX_ARTIFACTS + 20:,} markdown files; the first {MAX_ARTIFACTS} are listed" in messages
    assert f"more than {MAX_FOLDERS} folders" in messages


def test_given_what_changed_a_rescan_walks_only_those_tasks(tasks_dir: Path, tmp_path: Path) -> None:
    snapshots = ReadSnapshots(tmp_path / "data", tasks_dir.parent.parent)
    ticket_a = write(tasks_dir / "a" / "ticket.md", "# A\n", age=100)
    ticket_b = write(tasks_dir / "b" / "ticket.md", "# B\n", age=200)
    scanner = TaskScanner(tasks_dir, snapshots)
    first = {task.slug: task for task in scanner.scan().tasks}
    write(ticket_a, "# A, rewritten\n", age=10)
    write(ticket_b, "# B, rewritten\n", age=20)
    second = {task.slug: task for task in scanner.scan([ticket_a]).tasks}
    assert second["a"].title == "A, rewritten"
    # Nothing reported in b: the task as it was, not walked (the next full scan sees it).
    assert second["b"] is first["b"]
    third = {task.slug: task for task in scanner.scan().tasks}
    assert third["b"].title == "B, rewritten"
    # Reading an artifact writes its snapshot: that changes its task's marks.
    assert third["b"].mark is Mark.NEW
    snapshots.mark_read(ticket_b, ticket_b.read_text())
    reported = [snapshots.folder / f"{snapshots.key(ticket_b)}.json"]
    fourth = {task.slug: task for task in scanner.scan(reported).tasks}
    assert fourth["b"].mark is Mark.READ and fourth["a"] is third["a"]
    # A task folder that appears is scanned, one that goes is dropped.
    write(tasks_dir / "c" / "ticket.md", "# C\n", age=5)
    assert sorted(task.slug for task in scanner.scan([tasks_dir / "c"]).tasks) == ["a", "b", "c"]
    shutil.rmtree(tasks_dir / "a")
    assert sorted(task.slug for task in scanner.scan([tasks_dir / "a"]).tasks) == ["b", "c"]


def test_rescan_reads_changes(tasks_dir: Path) -> None:
    ticket = write(tasks_dir / "t" / "ticket.md", "# Before\n", age=100)
    scanner = TaskScanner(tasks_dir)
    assert scanner.scan().tasks[0].title == "Before"
    write(ticket, "# After, a longer title\n", age=50)
    write(tasks_dir / "u" / "ticket.md", "# New task\n", age=10)
    assert [t.title for t in scanner.scan().tasks] == ["New task", "After, a longer title"]


# --- changed-since-read marks -------------------------------------------------------------------


def test_marks_new_read_changed(tasks_dir: Path, tmp_path: Path) -> None:
    root = tasks_dir.parent.parent
    snapshots = ReadSnapshots(tmp_path / "data", root)
    design = write(tasks_dir / "t" / "03-design.md", "# Design\nv1\n")
    write(tasks_dir / "t" / "ticket.md", "# T\n")
    scanner = TaskScanner(tasks_dir, snapshots)
    task = scanner.scan().tasks[0]
    assert [a.mark for a in task.artifacts] == [Mark.NEW, Mark.NEW]
    assert task.mark is Mark.NEW

    snapshots.mark_read(design, design.read_text())
    snapshots.mark_read(tasks_dir / "t" / "ticket.md", "# T\n")
    task = scanner.scan().tasks[0]
    assert [a.mark for a in task.artifacts] == [Mark.READ, Mark.READ]
    assert task.mark is Mark.READ

    write(design, "# Design\nv2, rewritten by an agent\n")
    task = scanner.scan().tasks[0]
    assert [a.mark for a in task.artifacts] == [Mark.READ, Mark.CHANGED]
    assert task.mark is Mark.CHANGED


def test_crlf_file_read_through_text_mode_counts_as_read(tasks_dir: Path, tmp_path: Path) -> None:
    snapshots = ReadSnapshots(tmp_path / "data", tasks_dir.parent.parent)
    path = write(tasks_dir / "t" / "ticket.md", b"# T\r\nwindows line endings\r\n")
    snapshots.mark_read(path, path.read_text(encoding="utf-8"))  # newline translation: \n only
    assert scan(tasks_dir, snapshots).tasks[0].artifacts[0].mark is Mark.READ


def test_binary_artifacts_carry_no_mark(tasks_dir: Path, tmp_path: Path) -> None:
    write(tasks_dir / "t" / "blob.md", b"\x00" * 10)
    snapshots = ReadSnapshots(tmp_path / "data", tasks_dir.parent.parent)
    assert scan(tasks_dir, snapshots).tasks[0].artifacts[0].mark is Mark.READ


# --- creating tasks ------------------------------------------------------------------------------


def test_create_task_writes_ticket(tasks_dir: Path) -> None:
    folder = create_task(tasks_dir, "Fix: the Café crash!", "It crashes.\n\nSteps: ...\n")
    assert folder == tasks_dir / "fix-the-cafe-crash"
    assert (folder / "ticket.md").read_text() == "# Fix: the Café crash!\n\nIt crashes.\n\nSteps: ...\n"
    assert only_task(tasks_dir).title == "Fix: the Café crash!"
    assert sorted(p.name for p in folder.iterdir()) == ["ticket.md"]


def test_create_task_slug_is_unique(tasks_dir: Path) -> None:
    first = create_task(tasks_dir, "Same title")
    second = create_task(tasks_dir, "Same title")
    third = create_task(tasks_dir, "same   TITLE")
    assert [p.name for p in (first, second, third)] == ["same-title", "same-title-2", "same-title-3"]
    assert (first / "ticket.md").read_text() == "# Same title\n"


def test_create_task_makes_the_tasks_folder(tmp_path: Path) -> None:
    folder = create_task(tmp_path / "thoughts" / "shared" / "tasks", "First")
    assert (folder / "ticket.md").is_file()


@pytest.mark.parametrize(
    ("title", "message"),
    [("", "needs a title"), ("   ", "needs a title"), ("two\nlines", "one line")],
)
def test_create_task_rejects_bad_titles(tasks_dir: Path, title: str, message: str) -> None:
    with pytest.raises(TaskCreateError, match=message):
        create_task(tasks_dir, title)
    assert list(tasks_dir.iterdir()) == []


def test_create_task_when_tasks_folder_is_a_file(tmp_path: Path) -> None:
    path = write(tmp_path / "tasks", "x")
    with pytest.raises(TaskCreateError, match="is a file"):
        create_task(path, "T")


def test_slugify_edge_cases() -> None:
    assert slugify("日本語") == "task"
    assert slugify("a" * 30 + " " + "b" * 30) == "a" * 30
    assert len(slugify("word " * 40)) <= 48


# --- filtering and times ---------------------------------------------------------------------------


def test_filter_substring_beats_fuzzy() -> None:
    substring = match("back", "Retries with exponential backoff")
    fuzzy = match("rwe", "Retries with exponential backoff")
    assert substring is not None and fuzzy is not None
    assert substring[0] > fuzzy[0]
    assert substring[1] == tuple(range(25, 29))
    assert fuzzy[1] == (0, 8, 13)


def test_filter_no_match_and_empty_query() -> None:
    assert match("zzz", "postgres backend") is None
    assert match("", "anything") == (0, ())
    assert match("PG BACK", "postgres backend") is not None


def test_relative_time() -> None:
    now = 1_000_000_000.0
    assert [relative_time(now - s, now) for s in (5, 90, 7200, 3 * 86400, 20 * 86400, 400 * 86400)] == [
        "now",
        "1m",
        "2h",
        "3d",
        "2w",
        "1y",
    ]
    assert relative_time(now + 30, now) == "now"  # clock skew: a file from the future


def test_relative_time_in_a_sentence() -> None:
    now = 1_000_000_000.0
    assert [relative_time(now - s, now, ago=True) for s in (5, 300, 3 * 86400)] == ["just now", "5m ago", "3d ago"]

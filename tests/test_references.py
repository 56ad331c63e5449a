"""@task/artifact references: found in text, resolved by prefix on numbered names, expanded."""

from __future__ import annotations

from pathlib import Path

import pytest

from tui.references import (
    ReferenceError,
    candidates,
    expand_for_model,
    find_references,
    resolve,
)
from tui.tasks import TaskScanner


@pytest.fixture
def tasks(tmp_path: Path) -> Path:
    root = tmp_path / "tasks"
    (root / "retry-backoff").mkdir(parents=True)
    (root / "retry-backoff" / "01-research-questions.md").write_text("# Questions\n")
    (root / "retry-backoff" / "03-design-discussion.md").write_text("# Design\nUse jitter.\n```py\nx\n```\n")
    (root / "retry-backoff" / "ticket.md").write_text("# Ticket\n")
    (root / "stats").mkdir()
    (root / "stats" / "01-research.md").write_text("r")
    (root / "stats" / "02-research-notes.md").write_text("n")
    return root


def test_find_references_ignores_emails_and_repeats() -> None:
    text = "see @retry-backoff/design and @stats/01, mail me@host.org, again @retry-backoff/design."
    assert find_references(text) == ["retry-backoff/design", "stats/01"]


@pytest.mark.parametrize(
    "reference",
    ["retry-backoff/design", "retry-backoff/03", "retry-backoff/03-design-discussion.md", "retry/design-disc"],
)
def test_resolve_by_exact_plain_or_prefix_name(tasks: Path, reference: str) -> None:
    assert resolve(tasks, reference).name == "03-design-discussion.md"


def test_resolve_reports_ambiguity_and_absence(tasks: Path) -> None:
    # "research" is exactly the plain name of 01-research.md, so it wins over the prefix match.
    assert resolve(tasks, "stats/research").name == "01-research.md"
    with pytest.raises(ReferenceError, match="matches several"):
        resolve(tasks, "stats/res")
    with pytest.raises(ReferenceError, match="no artifact named 'nope'"):
        resolve(tasks, "stats/nope")
    with pytest.raises(ReferenceError, match="no task named"):
        resolve(tasks, "nothing/here")


def test_expansion_appends_current_content_and_notes_problems(tasks: Path) -> None:
    expansion = expand_for_model("Compare @retry-backoff/design with @stats/nope", tasks)
    assert expansion.text.startswith("Compare @retry-backoff/design with @stats/nope\n\n")
    assert "Use jitter." in expansion.text
    # The fence around the artifact is longer than any fence inside it.
    assert "````markdown\n# Design" in expansion.text
    assert [r.reference for r in expansion.attached] == ["retry-backoff/design"]
    assert expansion.problems and "nope" in expansion.problems[0]
    # Live: an edit on disk shows up in the next request.
    (tasks / "retry-backoff" / "03-design-discussion.md").write_text("Changed.\n")
    assert "Changed." in expand_for_model("@retry-backoff/design", tasks).text
    assert expand_for_model("no refs", tasks).text == "no refs"


def test_candidates_list_what_the_task_scan_lists(tasks: Path) -> None:
    (tasks / "stats" / "notes").mkdir()
    (tasks / "stats" / "notes" / "extra.md").write_text("e")
    (tasks / "stats" / "loop").symlink_to(tasks / "stats")
    found = candidates(TaskScanner(tasks).scan().tasks)
    assert "retry-backoff/03-design-discussion" in found
    assert "stats/02-research-notes" in found
    # Artifacts in subfolders, as the task list shows them; a link loop is not followed.
    assert "stats/notes/extra" in found
    assert not any("loop" in name for name in found)
    assert resolve(tasks, "stats/notes/extra").name == "extra.md"
    assert candidates(TaskScanner(tasks.parent / "missing").scan().tasks) == []

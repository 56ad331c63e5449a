"""The demo workspace behind `loupe --demo`: real git repo, real tasks, links that resolve."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.markdown_text import leaf_texts
from tui import config, locations
from tui.demo import DemoError, ensure_demo_workspace
from tui.demo import build as demo_build
from tui.docs.blocks import full_parser, split_blocks
from tui.docs.layout import layout_block

LINK = re.compile(r"\b([\w/]+\.py):(\d+)\b")


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Built once for the module (git and a 3,000-line render); tests must not modify it."""
    data = tmp_path_factory.mktemp("demo-data")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("LOUPE_DATA_DIR", str(data))
        return ensure_demo_workspace()


def git(root: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout


def test_demo_is_a_git_repo_with_history(demo: Path) -> None:
    log = git(demo, "log", "--format=%s").splitlines()
    assert log[-1] == "quarry 0.4.2"
    assert len(log) >= 4
    # The plan is being written right now, so it is the only uncommitted file.
    assert git(demo, "status", "--porcelain").splitlines() == ["?? .loupe/tasks/retry-backoff/05-plan.md"]


def test_demo_has_three_tasks_with_the_whole_workflow(demo: Path) -> None:
    tasks = demo / ".loupe" / "tasks"
    assert sorted(p.name for p in tasks.iterdir()) == ["postgres-backend", "retry-backoff", "stats-command"]
    assert all((folder / "ticket.md").is_file() for folder in tasks.iterdir())
    names = sorted(p.name for p in (tasks / "retry-backoff").iterdir())
    assert names == [
        "01-research-questions.md",
        "02-research.md",
        "03-design-discussion.md",
        "04-outline.md",
        "05-plan.md",
        "ticket.md",
    ]
    design = (tasks / "retry-backoff" / "03-design-discussion.md").read_text()
    assert "## Open questions" in design


def test_plan_is_about_3000_lines_of_varied_markdown(demo: Path) -> None:
    from markdown_it import MarkdownIt

    text = (demo / ".loupe/tasks/retry-backoff/05-plan.md").read_text()
    assert 2700 <= len(text.splitlines()) <= 3300
    tokens = MarkdownIt("gfm-like").parse(text)
    kinds = {token.type for token in tokens}
    assert {"fence", "table_open", "bullet_list_open", "ordered_list_open", "heading_open"} <= kinds
    assert sum(token.type == "fence" for token in tokens) >= 30
    assert text.count("- [ ] ") >= 50  # checklists
    sections = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h2"]
    assert sum(title.startswith("Phase ") for title in sections) >= 8
    assert len(sections) >= 20


def test_plan_checklists_show_their_whole_text(demo: Path) -> None:
    doc = split_blocks((demo / ".loupe/tasks/retry-backoff/05-plan.md").read_text())
    checked = 0
    for index, block in enumerate(doc.blocks):
        if block.kind == "heading" and block.title == "Automated verification":
            items = doc.blocks[index + 1]
            expected = ["☐ " + text for text in leaf_texts(full_parser().parse(items.source), tasks=True)]
            shown = [line.plain for line in layout_block(items, 200, doc.references).lines if line.plain]
            assert shown == expected
            checked += len(expected)
    assert checked >= 20


def test_every_source_link_in_the_artifacts_resolves(demo: Path) -> None:
    checked = 0
    for artifact in (demo / ".loupe" / "tasks").rglob("*.md"):
        text = artifact.read_text()
        assert "{{src:" not in text, f"unresolved link template in {artifact.name}"
        for path, line in LINK.findall(text):
            target = demo / path
            if not target.exists():
                continue  # files the plan proposes to create, like quarry/retry.py
            assert int(line) <= len(target.read_text().splitlines()), f"{artifact.name}: {path}:{line}"
            checked += 1
    assert checked >= 20


def test_links_point_at_the_code_they_describe(demo: Path) -> None:
    research = (demo / ".loupe/tasks/retry-backoff/02-research.md").read_text()
    path, line = LINK.search(research.split("Failures are final today.")[1]).groups()
    assert path == "quarry/worker.py"
    assert "except Exception as exc" in (demo / path).read_text().splitlines()[int(line) - 1]


def test_demo_config_loads_cleanly(demo: Path) -> None:
    loaded = config.load(demo)
    assert loaded.problems == []
    assert loaded.config.general.tasks_dir == ".loupe/tasks"


@pytest.mark.slow
def test_demo_project_test_suite_passes(demo: Path, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"],
        cwd=demo,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_second_run_reuses_the_workspace() -> None:
    first = ensure_demo_workspace()
    ticket = first / ".loupe/tasks/stats-command/ticket.md"
    ticket.write_text("# edited by the user\n")
    second = ensure_demo_workspace()
    assert second == first
    assert ticket.read_text() == "# edited by the user\n"


def test_foreign_folder_is_not_overwritten() -> None:
    target = locations.demo_dir()
    target.mkdir(parents=True)
    (target / "notes.txt").write_text("mine")
    with pytest.raises(DemoError, match="not a loupe demo workspace"):
        ensure_demo_workspace()
    assert (target / "notes.txt").read_text() == "mine"


def test_failed_build_leaves_nothing_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken() -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(demo_build, "render_plan", broken)
    with pytest.raises(DemoError, match="No space left on device"):
        ensure_demo_workspace()
    assert not locations.demo_dir().exists()
    assert list(locations.data_dir().iterdir()) == []
    # And the next run (with space again) builds it.
    monkeypatch.undo()
    assert (ensure_demo_workspace() / ".loupe/tasks").is_dir()


def test_missing_git_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(DemoError, match="git is not installed"):
        ensure_demo_workspace()

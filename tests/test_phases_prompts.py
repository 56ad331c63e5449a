"""Phase recipes, prompt templates and prepared prompts, without sessions (issue 14)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.fixtures.phases import QUESTIONS, TICKET
from tui import config, locations
from tui.config import Config, PhaseConfig
from tui.phases.errors import MissingInput, PhaseError, TemplateError, UnknownPhase
from tui.phases.plan import plan_phases
from tui.phases.prompt import prepare
from tui.phases.recipes import SHIPPED, get_recipe, load_recipes, next_phase
from tui.phases.templates import PLACEHOLDERS, find_template
from tui.tasks import TaskScanner
from tui.tasks.model import PHASES, Task
from tui.trust import risky_settings

PLAN = """---
phase: plan
---
# Plan

## Overview

Short.

## Phase 1: A clock

Add `quarry/clock.py`.

```markdown
## Phase 9: not a heading, inside a fence
```

### Tests

`tests/test_clock.py`.

## Phase 2 - Retry policy

Add `quarry/retry.py`.

## Testing strategy

Everything.
"""


@pytest.fixture
def repo_root(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".loupe" / "tasks").mkdir(parents=True)
    return root


def make_task(repo_root: Path, files: dict[str, str], slug: str = "stats") -> Task:
    folder = repo_root / ".loupe" / "tasks" / slug
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    (task,) = [t for t in TaskScanner(folder.parent).scan().tasks if t.slug == slug]
    return task


def test_research_prompt_carries_the_questions_and_nothing_of_the_ticket(repo_root: Path) -> None:
    task = make_task(repo_root, {"ticket.md": TICKET, "01-research-questions.md": QUESTIONS})
    prepared = prepare(task, SHIPPED["research"], repo_root=repo_root)
    assert QUESTIONS.strip() in prepared.prompt
    assert '<file name="01-research-questions.md">' in prepared.prompt
    for leak in ("SECRET-PLAN", "Stats for incident response", "ticket.md", str(task.path), "{"):
        assert leak not in prepared.prompt
    assert "`02-research.md`" in prepared.prompt
    assert prepared.in_place and prepared.output_path == task.path / "02-research.md"


def test_the_ticket_is_an_input_of_research_only_when_config_says_so(repo_root: Path) -> None:
    settings = Config()
    settings.phases["research"] = PhaseConfig(inputs=["ticket.md", "01-research-questions.md"])
    task = make_task(repo_root, {"ticket.md": TICKET, "01-research-questions.md": QUESTIONS})
    prepared = prepare(task, load_recipes(settings)["research"], repo_root=repo_root)
    assert "SECRET-PLAN" in prepared.prompt and '<file name="ticket.md">' in prepared.prompt


def test_research_without_its_questions_refuses_naming_the_missing_file(repo_root: Path) -> None:
    task = make_task(repo_root, {"ticket.md": TICKET})
    with pytest.raises(MissingInput) as caught:
        prepare(task, SHIPPED["research"], repo_root=repo_root)
    assert caught.value.missing == ["01-research-questions.md"]
    message = str(caught.value)
    assert "01-research-questions.md" in message and "questions phase" in message and str(task.path) in message


def test_an_input_that_is_a_symlink_out_of_the_task_folder_is_refused(repo_root: Path, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("ssh key\n")
    task = make_task(repo_root, {"ticket.md": TICKET})
    os.symlink(secret, task.path / "01-research-questions.md")
    with pytest.raises(PhaseError, match="outside the task folder"):
        prepare(task, SHIPPED["research"], repo_root=repo_root)


def test_config_changes_a_recipe_key_by_key_and_adds_phases(repo_root: Path) -> None:
    path = repo_root / "user.toml"
    path.write_text('[phases.research]\nagent = "claude"\n\n[phases.review]\ninputs = ["05-plan.md"]\n'
                    'output = "06-review.md"\n\n[phases.design]\ninputs = ["../../etc/passwd"]\n'
                    'output = "/tmp/x.md"\n')
    loaded = config.load_files([path])
    problems: list[str] = []
    recipes = load_recipes(loaded.config, problems)
    research = recipes["research"]
    assert (research.agent, research.inputs, research.output) == ("claude", ("01-research-questions.md",), "02-research.md")
    assert recipes["review"].inputs == ("05-plan.md",) and recipes["review"].template == "review.md"
    # Paths that leave the task folder are refused; the shipped values stay.
    assert recipes["design"] == SHIPPED["design"]
    assert len(problems) == 2 and "[phases.design] inputs" in problems[0] and "/tmp/x.md" in problems[1]
    assert list(recipes)[: len(PHASES)] == list(PHASES)
    with pytest.raises(UnknownPhase, match="review"):
        get_recipe(recipes, "reveiw")


def test_a_phases_checks_need_trust_in_a_repository_config_and_its_template_does_not() -> None:
    raw = {"phases": {"implement": {"checks": "make test", "template": "mine.md", "agent": "claude"}}}
    assert [s.path for s in risky_settings(raw)] == [("phases", "implement", "checks")]


def test_next_phase_follows_the_artifacts(repo_root: Path) -> None:
    recipes = load_recipes(Config())
    assert next_phase(make_task(repo_root, {"ticket.md": "# T\n"}, "a"), recipes) == "questions"
    assert next_phase(make_task(repo_root, {"ticket.md": "# T\n", "01-research-questions.md": QUESTIONS}, "b"),
                      recipes) == "research"
    # An artifact's phase counts whatever its name; the ticket's front matter does not.
    task = make_task(repo_root, {"ticket.md": "---\nphase: plan\n---\n# T\n", "notes.md": "---\nphase: design\n---\n"}, "c")
    assert next_phase(task, recipes) == "outline"
    assert next_phase(make_task(repo_root, {"05-plan.md": PLAN}, "d"), recipes) == "implement"
    assert next_phase(make_task(repo_root, {"06-implementation-notes.md": "# done\n"}, "e"), recipes) is None


def test_templates_are_found_in_the_repo_then_the_user_folder_then_loupes(repo_root: Path) -> None:
    assert find_template("research.md", repo_root).origin == "shipped"
    user = locations.config_dir() / "phases" / "research.md"
    user.parent.mkdir(parents=True)
    user.write_text("mine: {inputs}\n")
    assert find_template("research.md", repo_root).origin == "user"
    repo = repo_root / ".loupe" / "phases" / "research.md"
    repo.parent.mkdir(parents=True)
    repo.write_text("theirs: {inputs}\n")
    found = find_template("research.md", repo_root)
    assert (found.origin, found.path, found.text) == ("repo", repo, "theirs: {inputs}\n")
    with pytest.raises(TemplateError, match="no prompt template nothing.md"):
        find_template("nothing.md", repo_root)


def test_an_unknown_placeholder_names_the_file_line_and_placeholder(repo_root: Path) -> None:
    template = repo_root / ".loupe" / "phases" / "research.md"
    template.parent.mkdir(parents=True)
    template.write_text("Answer these:\n\n{inputs}\nand {{literal}} braces, {\"json\": 1}\nThen {questoins}.\n")
    task = make_task(repo_root, {"01-research-questions.md": QUESTIONS})
    with pytest.raises(TemplateError) as caught:
        prepare(task, SHIPPED["research"], repo_root=repo_root)
    error = caught.value
    assert (error.file, error.line, error.placeholder) == (template, 5, "questoins")
    assert f"{template}:5" in str(error) and "{questoins}" in str(error) and "{{questoins}}" in str(error)
    template.write_text("Answer these:\n\n{inputs}\nand {{literal}} braces, {\"json\": 1}\n")
    prompt = prepare(task, SHIPPED["research"], repo_root=repo_root).prompt
    assert "and {literal} braces, {\"json\": 1}" in prompt


def test_placeholders_inside_inputs_are_sent_as_written(repo_root: Path) -> None:
    task = make_task(repo_root, {"01-research-questions.md": "1. Is {task} or {output_path} or {nope} used?\n"})
    prompt = prepare(task, SHIPPED["research"], repo_root=repo_root).prompt
    assert "1. Is {task} or {output_path} or {nope} used?" in prompt


def test_every_shipped_template_uses_only_known_placeholders(repo_root: Path) -> None:
    from tui.phases.templates import check

    for recipe in SHIPPED.values():
        check(find_template(recipe.template, repo_root))
    assert set(PLACEHOLDERS) >= {"inputs", "output_path", "plan_phase"}


def test_a_plans_phases_are_its_level_two_phase_sections(repo_root: Path) -> None:
    phases = plan_phases(PLAN)
    assert [(p.number, p.title, p.line) for p in phases] == [(1, "A clock", 10), (2, "Retry policy", 22)]
    assert "### Tests" in phases[0].text and "Phase 9" in phases[0].text and "Retry" not in phases[0].text
    assert "Testing strategy" not in phases[1].text
    assert plan_phases("# Plan\n\nJust do it.\n") == []


def test_implement_carries_the_outline_and_only_its_plan_phase(repo_root: Path) -> None:
    task = make_task(repo_root, {"04-outline.md": "# Outline\n\nTwo phases.\n", "05-plan.md": PLAN})
    phases = plan_phases(PLAN)
    prepared = prepare(task, SHIPPED["implement"], repo_root=repo_root, plan_phase=phases[1])
    assert "Two phases." in prepared.prompt and "## Phase 2 - Retry policy" in prepared.prompt
    assert "A clock" not in prepared.prompt and not prepared.in_place and prepared.output_path is None
    whole = prepare(task, SHIPPED["implement"], repo_root=repo_root)
    assert "A clock" in whole.prompt and "Retry policy" in whole.prompt
    gone = make_task(repo_root, {"04-outline.md": "# Outline\n"}, "no-plan")
    with pytest.raises(MissingInput, match="05-plan.md"):
        prepare(gone, SHIPPED["implement"], repo_root=repo_root)

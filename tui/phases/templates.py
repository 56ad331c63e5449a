"""Prompt templates: plain markdown files with a few `{placeholders}`.

A recipe's template (`research.md`...) is looked up in this order, the first found wins:

1. `<repo>/.loupe/phases/<file>`: the repository's own;
2. `<config folder>/phases/<file>` (`~/.config/loupe/phases/`): yours, for every repository;
3. loupe's shipped `tui/phases/templates/<file>`.

Placeholders (`PLACEHOLDERS`) are replaced in one pass over the template, never inside the
values, so an input file that contains `{task}` is sent as written. `{{` and `}}` are a
literal brace. Any other `{word}` is an error naming the file, line and placeholder: a typo
must not send the agent a prompt with a hole in it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from tui import locations
from tui.phases.errors import TemplateError

PLACEHOLDERS: dict[str, str] = {
    "phase": "the phase's name, e.g. research",
    "task": "the task's title",
    "inputs": "the contents of the phase's input files, each inside <file name=\"...\"> tags",
    "input_files": "the input files' names, comma separated",
    "output": "the name of the artifact the phase writes, e.g. 02-research.md",
    "output_path": "where to write it (absolute, or relative to a worktree's top folder)",
    "repo": "the repository's main checkout: the code to read",
    "task_dir": "the task's folder (it holds the ticket: research templates leave it out)",
    "plan_phase": "implement: the plan's section for this run (all of the plan when run whole)",
}
_TOKEN = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class Template:
    path: Path
    text: str
    # "repo", "user" or "shipped": where it was found.
    origin: str


def template_folders(repo_root: Path) -> list[tuple[str, Path]]:
    """Where templates are looked for, first match wins (the shipped folder last)."""
    return [("repo", repo_root / ".loupe" / "phases"), ("user", locations.config_dir() / "phases")]


def find_template(file_name: str, repo_root: Path) -> Template:
    for origin, folder in template_folders(repo_root):
        path = folder / file_name
        if path.is_file():
            return Template(path, _read(path), origin)
    shipped = resources.files("tui.phases") / "templates" / file_name
    if shipped.is_file():
        with resources.as_file(shipped) as path:
            return Template(Path(path), _read(Path(path)), "shipped")
    places = ", ".join(str(folder) for _, folder in template_folders(repo_root))
    raise TemplateError(f"no prompt template {file_name}: write it in {places}, or set "
                        "template = \"...\" under [phases.<name>] in config", placeholder="")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TemplateError(f"{path}: cannot read the prompt template ({exc})", file=path) from exc


def check(template: Template) -> None:
    """Raise `TemplateError` for the first unknown placeholder (file, line, name)."""
    render(template, dict.fromkeys(PLACEHOLDERS, ""))


def render(template: Template, values: dict[str, str]) -> str:
    lines = template.text.splitlines(keepends=True)
    out: list[str] = []
    for number, line in enumerate(lines, start=1):
        def fill(match: re.Match[str], number: int = number) -> str:
            token = match.group(0)
            if token in ("{{", "}}"):
                return token[0]
            name = match.group(1)
            if name not in values:
                known = ", ".join(f"{{{key}}}" for key in PLACEHOLDERS)
                raise TemplateError(
                    f"{template.path}:{number}: unknown placeholder {{{name}}} in the prompt "
                    f"template; known: {known}. Write {{{{{name}}}}} for a literal {{{name}}}",
                    file=template.path, line=number, placeholder=name)
            return values[name]

        out.append(_TOKEN.sub(fill, line))
    return "".join(out)

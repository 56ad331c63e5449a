"""Front matter: an optional `---` block of `key: value` lines at the top of a markdown file.

Only flat scalar keys are read (title, status, phase and whatever else is there). This is not
a YAML parser, on purpose: loupe needs three keys, and a missing dependency or a YAML quirk
should never hide a task. Nested values and lists are skipped.
"""

from __future__ import annotations

from dataclasses import dataclass

# Front matter longer than this is almost certainly a missing closing `---`.
MAX_LINES = 60


@dataclass(frozen=True)
class FrontMatter:
    values: dict[str, str]
    # Index of the first line after the block (0 when there is none).
    body_start: int
    problem: str | None = None


def parse(lines: list[str]) -> FrontMatter:
    if not lines or lines[0].strip() != "---":
        return FrontMatter({}, 0)
    values: dict[str, str] = {}
    for index, line in enumerate(lines[1 : MAX_LINES + 1], start=1):
        stripped = line.strip()
        if stripped in ("---", "..."):
            return FrontMatter(values, index + 1)
        if not stripped or stripped.startswith("#") or line[:1].isspace() or stripped.startswith("- "):
            continue
        key, colon, value = stripped.partition(":")
        if not colon or not key.strip():
            continue
        values[key.strip().lower()] = _scalar(value.strip())
    return FrontMatter({}, 0, problem="front matter has no closing '---'; it is shown as text")


def _scalar(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    # A trailing comment, as YAML allows: `status: todo  # waiting for Priya`.
    if " #" in value:
        value = value.split(" #", 1)[0].rstrip()
    return value

"""The task list's rows and their prompts (what each row shows), kept between rebuilds.

A rescan while an agent writes changes a row or two of hundreds: a prompt is built again only
when what its row shows changed, and the list replaces only those.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from itertools import accumulate

from textual.content import Content
from textual.style import Style as VisualStyle

from tui.relative_time import relative_time
from tui.tasks.model import Artifact, Mark, Task
from tui.terminal_text import visible

MARK_GLYPHS = {Mark.CHANGED: "●", Mark.NEW: "+", Mark.READ: " "}


@dataclass(frozen=True)
class TaskRow:
    task: Task
    artifact: Artifact | None
    positions: tuple[int, ...] = ()
    # A task row: what runs on it now (live sessions, its plan run), or "".
    activity: str = ""

    @property
    def key(self) -> str:
        return f"a:{self.artifact.path}" if self.artifact else f"t:{self.task.path}"


class RowPrompts:
    """Prompts of task list rows, in the styles `style` gives (by component class)."""

    def __init__(self, style: Callable[[str], VisualStyle]) -> None:
        self._style_of = style
        self._styles: dict[str, VisualStyle] = {}
        # By row key: what the row showed, and its prompt.
        self._prompts: dict[str, tuple[tuple[object, ...], Content]] = {}

    def clear(self) -> None:
        """The theme changed: prompts carry its styles."""
        self._styles.clear()
        self._prompts.clear()

    def build(self, rows: list[TaskRow], now: float, width: int, unfolded: Callable[[Task], bool]) -> list[Content]:
        """A prompt for each of `rows` (`width`: of the text; `unfolded`: a task shows its
        artifacts), reusing those of rows that show the same as before."""
        prompts: dict[str, tuple[tuple[object, ...], Content]] = {}
        for row in rows:
            if row.artifact is None:
                task = row.task
                shows: tuple[object, ...] = (task.title, task.phase, task.status, task.mark, unfolded(task), width,
                                             row.activity)
                when = task.updated
            else:
                artifact = row.artifact
                shows = (artifact.number, artifact.label, artifact.mark, artifact.problem)
                when = artifact.mtime
            shows += (row.positions, relative_time(when, now))
            known = self._prompts.get(row.key)
            if known is None or known[0] != shows:
                known = (shows, self._prompt(row, now, width, unfolded))
            prompts[row.key] = known
        self._prompts = prompts
        return [prompts[row.key][1] for row in rows]

    def style(self, component: str) -> VisualStyle:
        found = self._styles.get(component)
        if found is None:
            found = self._styles[component] = self._style_of(component)
        return found

    def _prompt(self, row: TaskRow, now: float, width: int, unfolded: Callable[[Task], bool]) -> Content:
        style = self.style
        meta = style("task-list--meta")
        hit = style("task-list--match")
        if row.artifact is None:
            task = row.task
            arrow = "▾" if unfolded(task) else "▸"
            # Phase and status come from the files' front matter: data, shown with visible controls.
            details = [visible(part) for part in (task.phase, task.status) if part]
            details.append(relative_time(task.updated, now))
            if row.activity:
                details.append(row.activity)
            # Wrap the title ourselves so that continuation lines hang under its first word.
            title_lines = _highlighted(task.title, row.positions, hit).wrap(max(10, width - 4))
            title = Content("\n    ").join(title_lines) if title_lines else Content("")
            return Content.assemble(
                (f"{arrow} ", meta),
                self._mark(task.mark),
                " ",
                title,
                "\n",
                ("    " + " · ".join(details), meta),
            )
        artifact = row.artifact
        number = f"{artifact.number:02d} " if artifact.number is not None else ""
        parts: list[Content | str | tuple[str, object]] = [
            "  ",
            self._mark(artifact.mark),
            " ",
            (number, meta),
            _highlighted(artifact.label, row.positions, hit),
            (f" · {relative_time(artifact.mtime, now)}", meta),
        ]
        if artifact.problem:
            parts.append((" ⚠", style("task-list--problem")))
        return Content.assemble(*parts)  # type: ignore[arg-type]

    def _mark(self, mark: Mark) -> Content:
        if mark is Mark.CHANGED:
            return Content.styled(MARK_GLYPHS[mark], self.style("task-list--changed"))
        if mark is Mark.NEW:
            return Content.styled(MARK_GLYPHS[mark], self.style("task-list--new"))
        return Content(" ")


def _highlighted(text: str, positions: tuple[int, ...], style: object) -> Content:
    # Names and titles come from files: controls shown visibly. A C1 control or a byte that
    # is not UTF-8 shows as several characters, and the matched positions move with them.
    shown = visible(text)
    if len(shown) != len(text):
        pieces = [visible(char) for char in text]
        shown = "".join(pieces)
        starts = list(accumulate((len(piece) for piece in pieces), initial=0))
        positions = tuple(starts[position] for position in positions if position < len(text))
    content = Content(shown)
    for position in positions:
        if position < len(shown):
            content = content.stylize(style, position, position + 1)  # type: ignore[arg-type]
    return content

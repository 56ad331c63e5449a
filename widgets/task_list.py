"""The task list: tasks newest first, each expandable to its numbered artifacts, filtered by typing.

It receives `Task` objects (`set_tasks`) and posts messages; it never reads the disk. A task
row shows its change mark, title, phase, status and how long ago it changed; an artifact row
its mark, number and name. Marks: `●` changed since you last read it, `+` never opened.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.events import Key
from textual.message import Message
from textual.reactive import reactive
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from tui.tasks.filtering import match
from tui.tasks.model import Artifact, Task
from tui.terminal_text import visible
from widgets.plain_text import plain_text
from widgets.task_rows import RowPrompts, TaskRow

# Rows that changed need a rebuild when the clock moves; once a minute is enough for "5m".
REFRESH_SECONDS = 30.0


class _Rows(OptionList):
    """The option list inside `TaskList`; its component classes style marks and matches."""

    COMPONENT_CLASSES = {
        "task-list--changed",
        "task-list--new",
        "task-list--meta",
        "task-list--match",
        "task-list--problem",
    }
    DEFAULT_CSS = """
    _Rows {
        height: 1fr;
        border: none;
        padding: 0;
        background: transparent;
        & > .task-list--changed { color: $loupe-changed; text-style: bold; }
        & > .task-list--new { color: $loupe-added; text-style: bold; }
        & > .task-list--meta { color: $text-muted; }
        & > .task-list--match { color: $accent; text-style: bold underline; }
        & > .task-list--problem { color: $warning; }
    }
    _Rows:focus { border: none; }
    """
    BINDING_GROUP_TITLE = "Task list"
    # Here, not on TaskList: the list's own (inherited) left and right scroll sideways and
    # came first in the keys panel and help as "Scroll Left/Right".
    BINDINGS = [
        Binding("enter", "select", "Open", id="tasks.open"),
        Binding("right", "expand", "Expand", show=False, id="tasks.expand"),
        Binding("left", "collapse", "Collapse", show=False, id="tasks.collapse"),
    ]

    _styled_for_theme = ""

    def action_expand(self) -> None:
        if isinstance(self.parent, TaskList):
            self.parent.action_expand()

    def action_collapse(self) -> None:
        if isinstance(self.parent, TaskList):
            self.parent.action_collapse()

    def notify_style_update(self) -> None:
        super().notify_style_update()
        # Prompts carry styles resolved from the theme; a theme switch needs new ones. Focus
        # changes land here too, and need nothing.
        parent = self.parent
        if isinstance(parent, TaskList) and self.is_mounted and self.app.theme != self._styled_for_theme:
            self._styled_for_theme = self.app.theme
            parent.call_after_refresh(parent.restyle)


class TaskList(Vertical):
    DEFAULT_CSS = """
    TaskList {
        height: 1fr;
    }
    TaskList > #task-filter {
        height: 1;
        padding: 0 1;
        color: $text-muted;
        display: none;
    }
    TaskList.-filtering > #task-filter {
        display: block;
        color: $accent;
    }
    TaskList > #task-empty {
        padding: 1 1;
        color: $text-muted;
        display: none;
    }
    TaskList.-empty > #task-empty {
        display: block;
    }
    """
    BINDING_GROUP_TITLE = "Task list"
    BINDINGS = [
        Binding("escape", "clear_filter", "Clear filter", id="tasks.clear_filter"),
        Binding("ctrl+e", "start_session", "Agent on task", id="tasks.start_session"),
        # Not `p`: typing in the list filters it ("plan", "postgres").
        Binding("ctrl+r", "run_phase", "Run phase", id="tasks.run_phase"),
        Binding("ctrl+t", "open_task", "Task view", id="tasks.open_task"),
    ]

    filter_text: reactive[str] = reactive("")

    class ArtifactSelected(Message):
        """The user chose an artifact (enter or click)."""

        def __init__(self, task: Task, artifact: Artifact) -> None:
            super().__init__()
            self.task = task
            self.artifact = artifact

    class SessionRequested(Message):
        """The user asked for an agent session working on the highlighted task."""

        def __init__(self, task: Task) -> None:
            super().__init__()
            self.task = task

    class PhaseRequested(Message):
        """The user asked to run the next phase of the highlighted task."""

        def __init__(self, task: Task) -> None:
            super().__init__()
            self.task = task

    class TaskViewRequested(Message):
        """The user asked for the highlighted task's view (its timeline)."""

        def __init__(self, task: Task) -> None:
            super().__init__()
            self.task = task

    def __init__(
        self,
        *,
        now: Callable[[], float] = time.time,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.now = now
        self.tasks: tuple[Task, ...] = ()
        self.empty_message = "No tasks yet."
        self._expanded: set[Path] = set()
        self._rows: list[TaskRow] = []
        # What runs on each task (live sessions, a plan run), by task folder: one short line.
        self._activity: dict[Path, str] = {}
        # Partial styles: only what the component class sets, so the highlighted row's
        # background shows through instead of the list's own background.
        self._prompts = RowPrompts(lambda component: self.rows.get_visual_style(component, partial=True))
        self._loaded = False
        # Until the first `set_tasks`, the list is not empty but unknown: say nothing rather
        # than "No tasks yet" for a moment at every start.
        self._received = False

    def compose(self) -> ComposeResult:
        yield Static(id="task-filter")
        yield Static(id="task-empty")
        yield _Rows(id="task-rows")

    def on_mount(self) -> None:
        self.set_interval(REFRESH_SECONDS, self.rebuild)
        self.rebuild()

    @property
    def rows(self) -> _Rows:
        return self.query_one(_Rows)

    # --- data in ------------------------------------------------------------------------------

    def set_tasks(self, tasks: Sequence[Task], *, empty_message: str | None = None) -> None:
        self._received = True
        if not self._loaded and tasks:
            # First load: open the most recent task, which is what the user came to read.
            self._expanded.add(tasks[0].path)
            self._loaded = True
        self.tasks = tuple(tasks)
        if empty_message is not None:
            self.empty_message = empty_message
        known = {task.path for task in self.tasks}
        self._expanded &= known
        self.rebuild()

    def set_activity(self, activity: dict[Path, str]) -> None:
        """What runs on each task now ("2 live: research working · plan 1/3"), by folder."""
        if activity != self._activity:
            self._activity = dict(activity)
            self.rebuild()

    def select_path(self, path: Path) -> bool:
        """Highlight the task folder or artifact at `path`, expanding its task."""
        for task in self.tasks:
            if task.path == path:
                return self._highlight(f"t:{path}")
            if any(artifact.path == path for artifact in task.artifacts):
                self._expanded.add(task.path)
                self.filter_text = ""
                self.rebuild()
                return self._highlight(f"a:{path}")
        return False

    # --- rendering ------------------------------------------------------------------------------

    def restyle(self) -> None:
        """The theme changed: prompts carry its styles, so all are built again."""
        self._prompts.clear()
        self.rebuild()

    def rebuild(self) -> None:
        if not self.is_mounted:
            return
        rows_widget = self.rows
        current = rows_widget.highlighted_option
        current_id = current.id if current else None
        shown = [row.key for row in self._rows]
        self._rows = self._visible_rows()
        prompts = self._prompts.build(self._rows, self.now(), self._text_width(), self._unfolded)
        if shown == [row.key for row in self._rows] and rows_widget.option_count == len(prompts):
            for index, prompt in enumerate(prompts):
                if rows_widget.get_option_at_index(index).prompt is not prompt:
                    rows_widget.replace_option_prompt_at_index(index, prompt)
        else:
            rows_widget.set_options(Option(prompt, id=row.key) for row, prompt in zip(self._rows, prompts))
        self.set_class(self._received and not self._rows, "-empty")
        self.set_class(bool(self.filter_text), "-filtering")
        empty = self.query_one("#task-empty", Static)
        if self.filter_text and self.tasks:
            empty.update(plain_text(f"Nothing matches '{self.filter_text}'. Press esc to clear the filter."))
        else:
            empty.update(plain_text(self.empty_message))
        self.query_one("#task-filter", Static).update(
            # Muted, not dim: dimmed, the label fell to 3:1 (4.5:1 is the least for text).
            Content.assemble(("filter: ", "$text-muted"), visible(self.filter_text), ("▏", "blink"))
        )
        if self._rows:
            keys = [row.key for row in self._rows]
            if current_id in keys:
                rows_widget.highlighted = keys.index(current_id)
            elif current_id and current_id.startswith("a:"):
                parent = next((f"t:{t.path}" for t in self.tasks for a in t.artifacts if f"a:{a.path}" == current_id), None)
                rows_widget.highlighted = keys.index(parent) if parent in keys else 0
            else:
                rows_widget.highlighted = 0

    def _visible_rows(self) -> list[TaskRow]:
        query = self.filter_text.strip()
        if not query:
            rows: list[TaskRow] = []
            for task in self.tasks:
                rows.append(TaskRow(task, None, activity=self._activity.get(task.path, "")))
                if task.path in self._expanded:
                    rows.extend(TaskRow(task, artifact) for artifact in task.artifacts)
            return rows
        scored: list[tuple[int, list[TaskRow]]] = []
        for task in self.tasks:
            title_hit = match(query, task.title)
            slug_hit = None if title_hit else match(query, task.slug)
            artifact_hits = [(hit, artifact) for artifact in task.artifacts if (hit := _artifact_match(query, artifact))]
            if title_hit is None and slug_hit is None and not artifact_hits:
                continue
            group = [TaskRow(task, None, title_hit[1] if title_hit else (), self._activity.get(task.path, ""))]
            if artifact_hits:
                group.extend(TaskRow(task, artifact, hit[1]) for hit, artifact in artifact_hits)
            elif task.path in self._expanded:
                group.extend(TaskRow(task, artifact) for artifact in task.artifacts)
            scores = [hit[0] for hit in (title_hit, slug_hit) if hit] + [hit[0] for hit, _ in artifact_hits]
            scored.append((max(scores), group))
        # Best match first; `sorted` is stable, so equal scores keep newest first.
        return [row for _, group in sorted(scored, key=lambda pair: -pair[0]) for row in group]

    def _unfolded(self, task: Task) -> bool:
        return task.path in self._expanded or bool(self.filter_text and self._has_artifact_rows(task))

    def _text_width(self) -> int:
        rows = self.rows
        padding = rows.get_component_styles("option-list--option").padding
        return rows.scrollable_content_region.width - padding.width

    def on_resize(self) -> None:
        self.rebuild()

    def _has_artifact_rows(self, task: Task) -> bool:
        return any(row.task.path == task.path and row.artifact for row in self._rows)

    def _highlight(self, key: str) -> bool:
        keys = [row.key for row in self._rows]
        if key not in keys:
            return False
        self.rows.highlighted = keys.index(key)
        return True

    def _current(self) -> TaskRow | None:
        index = self.rows.highlighted
        if index is None or not 0 <= index < len(self._rows):
            return None
        return self._rows[index]

    # --- input --------------------------------------------------------------------------------

    def watch_filter_text(self) -> None:
        self.rebuild()
        if self.filter_text and self._rows:
            # Land on the first matching artifact, so typing then enter opens it.
            first_artifact = next((i for i, row in enumerate(self._rows) if row.artifact), None)
            if first_artifact is not None and first_artifact <= 1:
                self.rows.highlighted = first_artifact

    def on_key(self, event: Key) -> None:
        if event.key == "backspace" and self.filter_text:
            self.filter_text = self.filter_text[:-1]
        # A space or ? first is a key (? shows help), not the start of a filter.
        elif event.is_printable and event.character and (event.character not in " ?" or self.filter_text):
            self.filter_text += event.character
        else:
            return
        event.stop()
        event.prevent_default()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "clear_filter":
            return bool(self.filter_text)
        return True

    def action_clear_filter(self) -> None:
        self.filter_text = ""

    def current_task(self) -> Task | None:
        """The highlighted task (the task of a highlighted artifact too)."""
        row = self._current()
        return row.task if row is not None else None

    def _request(self, make: Callable[[Task], Message]) -> None:
        """Post `make(task)` for the highlighted task; say what to do when there is none."""
        task = self.current_task()
        if task is None:
            self.notify("Highlight a task first.", severity="warning")
            return
        self.post_message(make(task))

    def action_start_session(self) -> None:
        self._request(self.SessionRequested)

    def action_run_phase(self) -> None:
        self._request(self.PhaseRequested)

    def action_open_task(self) -> None:
        self._request(self.TaskViewRequested)

    def action_expand(self) -> None:
        row = self._current()
        if row is None:
            return
        if row.artifact is None and row.task.path not in self._expanded:
            self._expanded.add(row.task.path)
            self.rebuild()
        elif row.artifact is None and row.task.artifacts:
            self.rows.action_cursor_down()

    def action_collapse(self) -> None:
        row = self._current()
        if row is None:
            return
        if row.artifact is not None:
            self._highlight(f"t:{row.task.path}")
        elif row.task.path in self._expanded:
            self._expanded.discard(row.task.path)
            self.rebuild()

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if not 0 <= event.option_index < len(self._rows):
            return
        row = self._rows[event.option_index]
        if row.artifact is not None:
            self.post_message(self.ArtifactSelected(row.task, row.artifact))
        elif row.task.path in self._expanded:
            self._expanded.discard(row.task.path)
            self.rebuild()
        else:
            self._expanded.add(row.task.path)
            self.rebuild()


def _artifact_match(query: str, artifact: Artifact) -> tuple[int, tuple[int, ...]] | None:
    """Match the label (positions usable for highlighting), else the file name ("03", "plan.md")."""
    hit = match(query, artifact.label)
    if hit is not None:
        return hit
    by_name = match(query, artifact.name)
    return (by_name[0], ()) if by_name else None


"""Search every thread's messages (the store's FTS5 index) and open one at the message.

The screen does no I/O itself: the threads view hands it a `search(query)` function, which
runs on a worker thread as the user types (debounced). Enter on a result dismisses with it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.timer import Timer
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from tui.dialogs.base import Dialog
from tui.terminal_text import visible
from widgets.plain_text import plain_text

# Seconds of quiet typing before a search runs.
DEBOUNCE = 0.15
IDLE_STATUS = "Type to search finished messages in every thread · esc closes."
# The store's snippets mark matches as [word].
_MATCH = re.compile(r"\[([^\[\]]*)\]")


@dataclass(frozen=True)
class SearchResult:
    thread_id: str
    thread_title: str
    message_id: str
    role: str
    snippet: str
    # Titles of the other threads that have this message (forks share their history): the
    # message is listed once, under the thread that wrote it.
    also_in: tuple[str, ...] = ()


def also_in_content(titles: tuple[str, ...]) -> Content:
    """“+3 threads: a, b, c” (the first few titles), or nothing for a message of one thread."""
    if not titles:
        return Content("")
    shown = ", ".join(visible(title or "untitled") for title in titles[:3])
    more = "…" if len(titles) > 3 else ""
    noun = "thread" if len(titles) == 1 else "threads"
    return Content.styled(f"  +{len(titles)} {noun}: {shown}{more}", "$text-muted italic")


def snippet_content(snippet: str) -> Content:
    """The snippet with its matches highlighted, on one line."""
    parts: list[Content | str] = []
    position = 0
    flat = visible(" ".join(snippet.split()))
    for match in _MATCH.finditer(flat):
        parts.append(flat[position : match.start()])
        parts.append(Content.styled(match.group(1), "bold $accent"))
        position = match.end()
    parts.append(flat[position:])
    return Content.assemble(*parts)


class ThreadSearchScreen(Dialog[SearchResult]):
    SIZE = "wide"
    BINDINGS = [Binding("down", "results", "Results", show=False, id="thread_search.results")]

    def __init__(self, search: Callable[[str], list[SearchResult]], query: str = "") -> None:
        super().__init__("Search threads")
        self._search = search
        self._query = query
        self._timer: Timer | None = None
        self.results: list[SearchResult] = []
        # The query whose results are shown (tests wait on it).
        self.shown_query: str | None = None

    def compose_body(self) -> ComposeResult:
        yield Input(self._query, placeholder="Words to find in any thread (word* for a prefix)")
        yield Static(IDLE_STATUS, id="search-status", classes="dialog-body")
        yield OptionList()

    def on_mount(self) -> None:
        self.query_one(Input).focus()
        if self._query:
            self._run(self._query)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if self._timer is not None:
            self._timer.stop()
        query = event.value
        self._timer = self.set_timer(DEBOUNCE, lambda: self._run(query))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self.results and self.shown_query == event.value:
            self.dismiss(self.results[0])
        else:
            self._run(event.value)

    @work(thread=True, exclusive=True, group="thread-search")
    def _run(self, query: str) -> None:
        try:
            results = self._search(query) if query.strip() else []
            problem = ""
        except Exception as exc:  # a broken store must not take the dialog down
            results, problem = [], f"Search failed: {exc}"
        self.app.call_from_thread(self._show, query, results, problem)

    def _show(self, query: str, results: list[SearchResult], problem: str) -> None:
        if query != self.query_one(Input).value:
            return  # the user typed on; a newer search is coming
        self.results = results
        self.shown_query = query
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options(
            Option(
                Content.assemble(
                    plain_text(result.thread_title or "untitled", "bold"),
                    also_in_content(result.also_in),
                    Content.styled(f"  {result.role}  ", "$text-muted"),
                    snippet_content(result.snippet),
                ),
                id=str(index),
            )
            for index, result in enumerate(results)
        )
        self.show_error(problem)
        status = self.query_one("#search-status", Static)
        if problem or not query.strip():
            status.update(IDLE_STATUS)
        elif not results:
            status.update(plain_text(f"Nothing matches “{query}”."))
        else:
            status.update(f"{len(results)} found · enter opens the first · ↓ to choose · esc closes")

    def action_results(self) -> None:
        options = self.query_one(OptionList)
        if self.results and not options.has_focus:
            options.focus()
            options.highlighted = 0

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if event.option.id is not None:
            self.dismiss(self.results[int(event.option.id)])

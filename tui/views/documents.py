"""The document area: tabs of read-only panes (artifacts, code, chat threads)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

from textual import getters, on
from textual.binding import Binding
from textual.app import ComposeResult
from textual.await_complete import AwaitComplete
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.widget import Widget
from textual.widgets import Static, TabbedContent, TabPane

from tui.app_base import AppBase
from tui.docs.open_tabs import OpenTabs
from tui.docs.open_tabs import load as load_tabs
from tui.docs.open_tabs import save as save_tabs
from tui.messages import LeavingPlace, TabRetitled
from widgets.focus import focus_when_ready
from widgets.plain_text import plain_text


def pane_id(key: str) -> str:
    """A stable widget id for a document key (a path, a thread id)."""
    # surrogateescape: a path whose name is not UTF-8 holds surrogates, its bytes on disk.
    return "doc-" + hashlib.sha1(key.encode("utf-8", "surrogateescape")).hexdigest()[:12]


# Places the back key can return to; the oldest are forgotten.
BACK_LIMIT = 50


class DocumentsView(Vertical):
    """Holds one tab per open document. Callers say what to show; this decides where."""

    app = getters.app(AppBase)

    BINDINGS = [
        Binding("backspace,alt+left", "back", "Back", id="documents.back"),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        # By pane id: the tab's own title, and the file it shows (None: not a file).
        self._titles: dict[str, tuple[str, Path | None]] = {}
        # By pane id: the key it was opened with ("artifact:<path>", "thread:<id>"...).
        self._keys: dict[str, str] = {}
        # Tabs being added (TabbedContent mounts them after `add_pane` returns).
        self._adding: list[AwaitComplete] = []
        self._wanted: str | None = None
        # Where the reader was each time a link was followed (document, top line), last last.
        self._back: list[tuple[Path, int | None]] = []

    def compose(self) -> ComposeResult:
        yield Static(
            "Open a task's artifact from the list on the left, or press ctrl+p for commands.",
            classes="empty-hint",
            id="documents-empty",
        )
        yield TabbedContent(id="document-tabs")

    def on_mount(self) -> None:
        self._sync_empty()
        if self.app.services.workspace.open_file is None:
            # The tabs of the last run come back once the first screen is shown.
            self.app.after_startup(self._restore_tabs)
            # Load the document panes' libraries in the background while the user looks
            # around, so the first artifact opens at full speed (opening a file at start
            # loads them anyway).
            self.set_timer(1.0, self._warm_up)

    def _warm_up(self) -> None:
        from tui.docs.warmup import warm_up

        self.run_worker(warm_up, thread=True, group="documents-warm-up", exit_on_error=False)

    def open_pane(self, key: str, title: str, make: Callable[[], Widget], *, path: Path | None = None) -> Widget:
        """Show the pane for `key`, creating it with `make()` the first time. A file's tab
        (`path`) is named after its folder too while another open tab has the same name."""
        tabs = self.query_one("#document-tabs", TabbedContent)
        ident = pane_id(key)
        existing = tabs.query(f"#{ident}")
        if existing:
            tabs.active = ident
            self._wanted = ident
            pane = existing.first(TabPane)
            return pane.children[0] if pane.children else pane
        widget = make()
        self._keys[ident] = key
        self._titles[ident] = (title, path)
        # Plain text: file names and thread titles are data, never markup.
        self._adding = [added for added in self._adding if not added.is_done]
        self._adding.append(tabs.add_pane(TabPane(plain_text(title), widget, id=ident)))
        tabs.active = ident
        # Tabs are added asynchronously: with several opened at once (a restore, quick
        # clicks), the last one asked for is shown once they are all there.
        self._wanted = ident
        self.call_after_refresh(self._show_wanted)
        self._sync_empty()
        self._name_tabs()
        return widget

    async def _show_wanted(self) -> None:
        # TabbedContent shows its first tab as tabs mount, over the `active` set when each
        # was added: once they are all mounted, show the one asked for last.
        for added in list(self._adding):
            await added
        tabs = self.query_one("#document-tabs", TabbedContent)
        wanted = self._wanted
        if wanted is not None and tabs.query(f"#{wanted}") and tabs.active != wanted:
            tabs.active = wanted

    @on(TabRetitled)
    def _retitled(self, message: TabRetitled) -> None:
        message.stop()
        pane = next((a for a in message.document.ancestors if isinstance(a, TabPane)), None)
        # Gone already: the tab closed while a reply's title update was on its way.
        if pane is not None and pane.id in self._titles:
            path = self._titles[pane.id][1]
            self._titles[pane.id] = (message.title, path)
            self._name_tabs()

    def _name_tabs(self) -> None:
        """Tabs of files with the same name say which folder (task) each is in."""
        tabs = self.query_one("#document-tabs", TabbedContent)
        names: dict[str, int] = {}
        for title, path in self._titles.values():
            if path is not None:
                names[title] = names.get(title, 0) + 1
        for ident, (title, path) in self._titles.items():
            shown = f"{title} · {path.parent.name}" if path is not None and names[title] > 1 else title
            try:
                tab = tabs.get_tab(ident)
            except NoMatches:
                continue  # closing: its label goes first, its pane after
            if tab.label_text != shown:
                tab.label = plain_text(shown)

    def open_path(self, path: Path, line: int | None = None, *, anchor: str = "") -> Widget:
        """Show a file: markdown as an artifact, anything else in the code view."""
        from tui.docs.loader import is_markdown

        if is_markdown(path):
            return self.open_artifact(path, anchor=anchor, line=line)
        return self.open_code(path, line)

    def open_artifact(self, path: Path, *, anchor: str = "", line: int | None = None, focus: bool = True) -> Widget:
        # Imported here: the reading view is not needed until a document opens.
        from tui.views.artifact import ArtifactDocument

        existing = self.find_pane(f"artifact:{path}")
        widget = self.open_pane(
            f"artifact:{path}", path.name, lambda: ArtifactDocument(path, anchor=anchor, line=line), path=path
        )
        if existing is not None and isinstance(widget, ArtifactDocument) and (anchor or line):
            widget.go_to(anchor, line)
        if focus:
            self.focus_when_shown(widget, pane_id(f"artifact:{path}"))
        return widget

    def open_code(self, path: Path, line: int | None = None, *, focus: bool = True) -> Widget:
        from tui.views.code import CodeDocument

        existing = self.find_pane(f"code:{path}")
        title = f"{path.name}:{line}" if line else path.name
        widget = self.open_pane(f"code:{path}", title, lambda: CodeDocument(path, line=line), path=path)
        if existing is not None and isinstance(widget, CodeDocument):
            widget.go_to(line)
        if focus:
            self.focus_when_shown(widget, pane_id(f"code:{path}"))
        return widget

    # ------------------------------------------------------------------ kept between runs

    def open_tabs(self) -> OpenTabs:
        """The tabs open now, in their order, with where each reader is."""
        from tui.views.open_tabs_ui import tab_of

        tabs = self.query_one("#document-tabs", TabbedContent)
        state = OpenTabs()
        for ident in self._pane_ids():
            key = self._keys.get(ident)
            pane = tabs.get_pane(ident)
            document = pane.children[0] if pane.children else None
            tab = tab_of(key, self._titles[ident][0], document) if key is not None else None
            if tab is not None:
                if ident == tabs.active:
                    state.active = len(state.tabs)
                state.tabs.append(tab)
        return state

    def keep_open_tabs(self) -> None:
        """Save the open tabs for the next run (the app calls this as it exits)."""
        save_tabs(self.app.services.workspace.data_dir, self.open_tabs())

    def _restore_tabs(self) -> None:
        data_dir = self.app.services.workspace.data_dir

        def read() -> None:
            state = load_tabs(data_dir)
            if state.tabs:
                self.app.call_from_thread(self._reopen, state)

        self.run_worker(read, thread=True, group="documents-restore", exit_on_error=False)

    async def show_tab_when_added(self, index: int) -> None:
        """Show the tab at `index` once every tab opened so far is mounted (TabbedContent
        shows its first tab when the tabs mount, over an `active` set before)."""
        adding, self._adding = self._adding, []
        for added in adding:
            await added
        self.show_tab(index, focus=False)

    def _reopen(self, state: OpenTabs) -> None:
        from tui.views.open_tabs_ui import reopen

        gone = reopen(self, state)
        if gone:
            self.notify(
                f"Not reopened, no longer on disk: {', '.join(gone)}", title="Tabs", severity="warning", markup=False
            )

    def focus_when_shown(self, widget: Widget, ident: str) -> None:
        """Focus `widget`, the document of tab `ident`, once it is mounted and shown; not if
        another tab is asked for first, the tab is closed, or the reader moves the focus."""
        focus = getattr(widget, "focus_document", None)
        if not callable(focus):
            return

        def focus_if_shown() -> bool:
            if self._wanted != ident:
                return True  # another tab asked for since (or this one closed): leave the focus
            # Tabs mount asynchronously; until this one is shown it cannot take the focus.
            return self.active_document() is widget and bool(focus())

        focus_when_ready(self, focus_if_shown)

    @on(LeavingPlace)
    def _leaving(self, message: LeavingPlace) -> None:
        message.stop()
        self._back = [*self._back, (message.path, message.line)][-BACK_LIMIT:]
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "back":
            return bool(self._back)
        return True

    def action_back(self) -> None:
        """Return to where the reader was before the last link they followed."""
        if not self._back:
            return
        path, line = self._back.pop()
        self.refresh_bindings()
        if not path.exists():
            self.notify(f"{path.name} is no longer on disk.", severity="warning", markup=False)
            return
        # Opened again if its tab was closed since; scrolled back to the block it showed.
        self.open_artifact(path, line=line or 1)

    def focus_active(self) -> bool:
        """Focus the document of the tab shown; False if there is none."""
        document = self.active_document()
        focus = getattr(document, "focus_document", None)
        if document is None:
            return False
        if callable(focus):
            if not focus():
                self.focus_when_shown(document, self.query_one("#document-tabs", TabbedContent).active)
        else:
            document.focus()
        return True

    def active_document(self) -> Widget | None:
        tabs = self.query_one("#document-tabs", TabbedContent)
        pane = tabs.active_pane
        return pane.children[0] if pane is not None and pane.children else None

    def active_unsent(self) -> tuple[str, str] | None:
        """The shown tab's title and what closing it would lose (a chat's unsent message), or
        None when closing it loses nothing."""
        tabs = self.query_one("#document-tabs", TabbedContent)
        return self._unsent(tabs.active) if tabs.active else None

    def unsent_everywhere(self) -> list[tuple[str, str]]:
        """Each tab that closing would lose something of: its title and what, in tab order."""
        return [unsent for ident in self._pane_ids() if (unsent := self._unsent(ident)) is not None]

    def _unsent(self, ident: str) -> tuple[str, str] | None:
        found = self.query(f"#{ident}")
        document = found.first().children[0] if found and found.first().children else None
        unsent = getattr(document, "unsent_work", None)
        lost = unsent() if callable(unsent) else ""
        return (self._titles.get(ident, ("this tab", None))[0], lost) if lost else None

    def palette_commands(self) -> list[tuple[str, str, Callable[[], object]]]:
        """The active document's commands (hidden tabs offer none)."""
        document = self.active_document()
        commands = getattr(document, "document_commands", None)
        return list(commands()) if callable(commands) else []

    def find_pane(self, key: str) -> Widget | None:
        found = self.query(f"#{pane_id(key)}")
        if not found:
            return None
        pane = found.first(TabPane)
        return pane.children[0] if pane.children else None

    def close_pane(self, key: str) -> None:
        """Close the tab showing `key`, if one is open (e.g. a deleted thread)."""
        ident = pane_id(key)
        tabs = self.query_one("#document-tabs", TabbedContent)
        if tabs.query(f"#{ident}"):
            self._titles.pop(ident, None)
            self._keys.pop(ident, None)
            tabs.remove_pane(ident)
            self.call_after_refresh(self._sync_empty)
            self._name_tabs()

    def cycle_tab(self, step: int) -> None:
        """Show the next (1) or previous (-1) tab, round the end, and focus its document."""
        tabs = self.query_one("#document-tabs", TabbedContent)
        panes = self._pane_ids()
        if not panes:
            return
        index = panes.index(tabs.active) if tabs.active in panes else 0
        self.show_tab((index + step) % len(panes))

    def show_tab(self, index: int, *, focus: bool = True) -> None:
        """Show the tab at `index` (0 is the first; past the last: nothing) and focus it."""
        panes = self._pane_ids()
        if 0 <= index < len(panes):
            self.query_one("#document-tabs", TabbedContent).active = panes[index]
            self._wanted = panes[index]
            if focus:
                self.focus_active()

    def _pane_ids(self) -> list[str]:
        # In the order the tabs are shown (each is added at the end), mounted yet or not.
        return list(self._keys)

    @property
    def has_tabs(self) -> bool:
        return self.query_one("#document-tabs", TabbedContent).tab_count > 0

    async def close_active(self) -> None:
        """Close the tab shown; the next one is shown (the caller decides where focus goes)."""
        tabs = self.query_one("#document-tabs", TabbedContent)
        if tabs.active:
            if self._wanted == tabs.active:
                self._wanted = None
            self._titles.pop(tabs.active, None)
            self._keys.pop(tabs.active, None)
            await tabs.remove_pane(tabs.active)
            self._sync_empty()
            self._name_tabs()

    def _sync_empty(self) -> None:
        tabs = self.query_one("#document-tabs", TabbedContent)
        has_tabs = tabs.tab_count > 0
        tabs.display = has_tabs
        self.query_one("#documents-empty").display = not has_tabs

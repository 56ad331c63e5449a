"""The threads list: each fork nested under the thread it was forked from."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.message import Message
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from tui.terminal_text import visible


@dataclass(frozen=True)
class ThreadInfo:
    """What the tree shows about a thread. Views build these from the thread store."""

    id: str
    title: str
    forked_from: str | None = None
    archived: bool = False
    message_count: int = 0
    # A reply is being written in this thread right now.
    streaming: bool = False
    # Short age of the last change, e.g. "3m", "2d".
    age: str = ""


def nest(threads: Sequence[ThreadInfo]) -> dict[str | None, list[ThreadInfo]]:
    """Children by parent id; a fork whose parent is not listed is shown at the top level."""
    known = {thread.id for thread in threads}
    children: dict[str | None, list[ThreadInfo]] = {}
    for thread in threads:
        parent = thread.forked_from if thread.forked_from in known else None
        children.setdefault(parent, []).append(thread)
    return children


def thread_label(thread: ThreadInfo) -> Text:
    # Tree labels are Rich Text, so theme variables are not available; dim/bold carry meaning.
    label = Text()
    if thread.streaming:
        label.append("● ", "bold")
    # A title is data (a first message, an agent's prompt): Text is not markup, and its
    # controls are shown, not sent to the terminal.
    label.append(visible(thread.title or "untitled"), "italic dim" if thread.archived else "")
    extra = " · ".join(
        part for part in (str(thread.message_count) if thread.message_count else "", thread.age) if part
    )
    if extra:
        label.append(f"  {extra}", "dim")
    if thread.archived:
        label.append("  archived", "dim")
    return label


class ThreadTree(Tree[str]):
    """A tree of threads; `set_threads` rebuilds it keeping the cursor and folded forks."""

    DEFAULT_CSS = """
    ThreadTree {
        height: 1fr;
        background: transparent;
        padding: 0 0;
    }
    """

    class Opened(Message):
        """Enter or a click on a thread."""

        def __init__(self, tree: ThreadTree, thread_id: str) -> None:
            super().__init__()
            self.tree = tree
            self.thread_id = thread_id

        @property
        def control(self) -> ThreadTree:
            return self.tree

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__("threads", name=name, id=id, classes=classes)
        self.show_root = False
        self.auto_expand = False
        self._threads: dict[str, ThreadInfo] = {}
        self._collapsed: set[str] = set()
        self._restoring: str | None = None

    @property
    def threads(self) -> dict[str, ThreadInfo]:
        return dict(self._threads)

    @property
    def selected_thread(self) -> ThreadInfo | None:
        node = self.cursor_node
        if node is not None and node.data:
            return self._threads.get(node.data)
        # Between a rebuild and the cursor's return (the next refresh), keep answering.
        return self._threads.get(self._restoring) if self._restoring else None

    def set_threads(self, threads: Sequence[ThreadInfo], *, select: str | None = None) -> None:
        current = select or (self.cursor_node.data if self.cursor_node is not None else self._restoring)
        if list(threads) == list(self._threads.values()) and (select is None or select == current):
            return  # nothing changed: keep the tree (and the cursor) as it is
        for node in self._all_nodes():
            if node.data and node.allow_expand and not node.is_expanded:
                self._collapsed.add(node.data)
            elif node.data:
                self._collapsed.discard(node.data)
        self._threads = {thread.id: thread for thread in threads}
        children = nest(threads)
        self.clear()
        wanted: TreeNode[str] | None = None

        def add(parent: TreeNode[str], parent_id: str | None) -> None:
            nonlocal wanted
            for thread in children.get(parent_id, []):
                has_forks = bool(children.get(thread.id))
                node = parent.add(
                    thread_label(thread),
                    data=thread.id,
                    expand=thread.id not in self._collapsed,
                    allow_expand=has_forks,
                )
                if thread.id == current:
                    wanted = node
                add(node, thread.id)

        add(self.root, None)
        if wanted is None and self.has_focus and self.root.children:
            wanted = self.root.children[0]  # the list is focused: keep a thread under the cursor
        if wanted is not None:
            target = wanted
            self._restoring = target.data

            def restore() -> None:
                self.move_cursor(target)
                self._restoring = None

            self.call_after_refresh(restore)

    def select_thread(self, thread_id: str) -> None:
        for node in self._all_nodes():
            if node.data == thread_id:
                parent = node.parent
                while parent is not None:
                    parent.expand()
                    parent = parent.parent
                self.move_cursor(node)
                return

    def _all_nodes(self) -> list[TreeNode[str]]:
        found: list[TreeNode[str]] = []
        pending = list(self.root.children)
        while pending:
            node = pending.pop()
            found.append(node)
            pending.extend(node.children)
        return found

    def on_focus(self) -> None:
        # Tree starts with no cursor line: without one, the first key (delete, f2, enter) on
        # a list just tabbed into would apply to nothing.
        if self.cursor_node is None and self._restoring is None and self.root.children:
            self.move_cursor(self.root.children[0])

    def on_tree_node_selected(self, event: Tree.NodeSelected[str]) -> None:
        event.stop()
        if event.node.data:
            self.post_message(self.Opened(self, event.node.data))

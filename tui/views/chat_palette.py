"""The command palette's entries for a chat thread shown in the active tab."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from tui.threads.chat_data import ThreadSnapshot
from tui.views.chat_endpoints import EndpointPicker
from widgets.chat.chat_log import ChatLog

Command = tuple[str, str, Callable[[], object]]


class PaletteHost(Protocol):
    """What of the chat pane its palette entries name (the pane's own actions)."""

    @property
    def log(self) -> ChatLog: ...

    @property
    def snapshot(self) -> ThreadSnapshot | None: ...

    @property
    def is_streaming(self) -> bool: ...

    @property
    def endpoints(self) -> EndpointPicker: ...

    def action_reduce(self) -> None: ...

    def action_export(self) -> None: ...

    def action_copy_markdown(self) -> None: ...

    def action_cancel_reply(self) -> None: ...

    def action_fork_point(self) -> None: ...

    def action_parent(self) -> None: ...

# Per selected message: the palette's title, its help, and the log's action for it.
_MESSAGE_ACTIONS = (
    ("Thread: fork at the selected message", "A new thread from here; nothing is copied", "fork"),
    ("Thread: edit the selected message", "Make an edited sibling (save, or save and rerun)", "edit"),
    ("Thread: regenerate the selected reply", "Ask again; the new reply is a sibling", "regenerate"),
    ("Thread: map the selected message", "Fork one branch per follow-up question", "map"),
)


def thread_commands(pane: PaletteHost) -> list[Command]:
    """What the palette offers for `pane`'s thread: always, while a reply runs, in a fork, and
    for the selected message."""
    log = pane.log
    commands: list[Command] = [
        ("Thread: reduce branches", "Bring forks of this thread back as one message", pane.action_reduce),
        ("Thread: export as markdown", "Write the thread to a .md file (asks where)", pane.action_export),
        ("Thread: copy as markdown", "The whole thread, to the clipboard", pane.action_copy_markdown),
    ]
    if pane.is_streaming:
        commands.append(("Thread: stop the reply", "Keep what arrived, marked cancelled", pane.action_cancel_reply))
    if pane.snapshot and pane.snapshot.thread.forked_from:
        commands.append(("Thread: go to the fork point", "Select the message this fork starts from", pane.action_fork_point))
        commands.append(("Thread: open the parent thread", "The thread this one was forked from", pane.action_parent))
    if log.selected_id:
        for title, help_text, kind in _MESSAGE_ACTIONS:
            commands.append((title, help_text, lambda kind=kind: log.action_request(kind)))
        commands.append(("Thread: copy the selected message", "To the clipboard", log.action_copy))
        commands.append(
            ("Thread: select lines of the message", "v: j/k extend, y copies, escape leaves", log.action_select_lines)
        )
    commands.extend(pane.endpoints.commands())
    return commands

"""Forkable chat threads: an immutable message tree in SQLite (no textual here).

Start with `tui.threads.store.ThreadStore` (its docstring is the API tour) and the data model
in `tui.threads.model`. `tui.threads.reply` streams a model's reply into a thread;
`tui.threads.export` renders a thread as markdown; `tui.threads.cli` is `loupe thread`.
"""

from tui.threads.errors import (
    MessageFinished,
    StoreError,
    ThreadBusy,
    UnknownMessage,
    UnknownThread,
    UnsafeForkPoint,
)
from tui.threads.model import (
    FamilyMember,
    Message,
    MessageSource,
    Role,
    SearchHit,
    SiblingPosition,
    Status,
    Thread,
    Usage,
)
from tui.threads.store import ThreadStore, default_path

__all__ = [
    "FamilyMember", "Message", "MessageFinished", "MessageSource", "Role", "SearchHit",
    "SiblingPosition", "Status", "StoreError", "Thread", "ThreadBusy", "ThreadStore",
    "UnknownMessage", "UnknownThread", "UnsafeForkPoint", "Usage", "default_path",
]

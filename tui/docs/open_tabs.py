"""The document tabs a workspace had open, and where each was, kept from one run to the next.

Written to the workspace's data folder when loupe exits and read when it starts, so a
restart brings the same documents back at the same places. A file that is gone by then is
left out (the caller says so); a file that does not parse is an empty list, never an error.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tui.private_files import private_dir, write_private

FILE_NAME = "open-tabs.json"
KINDS = ("artifact", "code", "thread")


@dataclass(frozen=True)
class OpenTab:
    kind: str  # "artifact" or "code" (target: a file's path), "thread" (target: its id)
    target: str
    line: int | None = None  # the source line at the top of the view, 1-based
    title: str = ""  # a thread's title, for its tab


@dataclass
class OpenTabs:
    tabs: list[OpenTab] = field(default_factory=list)
    active: int | None = None  # index of the tab shown


def tabs_file(data_dir: Path) -> Path:
    return data_dir / FILE_NAME


def save(data_dir: Path, state: OpenTabs) -> None:
    private_dir(data_dir)
    write_private(tabs_file(data_dir), json.dumps(
        {"tabs": [asdict(tab) for tab in state.tabs], "active": state.active}, indent=1
    ))


def load(data_dir: Path) -> OpenTabs:
    try:
        raw = json.loads(tabs_file(data_dir).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return OpenTabs()
    if not isinstance(raw, dict) or not isinstance(raw.get("tabs"), list):
        return OpenTabs()
    tabs = []
    for item in raw["tabs"]:
        if not isinstance(item, dict) or item.get("kind") not in KINDS or not isinstance(item.get("target"), str):
            continue
        line = item.get("line")
        title = item.get("title")
        tabs.append(OpenTab(
            item["kind"], item["target"],
            line if isinstance(line, int) and line > 0 else None,
            title if isinstance(title, str) else "",
        ))
    active = raw.get("active")
    return OpenTabs(tabs, active if isinstance(active, int) and 0 <= active < len(tabs) else None)

"""Reading the guard's audit log: one JSON line per refusal, appended by `refusal.append`.

Lines that do not parse (a crash mid-write, a hand edit) are skipped rather than failing the
whole log; a line still being written (no newline yet) is left for the next read.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tui.guard.credentials import hide_url_credentials


# Few-word labels for a refused ref update, for one-line summaries.
SHORT_CHANGE = {
    "delete": "deleted",
    "tag-move": "moved",
    "non-fast-forward": "rewritten",
    "unknown-remote-commit": "would drop unfetched commits",
    "not-a-commit": "replaced",
}


def short_ref(ref: str) -> str:
    if ref.startswith("refs/heads/"):
        return ref[len("refs/heads/") :]
    if ref.startswith("refs/tags/"):
        return "tag " + ref[len("refs/tags/") :]
    return ref


def default_path() -> Path:
    from tui import locations

    return locations.data_dir() / "guard" / "audit.jsonl"


@dataclass(frozen=True)
class AuditEntry:
    time: str
    session: str | None
    directory: str
    command: list[str]
    reason: str
    remote: str | None = None
    refs: list[dict[str, str]] = field(default_factory=list)
    # The git command the guard stopped, when it ran nested inside `command` (an alias).
    refused: list[str] = field(default_factory=list)
    # A few words for refusals of a whole command (no refs): "--no-verify", "send-pack".
    what: str = ""

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AuditEntry:
        command = data.get("command") or []
        refs = data.get("refs") or []
        refused = data.get("refused")
        # Lines written before the guard hid URL credentials may still hold a token.
        hide = hide_url_credentials
        return cls(
            time=str(data.get("time", "")),
            session=str(data["session"]) if data.get("session") else None,
            directory=str(data.get("directory", "")),
            command=[hide(str(word)) for word in command] if isinstance(command, list) else [hide(str(command))],
            reason=hide(str(data.get("reason", ""))),
            remote=hide(str(data["remote"])) if data.get("remote") else None,
            refs=[dict(ref) for ref in refs if isinstance(ref, dict)],
            refused=[hide(str(word)) for word in refused] if isinstance(refused, list) else [],
            what=str(data.get("what") or ""),
        )

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @property
    def command_line(self) -> str:
        from tui.guard.refusal import shell_words

        return shell_words(self.command)

    @property
    def ref_names(self) -> list[str]:
        return [str(ref.get("ref", "")) for ref in self.refs]

    @property
    def summary(self) -> str:
        """What was refused, in a few words: "main rewritten, tag v1 moved" or the reason."""
        if self.refs:
            return ", ".join(
                f"{short_ref(str(ref.get('ref', '?')))} {SHORT_CHANGE.get(str(ref.get('change')), ref.get('change', ''))}"
                for ref in self.refs
            )
        return self.what or self.reason


def parse_lines(data: bytes) -> list[AuditEntry]:
    entries = []
    for raw in data.splitlines():
        try:
            value = json.loads(raw)
        except ValueError:
            continue
        if isinstance(value, dict):
            entries.append(AuditEntry.from_json(value))
    return entries


def read_entries(path: Path | None = None) -> list[AuditEntry]:
    """Every refusal in the log, oldest first; an absent log has none."""
    entries, _ = read_from(path or default_path(), 0)
    return entries


def read_from(path: Path, offset: int) -> tuple[list[AuditEntry], int]:
    """Entries in complete lines after byte `offset`, and the offset to continue from.

    A log shorter than `offset` was truncated or replaced, so it is read from the start.
    """
    try:
        with path.open("rb") as handle:
            handle.seek(0, 2)
            if handle.tell() < offset:
                offset = 0
            handle.seek(offset)
            data = handle.read()
    except FileNotFoundError:
        return [], 0
    complete = data.rfind(b"\n") + 1
    return parse_lines(data[:complete]), offset + complete

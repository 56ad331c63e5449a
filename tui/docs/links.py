"""Where a link in a document leads: a web page, another file (at a line), or a heading."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

EXTERNAL_SCHEMES = frozenset({"http", "https", "mailto", "ftp"})
_LINE_SUFFIX = re.compile(r"^(?P<path>.+?):(?P<line>\d+)(?::\d+)?$")
_LINE_FRAGMENT = re.compile(r"^L(?P<line>\d+)(?:C\d+)?(?:-L?\d+(?:C\d+)?)?$")


@dataclass(frozen=True, slots=True)
class LinkTarget:
    kind: str  # "url", "file", "anchor" or "invalid"
    url: str = ""
    path: Path | None = None
    line: int | None = None
    anchor: str = ""  # a heading slug, in this document ("anchor") or in `path`
    reason: str = ""  # why an "invalid" link cannot be followed


def resolve_link(href: str, document: Path, root: Path) -> LinkTarget:
    """Resolve `href` found in `document` (inside the workspace `root`)."""
    href = href.strip()
    if not href:
        return LinkTarget("invalid", reason="The link is empty.")
    if href.startswith("#"):
        return LinkTarget("anchor", anchor=unquote(href[1:]).lower())
    parts = urlsplit(href)
    scheme = parts.scheme.lower()
    if scheme in EXTERNAL_SCHEMES:
        return LinkTarget("url", url=href)
    if scheme == "file":
        return _file_target(unquote(parts.path), parts.fragment, document, root)
    if scheme and len(scheme) > 1:
        return LinkTarget("invalid", reason=f"loupe does not open {scheme}: links.")
    path_part, _, fragment = href.partition("#")
    return _file_target(unquote(path_part), unquote(fragment), document, root)


def _file_target(raw: str, fragment: str, document: Path, root: Path) -> LinkTarget:
    line: int | None = None
    match = _LINE_SUFFIX.match(raw)
    if match and not os.path.exists(_absolute(raw, document, root)):
        raw, line = match.group("path"), int(match.group("line"))
    anchor = ""
    if fragment:
        line_match = _LINE_FRAGMENT.match(fragment)
        if line_match:
            line = int(line_match.group("line"))
        else:
            anchor = fragment.lower()
    if not raw:
        return LinkTarget("anchor", anchor=anchor) if anchor else LinkTarget("invalid", reason="The link is empty.")
    return LinkTarget("file", path=Path(_absolute(raw, document, root)), line=line, anchor=anchor)


def _absolute(raw: str, document: Path, root: Path) -> str:
    """Relative to the document first; relative to the workspace when only that exists
    (agents write repo-relative paths like `src/app.py:12`)."""
    expanded = os.path.expanduser(raw)
    if os.path.isabs(expanded):
        return os.path.normpath(expanded)
    beside = os.path.normpath(os.path.join(document.parent, expanded))
    if os.path.exists(beside) or raw.startswith(("./", "../")):
        return beside
    in_root = os.path.normpath(os.path.join(root, expanded))
    return in_root if os.path.exists(in_root) else beside

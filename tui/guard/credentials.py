"""Credentials inside URLs (`https://user:token@host/...`), hidden before text is shown or kept.

Standard library only: copied into each guard install, and used by `tui.secrets` too.
"""

from __future__ import annotations

import re

HIDDEN = "***"
# scheme://userinfo@ ; userinfo stops at the first '/', '@' or space, as in RFC 3986.
_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?P<userinfo>[^/?#@\s]+)@")
# `ssh://git@host` names the account every forge uses, which is no secret.
_HARMLESS = frozenset({"git", HIDDEN})


def hide_url_credentials(text: str) -> str:
    """`text` with the user and password of every URL in it replaced by `***`."""
    if "@" not in text:
        return text
    return _USERINFO.sub(_hide, text)


def _hide(match: re.Match[str]) -> str:
    if match.group("userinfo") in _HARMLESS:
        return match.group(0)
    return f"{match.group('scheme')}{HIDDEN}@"

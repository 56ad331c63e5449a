"""loupe's themes and stylesheets.

Themes are Textual `Theme` objects registered by the app; the layout and widget styles live in
TCSS files next to this module so they can be edited without touching Python.
"""

from __future__ import annotations

from pathlib import Path

from textual.theme import Theme

HERE = Path(__file__).parent

DIALOGS_TCSS = HERE / "dialogs.tcss"
# Order matters: the app loads them in this order, later files override earlier ones.
TCSS_PATHS: list[Path] = [HERE / "loupe.tcss", DIALOGS_TCSS]

LOUPE_DARK = Theme(
    name="loupe-dark",
    primary="#7aa2f7",
    secondary="#bb9af7",
    accent="#ff9e64",
    warning="#e0af68",
    error="#f7768e",
    success="#9ece6a",
    foreground="#c0caf5",
    background="#16161e",
    surface="#1a1b26",
    panel="#24283b",
    dark=True,
    variables={
        "footer-key-foreground": "#7aa2f7",
        "block-cursor-text-style": "none",
        "loupe-changed": "#e0af68",
        "loupe-added": "#9ece6a",
        "loupe-removed": "#f7768e",
        "loupe-needs-you": "#ff9e64",
    },
)

LOUPE_LIGHT = Theme(
    name="loupe-light",
    primary="#2e59c9",
    secondary="#7847bd",
    accent="#b15c00",
    warning="#8f5e00",
    error="#c4314b",
    success="#387a10",
    foreground="#24292f",
    background="#fafafa",
    surface="#f0f1f4",
    panel="#e2e5eb",
    dark=False,
    variables={
        "footer-key-foreground": "#2e59c9",
        "block-cursor-text-style": "none",
        # Textual's default ("auto 60%") is worked out against the background where it is
        # used; rows drawn on a transparent background (the task list's) came out white.
        "text-muted": "#6e7781",
        "loupe-changed": "#8f5e00",
        "loupe-added": "#387a10",
        "loupe-removed": "#c4314b",
        "loupe-needs-you": "#b15c00",
    },
)

THEMES: list[Theme] = [LOUPE_DARK, LOUPE_LIGHT]
DEFAULT_THEME = LOUPE_DARK.name

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
        # The selection bar is a quiet blue, not the primary colour: marks, times and matches
        # keep their colours on it at 4.5:1 or more (WCAG AA; tests/test_contrast.py).
        "block-cursor-foreground": "#c0caf5",
        "block-cursor-background": "#2f3549",
        "block-cursor-blurred-foreground": "#c0caf5",
        "block-cursor-blurred-background": "#262a3c",
        "text-muted": "#9aa5ce",
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
    # Darker than they would need to be on white: every text colour reaches 4.5:1 (WCAG AA)
    # on the panels and on the selection bar too (tests/test_contrast.py).
    accent="#944c00",
    warning="#7a5000",
    error="#b02a42",
    success="#2d650b",
    foreground="#24292f",
    background="#fafafa",
    surface="#f0f1f4",
    panel="#e2e5eb",
    dark=False,
    variables={
        "footer-key-foreground": "#2e59c9",
        "block-cursor-text-style": "none",
        "block-cursor-foreground": "#24292f",
        "block-cursor-background": "#dbe4f8",
        "block-cursor-blurred-foreground": "#24292f",
        "block-cursor-blurred-background": "#e6ebf5",
        # Textual's default ("auto 60%") is worked out against the background where it is
        # used; rows drawn on a transparent background (the task list's) came out white.
        "text-muted": "#57606a",
        "loupe-changed": "#7a5000",
        "loupe-added": "#2d650b",
        "loupe-removed": "#b02a42",
        "loupe-needs-you": "#944c00",
    },
)

THEMES: list[Theme] = [LOUPE_DARK, LOUPE_LIGHT]
DEFAULT_THEME = LOUPE_DARK.name

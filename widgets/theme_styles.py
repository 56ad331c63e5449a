"""Theme-aware styles for the line-API document widgets (artifact, code and diff views).

Layouts name their styles ("h1", "text strong", "code-block"); `ThemeStyles` turns those names
into Rich styles using the app's current theme variables, once per name and theme. Syntax
highlighting uses Textual's own token styles, so code looks the same as in its other widgets.
"""

from __future__ import annotations

from typing import Any

from rich.style import Style as RichStyle
from textual.color import Color, ColorParseError
from textual.style import Style

# Style names used by tui.docs.layout and the views, as Textual style strings. Several names
# separated by spaces combine left to right ("text strong link").
SPECS: dict[str, str] = {
    "text": "",
    "h1": "bold $text-primary",
    "h1-rule": "$primary 70%",
    "h2": "bold $text-primary",
    "h2-rule": "$foreground 25%",
    "h3": "bold $text-secondary",
    "h4": "bold $foreground 85%",
    "strong": "bold",
    "em": "italic",
    "strike": "strike $foreground 60%",
    "code": "$text-warning on $warning 12%",
    "link": "underline $text-primary",
    "html": "$foreground 55%",
    "bullet": "$text-primary",
    "number": "$text-primary",
    "task-done": "$text-success",
    "task-open": "$foreground 60%",
    "quote-bar": "$primary 60%",
    "alert-note": "$text-primary",
    "alert-tip": "$text-success",
    "alert-important": "$text-secondary",
    "alert-warning": "$text-warning",
    "alert-caution": "$text-error",
    "code-block": "on $foreground 6%",
    "code-pad": "$foreground 40% on $foreground 6%",
    "code-wrap": "$foreground 40% on $foreground 6%",
    "code-lang": "italic $foreground 45% on $foreground 6%",
    "table-header": "bold $text-primary",
    "table-border": "$foreground 30%",
    "hr": "$foreground 30%",
    "meta": "on $foreground 4%",
    "meta-title": "italic $foreground 50% on $foreground 4%",
    "meta-key": "$text-secondary on $foreground 4%",
    "meta-value": "$foreground 80% on $foreground 4%",
    # Overlays applied on top of rendered lines.
    "search-match": "on $warning 35%",
    "search-current": "bold $background on $accent",
    "link-focus": "reverse",
    "line-highlight": "on $accent 18%",
    "selection": "on $primary 40%",
    "selection-cursor": "on $accent 30%",
    # Gutters.
    "gutter": "$foreground 35%",
    "mark-changed": "$loupe-changed",
    "mark-removed": "$loupe-removed",
    "mark-moved": "$loupe-changed",
    # Review comments in the gutter, by status (`widgets.artifact_gutter.NOTES`).
    "note-draft": "bold $text-accent",
    "note-open": "bold $text-warning",
    "note-addressed": "bold $text-success",
    "note-resolved": "$foreground 40%",
    "line-number": "$foreground 35%",
    "line-number-current": "bold $text-accent",
    # Diffs.
    "diff-added": "$loupe-added on $loupe-added 12%",
    "diff-removed": "$loupe-removed on $loupe-removed 12%",
    "diff-context": "",
    "diff-hunk": "italic $text-secondary on $secondary 10%",
    "diff-file": "bold $text-primary on $primary 12%",
    "diff-meta": "$foreground 50%",
    "muted": "$foreground 55%",
}


class ThemeStyles:
    """Resolves style names to Rich styles for one widget under the current theme."""

    def __init__(self, widget: Any) -> None:
        self._widget = widget
        self._theme = ""
        self._visual: Style | None = None
        self._cache: dict[str, RichStyle] = {}
        self._tokens: dict[tuple[Any, str], RichStyle] = {}
        self._parsed: dict[str, Style] = {}

    def refresh(self) -> bool:
        """Forget resolved styles when the theme changed; True if it did."""
        # The visual style object is replaced whenever the widget's colours change.
        theme, visual = self._widget.app.theme, self._widget.visual_style
        if theme == self._theme and visual is self._visual:
            return False
        self._theme, self._visual = theme, visual
        self._cache.clear()
        self._tokens.clear()
        self._parsed.clear()
        return True

    @property
    def base(self) -> Style:
        return self._widget.visual_style

    def _parse(self, spec: str) -> Style:
        found = self._parsed.get(spec)
        if found is None:
            found = _quick_parse(spec, self._widget.app.theme_variables)
            if found is None:
                try:
                    found = self._widget.app.stylesheet.parse_style(spec)
                except Exception:  # an unknown variable in a third-party theme: plain
                    found = Style()
            self._parsed[spec] = found
        return found

    def textual(self, key: str) -> Style:
        style = self.base
        for name in key.split(" "):
            style = style + self._parse(SPECS.get(name, ""))
        return style

    def get(self, key: str) -> RichStyle:
        found = self._cache.get(key)
        if found is None:
            found = self._cache[key] = self.textual(key).rich_style
        return found

    def token(self, token_type: Any, background_key: str) -> RichStyle:
        """Style of a Pygments token on a background given by a style name."""
        cache_key = (token_type, background_key)
        found = self._tokens.get(cache_key)
        if found is None:
            # Here: it imports Pygments, which a document without code never needs.
            from textual.highlight import HighlightTheme

            spec = ""
            ttype = token_type
            styles = HighlightTheme.STYLES
            while ttype is not None:
                spec = styles.get(ttype, "")
                if spec or ttype.parent is None:
                    break
                ttype = ttype.parent
            found = (self.textual(background_key) + self._parse(spec)).rich_style
            self._tokens[cache_key] = found
        return found


_FLAGS = frozenset({"bold", "dim", "italic", "underline", "reverse", "strike"})


def _quick_parse(spec: str, variables: dict[str, str]) -> Style | None:
    """Parse the simple specs above ("bold $text-primary on $warning 12%") without Textual's
    general markup parser, which costs about a millisecond per style; None if unsure."""
    flags: dict[str, bool] = {}
    colors: dict[str, Color] = {}
    target = "foreground"
    tokens = spec.split()
    index = 0
    while index < len(tokens):
        token = tokens[index]
        index += 1
        if token in _FLAGS:
            flags[token] = True
        elif token == "on":
            target = "background"
        elif token.startswith("$"):
            value = variables.get(token[1:])
            if value is None or value.startswith("auto"):
                return None
            try:
                color = Color.parse(value)
            except ColorParseError:
                return None
            if index < len(tokens) and tokens[index].endswith("%"):
                color = color.multiply_alpha(float(tokens[index][:-1]) / 100)
                index += 1
            colors[target] = color
        else:
            return None
    return Style(colors.get("background"), colors.get("foreground"), **flags)  # type: ignore[arg-type]
